"""What compose's one-shot `airflow-init` service does, as one command: `carepulse airflow-init`.

The local scheduler stack and the production-path tests run this same command, so the pools,
the admin user and the migration they test are the ones production gets.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carepulse import paths
from carepulse.config import LoadedConfig, load_config
from carepulse.secrets import mask, register_secret
from deploy.pools import DEFAULT_PLATFORM_SLOTS, ensure_pools

log = logging.getLogger("deploy.init")


@dataclass(frozen=True)
class Admin:
    username: str
    password: str
    email: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Admin | None:
        """compose passes the UI admin as `_AIRFLOW_WWW_USER_*` (the official image's names)."""
        env = os.environ if env is None else env
        password = env.get("_AIRFLOW_WWW_USER_PASSWORD", "")
        if not password:
            return None
        return cls(env.get("_AIRFLOW_WWW_USER_USERNAME") or "admin", password,
                   env.get("_AIRFLOW_WWW_USER_EMAIL") or "admin@example.org")


def data_dirs(home: Path) -> list[Path]:
    return [paths.raw_dir(home), paths.warehouse_dir(home), paths.audit_dir(home),
            paths.lineage_dir(home) / "airflow"]


def airflow_init(home: Path, admin: Admin | None, platform_slots: int = DEFAULT_PLATFORM_SLOTS, *,
                 config: Path | None = None, say: Callable[[str], None] = log.info) -> LoadedConfig:
    """Data folders, config check, metadata-DB migration, UI admin, pools; in that order, so an
    invalid config stops before the database is touched. Safe to run again."""
    for folder in data_dirs(home):
        folder.mkdir(parents=True, exist_ok=True)
    say(f"CarePulse data root: {home}")
    loaded = load_config(config)  # ConfigError names the file, key and problem
    say(f"config {loaded.path} is valid")
    _airflow(["db", "migrate"], say, "migrating the metadata DB")
    if admin:
        register_secret(admin.password)
        # exits 0 with "already exists" when the user is there: init can run again
        # `--opt=value`: a generated password may begin with "-", which argparse would read as an option
        _airflow(["users", "create", "--role=Admin", f"--username={admin.username}",
                  f"--password={admin.password}", "--firstname=CarePulse", "--lastname=Admin",
                  f"--email={admin.email}"], say, f"creating the UI admin {admin.username!r}")
    created = ensure_pools(platform_slots)
    say("pools: " + ", ".join(f"{name}={slots}" for name, slots in created.items()))
    return loaded


def _airflow(args: list[str], say: Callable[[str], None], what: str) -> None:
    """One Airflow CLI command; its output is shown only when it fails (it names the cause)."""
    say(what)
    airflow = shutil.which("airflow") or "airflow"
    proc = subprocess.run([airflow, *args], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(mask(f"`airflow {args[0]} {args[1]}` failed (exit {proc.returncode}):\n"
                                f"{(proc.stdout + proc.stderr)[-4000:]}"))
