"""What the end-to-end modules share: canary secrets, recent nights, the child processes'
environment, mart content hashes and the secret scan."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from carepulse.config import LoadedConfig
from tests.conftest import CONFIG

CANARY = {
    "youtube": "AIzaSyE2E-CANARY-youtube-key-0000000000",
    "reddit": "e2e_canary_client:e2e_canary_secret_777",
    "mastodon": "e2e-canary-mastodon-token-MST-111222",
    "bluesky": "e2e-canary.bsky.social:e2e-canary-app-pass-3333",
    "x": "e2e-canary-bearer-token-XYZ-654321",
    "gbp": "e2e-canary-gbp-client:e2e-canary-gbp-secret-8888:sim-refresh-e2e-canary-9999",
    "facebook": "EAAe2eCanaryFbToken4444:e2ecanaryfbappsecret5555",
    "instagram": "IGQe2eCanaryIgToken6666:e2ecanaryigappsecret7777",
    "news": "e2e-canary-newsdesk@example.org",  # a contact address, not a secret (not grepped)
}
PSEUDONYM_KEY = "e2e-pseudonym-key-0123456789abcdef"
# X recent search reaches 7 days back from the real clock, so the nights are recent
N2 = (datetime.now(UTC) - timedelta(days=2)).date()
N1 = N2 - timedelta(days=1)
# rows of these columns name the evidence (a rerun adds a raw run) or the process itself
BOOKKEEPING = {"fct_data_health_nightly"}


def night_clock(night) -> datetime:
    return datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# columns computed from when the reads happened (a rerun reads later): reply-time bounds
READ_TIMES = {"fct_review_replies": ("hours_to_reply", "hours_to_reply_min", "hours_to_reply_max",
                                     "answered_within_7d", "answered_within_7d_certain")}


def mart_content(db: Path) -> dict[str, str]:
    """Per mart: hash of its rows without lineage columns (`_source_file`, `_run_id`, ...)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        marts = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts'").fetchall()]
        for mart in sorted(set(marts) - BOOKKEEPING):
            columns = con.execute("select column_name from information_schema.columns where table_schema "
                                  "= 'marts' and table_name = ? order by ordinal_position", [mart]).fetchall()
            cols = [c for (c,) in columns if not c.startswith("_") and c not in READ_TIMES.get(mart, ())]
            select = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f'select {select} from marts."{mart}" order by all').fetchall()
            out[mart] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


def child_env(cfg: LoadedConfig) -> dict[str, str]:
    """The environment of a pipeline child process: canary credentials, the test pseudonym key,
    no Airflow settings of this process (the child configures its own under its home)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(CAREPULSE_PSEUDONYM_KEY=PSEUDONYM_KEY, CAREPULSE_CONFIG=str(CONFIG), DO_NOT_TRACK="1")
    for platform, secret in CANARY.items():
        env[getattr(cfg.config.platforms, platform).credential_env] = secret
    return env


def secret_leaks(scanned: list[Path]) -> list[tuple[Path, str]]:
    """Files holding a canary secret or the pseudonym key; the scan must include OpenLineage
    events and a Data Docs page, or it proves nothing."""
    assert any("lineage" in str(p) for p in scanned), "no OpenLineage event was written: the scan is vacuous"
    assert any(p.name == "index.html" for p in scanned), "no Data Docs page was written"
    # the secret part of each credential (a Reddit client id or Bluesky handle is an identity);
    # a Meta credential is two secrets (token and app secret); the news contact is none
    secrets = {name: secret.rsplit(":", 1)[-1].encode() for name, secret in CANARY.items() if name != "news"}
    secrets |= {f"{name} token": CANARY[name].split(":", 1)[0].encode() for name in ("facebook", "instagram")}
    secrets["pseudonym key"] = PSEUDONYM_KEY.encode()
    return [(p, name) for p in scanned for name, secret in secrets.items() if secret in p.read_bytes()][:5]
