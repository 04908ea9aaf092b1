"""dbt-duckdb plugin: registers CarePulse's privacy functions on every warehouse connection.

Adapter-specific by design (the one place DuckDB-only functions are defined): `redact_phi`
and `phi_residue` as TEMP SQL macros, `pseudonym` as a keyed-HMAC Python UDF whose key
comes from the environment and is registered for log masking, and `reply_phi_flags`, the
PHI screening of an owner's reply to a review, and `without_reviewer_name`, the reviewer's
name taken out of a review or reply (transform/reply_screening.py), and `article_id` and
`canonical_link`, a news article's key (carepulse/urls.py, the rule the feed connector keys
its entries with). It also makes the owner-only
folder of the build's scratch database before dbt-duckdb attaches it.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR, DuckDBPyType

from carepulse import urls
from carepulse.secrets import register_secret
from transform import privacy
from transform.reply_screening import reply_flags, without_reviewer_name

DEFAULT_KEY_ENV = "CAREPULSE_PSEUDONYM_KEY"


def pseudonym_key(env_name: str = DEFAULT_KEY_ENV) -> bytes:
    value = os.environ.get(env_name, "")
    if len(value) < 16:
        raise RuntimeError(
            f"environment variable {env_name} must hold the pseudonymisation key (16+ characters); "
            "private authors cannot be pseudonymised without it")
    register_secret(value)
    return value.encode()


def register(conn: DuckDBPyConnection, key_env: str = DEFAULT_KEY_ENV) -> None:
    """Define the privacy functions on `conn` (also used by tests and tools outside dbt)."""
    key = pseudonym_key(key_env)
    for statement in privacy.sql_macros():
        conn.execute(statement)
    for name in ("pseudonym", "reply_phi_flags", "without_reviewer_name", "article_id", "canonical_link"):
        with contextlib.suppress(Exception):  # not registered yet on this connection
            conn.remove_function(name)
    conn.create_function("pseudonym", lambda p, a: privacy.pseudonym(key, p, a),
                         [VARCHAR, VARCHAR], VARCHAR, side_effects=False)
    # (reply, reviewer display name) -> ["kind: reason", ...]; a NULL reviewer is no name
    conn.create_function("reply_phi_flags", reply_flags, [VARCHAR, VARCHAR],
                         DuckDBPyType(list[str]), null_handling="special", side_effects=False)
    conn.create_function("without_reviewer_name", without_reviewer_name, [VARCHAR, VARCHAR], VARCHAR,
                         null_handling="special", side_effects=False)
    for name, rule in (("article_id", urls.article_id), ("canonical_link", urls.canonical_link)):
        conn.create_function(name, rule, [VARCHAR], VARCHAR, null_handling="special",
                             side_effects=False)


def scratch_folder(path: str | os.PathLike[str]) -> None:
    """The owner-only folder of the build's scratch database (verbatim text, like the raw zone)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.key_env = plugin_config.get("key_env", DEFAULT_KEY_ENV)
        self.scratch_dir = plugin_config.get("scratch_dir")

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # dbt-duckdb attaches the profile's databases after this: the scratch one's folder must
        # exist by then, whichever way dbt was started (CLI, in-process, an Airflow task)
        if self.scratch_dir:
            scratch_folder(self.scratch_dir)
        register(conn, self.key_env)

    def configure_cursor(self, cursor):
        # dbt-duckdb runs each model on its own cursor; TEMP macros are per cursor, while the
        # Python UDF registered on the connection is already visible there.
        for statement in privacy.sql_macros():
            cursor.execute(statement)
        return cursor
