"""Screenshot every dashboard page into docs/screenshots/<page>.png.

    python -m dashboard.screenshots --home /path/to/CAREPULSE_HOME [--out docs/screenshots]
        [--pages reviews ...]   # only these pages (module names); default: every page

Serves the app exactly as `carepulse dashboard` does (dashboard.launch) against a published
world and photographs each registered page in headless Chromium with the same driver the
browser test uses (dashboard.browser), after the page has finished rendering.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carepulse import paths
from dashboard.browser import chromium, dashboard_server, find_chromium
from dashboard.views import PAGES

ROOT = Path(__file__).resolve().parent.parent


def take(home: Path, out: Path, binary: str, pages: list[str] | None = None) -> list[Path]:
    """One full-page PNG per page (or per named page); returns the files written."""
    written = []
    with dashboard_server(home) as base_url, chromium(binary) as page:
        for spec in PAGES:
            if pages and spec.module not in pages:
                continue
            page.visit(base_url, spec)
            written.append(page.screenshot(out / f"{spec.module}.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=paths.home(),
                        help="CAREPULSE_HOME with a published warehouse (default: $CAREPULSE_HOME or ./data)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--pages", nargs="+", choices=[spec.module for spec in PAGES], metavar="PAGE",
                        help="only these pages (module names in dashboard/views/); default: every page")
    args = parser.parse_args(argv)
    binary = find_chromium()
    if binary is None:
        print("no chromium found: install it (apt-get install -y chromium) or set CAREPULSE_CHROMIUM",
              file=sys.stderr)
        return 2
    for path in take(args.home.resolve(), args.out, binary, args.pages):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
