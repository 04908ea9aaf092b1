"""The command line that serves the dashboard (`carepulse dashboard` execs it).

Kept apart from the CLI so the CLI, the browser test and the screenshot script start the app
the same way: this interpreter's Streamlit, the entry script by absolute path (so the working
directory does not matter), no usage statistics sent anywhere (no network at run time beyond
the configured platforms), and no file watcher: the app picks up new publishes by itself.

The argv runs this module first (`python -m dashboard.launch <streamlit options>`), which then
execs `streamlit run`. The step in between writes Streamlit's `[auth]` secrets for the login
(st.login) from the `CAREPULSE_DASHBOARD_AUTH_*` variables when they are set, as a container
gets them: Streamlit reads its secrets when the server starts (cookie signing, XSRF), so they
must be on disk before it does, and the image has no writable `.streamlit/` of its own.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"

# [auth] key of .streamlit/secrets.toml -> the environment variable it is written from
AUTH_ENV = {
    "redirect_uri": "CAREPULSE_DASHBOARD_AUTH_REDIRECT_URI",
    "cookie_secret": "CAREPULSE_DASHBOARD_AUTH_COOKIE_SECRET",
    "client_id": "CAREPULSE_DASHBOARD_AUTH_CLIENT_ID",
    "client_secret": "CAREPULSE_DASHBOARD_AUTH_CLIENT_SECRET",
    "server_metadata_url": "CAREPULSE_DASHBOARD_AUTH_SERVER_METADATA_URL",
}


def command(port: int = 8501, address: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """argv that serves dashboard/app.py on address:port (through `main` below)."""
    return [
        sys.executable, "-m", "dashboard.launch",
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true" if headless else "false",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]


def auth_secrets_toml(environ: Mapping[str, str]) -> str | None:
    """The `[auth]` section from the environment, or None when no CAREPULSE_DASHBOARD_AUTH_*
    variable is set (then Streamlit reads its usual secrets files). A partial set is written as
    it is: the dashboard names the keys still missing instead of starting without a word."""
    values = {key: environ.get(name, "") for key, name in AUTH_ENV.items()}
    if not any(value.strip() for value in values.values()):
        return None
    # a JSON string is a valid TOML basic string: quotes, backslashes, control characters escaped
    lines = [f"{key} = {json.dumps(value.strip())}" for key, value in values.items() if value.strip()]
    return "[auth]\n" + "\n".join(lines) + "\n"


def write_auth_secrets(text: str, directory: Path | None = None) -> Path:
    """Write the secrets to a file only this user can read, in a fresh private directory."""
    folder = Path(tempfile.mkdtemp(prefix="carepulse-dashboard-", dir=directory))  # mode 0700
    path = folder / "secrets.toml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def streamlit_argv(options: list[str], environ: Mapping[str, str],
                   directory: Path | None = None) -> list[str]:
    """`streamlit run` of the entry script with `options`, reading secrets written from the
    environment when it carries them."""
    argv = [sys.executable, "-m", "streamlit", "run", str(APP), *options]
    secrets = auth_secrets_toml(environ)
    if secrets is not None:
        argv += ["--secrets.files", str(write_auth_secrets(secrets, directory))]
    return argv


def main(options: list[str]) -> None:
    argv = streamlit_argv(options, os.environ)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
