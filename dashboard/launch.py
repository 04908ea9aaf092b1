"""The command line that serves the dashboard (`carepulse dashboard` execs it).

Kept apart from the CLI so the CLI, the browser test and the screenshot script start the app
the same way: this interpreter's Streamlit, the entry script by absolute path (so the working
directory does not matter), no usage statistics sent anywhere (no network at run time beyond
the configured platforms), and no file watcher: the app picks up new publishes by itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def command(port: int = 8501, address: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """argv for `streamlit run dashboard/app.py` on address:port."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true" if headless else "false",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]
