"""Drive Debian's headless Chromium over the DevTools protocol to look at the running dashboard.

`chromium --dump-dom` returns before Streamlit's websocket has delivered the page, so the
browser test and `dashboard/screenshots.py` open a real page instead: navigate, wait until the
app reports its script run finished and every chart has drawn, then read the rendered text or
take a full-page screenshot. The protocol client is `websockets` (already a Streamlit
dependency): no browser download, no extra package.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from dashboard.views import PageSpec

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# The app's root carries Streamlit's script-run and connection state; elements whose code is
# still loading show skeletons, and charts draw after that.
RENDERED_JS = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"], '
      + '[data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]')) return false;
  if (!document.querySelector('[data-testid="stMainBlockContainer"] h1')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.every(c => c.querySelector('canvas, svg'));
})()"""

# Streamlit scrolls inside its main container, so a full-page shot needs that height.
PAGE_HEIGHT_JS = """Math.max(document.body.scrollHeight,
  ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
     .map(e => e.scrollHeight))"""


def find_chromium() -> str | None:
    """$CAREPULSE_CHROMIUM, else the first Chromium or Chrome binary on PATH."""
    explicit = os.environ.get("CAREPULSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    """Poll Streamlit's /_stcore/health until it answers 'ok' (or the server died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url} did not become healthy within {timeout:.0f}s")


class Page:
    """One browser tab spoken to over its DevTools websocket."""

    def __init__(self, ws: ClientConnection, width: int, height: int) -> None:
        self._ws = ws
        self._next_id = 0
        self.width, self.height = width, height
        self.send("Page.enable")
        self._viewport(height)

    def send(self, method: str, **params: Any) -> dict:
        """Call a DevTools method and return its result (events in between are skipped)."""
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=60))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"javascript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.2)

    def visit(self, base_url: str, spec: PageSpec, timeout: float = 90) -> None:
        """Show one dashboard page and wait until it has rendered (its title, no script run or
        skeleton left, charts drawn, text steady). The first visit loads the URL; later ones
        click the sidebar link, as a reader would, which skips reloading the whole frontend."""
        self._viewport(self.height)
        link = f'[data-testid="stSidebarNavLink"][href="{base_url}/{spec.url_path}"]'
        if self.evaluate(f"!!document.querySelector({json.dumps(link)})"):
            self.evaluate(f"document.querySelector({json.dumps(link)}).click()")
        else:
            self.send("Page.navigate", url=f"{base_url}/{spec.url_path}")
        self.wait_for(f"location.pathname === {json.dumps('/' + spec.url_path)}", timeout, "the url")
        title = "document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')?.innerText"
        self.wait_for(f"{title} === {json.dumps(spec.title)}", timeout, f"the {spec.title} page")
        self._settle(timeout)

    def _settle(self, timeout: float) -> None:
        deadline, seen, steady = time.monotonic() + timeout, None, 0
        while steady < 3:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page did not finish rendering within {timeout:.0f}s")
            time.sleep(0.2)
            text = self.text() if self.evaluate(RENDERED_JS) else None
            steady = steady + 1 if text is not None and text == seen else 0
            seen = text

    def text(self) -> str:
        """The rendered text of the page, as a reader sees it."""
        return self.evaluate("document.body.innerText")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (the viewport stretched to the content's height)."""
        self._viewport(min(int(self.evaluate(PAGE_HEIGHT_JS)), 12000))
        time.sleep(0.3)  # the layout reflows to the new height
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def _viewport(self, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=height,
                  deviceScaleFactor=1, mobile=False)


def _devtools_port(profile: Path, proc: subprocess.Popen, timeout: float = 30) -> int:
    """Chromium writes the port it picked (--remote-debugging-port=0) into the profile."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode}")
        if marker.exists() and (lines := marker.read_text().splitlines()):
            return int(lines[0])
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


def _page_target(port: int, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as reply:
            pages = [t for t in json.load(reply) if t.get("type") == "page"]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise TimeoutError("chromium has no page target")


@contextmanager
def chromium(binary: str, width: int = 1440, height: int = 1000) -> Iterator[Page]:
    """A headless Chromium with one tab; stopped (by its process handle) on exit."""
    profile = Path(tempfile.mkdtemp(prefix="carepulse-chromium-"))
    args = [binary, "--headless=new", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-gpu", "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--mute-audio", f"--window-size={width},{height}", "about:blank"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root (containers, CI)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with connect(_page_target(_devtools_port(profile, proc)), max_size=None, open_timeout=20) as ws:
            yield Page(ws, width, height)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def dashboard_server(home: Path, port: int | None = None, env: dict | None = None,
                     log: Path | None = None) -> Iterator[str]:
    """The dashboard served by `launch.command()` against `home`; yields its base URL."""
    from dashboard.launch import command

    port = port or free_port()
    environment = dict(env or os.environ, CAREPULSE_HOME=str(home))
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command(port=port), env=environment, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, proc=proc)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()
