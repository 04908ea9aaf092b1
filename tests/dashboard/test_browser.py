"""The real thing: `carepulse dashboard`'s command serving the published world, every page
opened by URL in headless Chromium, the warehouse's figures read back from the rendered page,
and a screenshot of each kept with the test's files."""

from __future__ import annotations

import pytest

from dashboard import format as fmt
from dashboard.browser import chromium, dashboard_server, find_chromium
from dashboard.views import PAGES

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser_binary() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium found (looked for chromium, chromium-browser, google-chrome and "
                    "$CAREPULSE_CHROMIUM); `make test` installs Debian's chromium with apt-get")
    return binary


def test_every_page_renders_the_warehouse_figures_in_chromium(aspects_world, browser_binary, tmp_path):
    # the published world plus the review marts (the pipeline does not build them yet), the
    # hand-made news articles and patient-experience aspects
    world, oracle = aspects_world.home, aspects_world.oracle
    period, brand = oracle.default_period(), oracle.organisation()
    # the first page is loaded by its URL, and not '/': a fresh server must resolve it too;
    # the others are reached through the sidebar links (their URLs checked on the way)
    order = [spec for spec in PAGES if not spec.is_default] + [spec for spec in PAGES if spec.is_default]
    with dashboard_server(world, log=tmp_path / "server.log") as base_url, \
            chromium(browser_binary) as page:
        for spec in order:
            page.visit(base_url, spec)
            text = page.text()
            assert spec.title in text and fmt.period(period.start, period.end) in text, spec.module
            for label, value in oracle.headline(spec.module, period, brand).items():
                assert label in text and value in text, (spec.module, label, value)
            shot = page.screenshot(tmp_path / f"{spec.module}.png")
            assert shot.read_bytes().startswith(PNG) and shot.stat().st_size > 20_000
