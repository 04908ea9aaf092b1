"""Mastodon: Link-header paging, HTML content, v2 search offsets, accounts, rate headers."""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from extract.simulator.platforms.mastodon import Mastodon

from .conftest import BEARER, CLOCK

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def walk_links(http: httpx.Client, url: str, params: dict | None = None) -> list[httpx.Response]:
    pages = []
    while True:
        response = http.get(url, params=params, headers=BEARER)
        assert response.status_code == 200, response.text
        pages.append(response)
        if not response.json():
            return pages
        url, params = links(response)["next"], None


def test_tag_timeline_walks_by_link_until_an_empty_page(sim, http):
    pages = walk_links(http, "/mastodon/api/v1/timelines/tag/LakemontHealth", {"limit": 40})
    statuses = [s for p in pages for s in p.json()]
    ids = [s["id"] for s in statuses]
    assert len(pages) > 2 and len(ids) == len(set(ids))
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert sorted(ids, key=lambda i: (len(i), i), reverse=True) == ids  # newest first
    last = pages[-1]
    assert last.json() == [] and "link" not in last.headers
    for page in pages[:-1]:
        nxt = links(page)["next"]
        assert nxt.startswith(f"{sim.url}/mastodon/api/v1/timelines/tag/lakemonthealth?")
        assert "limit=40" in nxt and "max_id=" in nxt and "prev" in links(page)
    assert all(any(t["name"] == "lakemonthealth" for t in s["tags"]) for s in statuses)


def test_link_uses_the_host_the_client_asked_for(sim):
    port = sim.url.rsplit(":", 1)[1]
    with httpx.Client(base_url=f"http://localhost:{port}", timeout=10) as client:
        response = client.get("/mastodon/api/v1/timelines/tag/FluShot", params={"limit": 5})
    assert links(response)["next"].startswith(f"http://localhost:{port}/mastodon/")


def test_status_html_and_entities(http):
    statuses = http.get("/mastodon/api/v1/timelines/tag/ERWait", params={"limit": 40}).json()
    statuses += http.get("/mastodon/api/v1/timelines/tag/LakemontHealth",
                         params={"limit": 40}).json()
    for status in statuses:
        assert status["content"].startswith("<p>") and status["content"].endswith("</p>")
        assert datetime.fromisoformat(status["created_at"].replace("Z", "+00:00")) <= CLOCK
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["created_at"])
        assert isinstance(status["account"]["followers_count"], int)
    html = "".join(s["content"] for s in statuses)
    assert 'class="mention hashtag" rel="tag">#<span>' in html
    assert '<span class="invisible">https://</span>' in html


def test_owned_account_lookup_and_statuses(http, cfg):
    handle = cfg.organisation.handles.mastodon
    account = http.get("/mastodon/api/v1/accounts/lookup", params={"acct": handle}).json()
    assert account["username"] == handle and account["acct"] == handle
    pages = walk_links(http, f"/mastodon/api/v1/accounts/{account['id']}/statuses",
                       {"limit": 40})
    statuses = [s for p in pages for s in p.json()]
    assert statuses and {s["account"]["id"] for s in statuses} == {account["id"]}
    media = {m["type"] for s in statuses for m in s["media_attachments"]}
    assert {"image", "video"} <= media
    replies = [s for s in statuses if s["in_reply_to_id"]]
    assert replies and all(s["mentions"] for s in replies)
    assert http.get("/mastodon/api/v1/accounts/lookup",
                    params={"acct": "nobody"}).json() == {"error": "Record not found"}


def test_v2_search_needs_a_token_and_pages_by_offset(http):
    params = {"q": '"Lakemont Health"', "type": "statuses", "limit": 40}
    assert http.get("/mastodon/api/v2/search", params=params).status_code == 401
    seen, offset = [], 0
    while True:
        body = http.get("/mastodon/api/v2/search", headers=BEARER,
                        params={**params, "offset": offset}).json()
        assert set(body) == {"accounts", "statuses", "hashtags"}
        if not body["statuses"]:
            break
        seen += [s["id"] for s in body["statuses"]]
        offset += len(body["statuses"])
    assert len(seen) > 40 and len(seen) == len(set(seen))


def test_rate_limit_headers_use_iso_microseconds(http):
    response = http.get("/mastodon/api/v1/timelines/tag/FluShot", params={"limit": 1})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                        response.headers["x-ratelimit-reset"])
    assert int(response.headers["x-ratelimit-remaining"]) < int(
        response.headers["x-ratelimit-limit"])


def test_min_id_returns_the_statuses_just_newer(http):
    first = http.get("/mastodon/api/v1/timelines/tag/LakemontHealth",
                     params={"limit": 10}).json()
    newer = http.get("/mastodon/api/v1/timelines/tag/LakemontHealth",
                     params={"limit": 3, "min_id": first[-1]["id"]}).json()
    assert [s["id"] for s in newer] == [s["id"] for s in first[-4:-1]]


def test_content_html_escapes_text(sim):
    platform = sim.platforms["mastodon"]
    assert isinstance(platform, Mastodon)
    html, _, tags = platform._content("Q&A <today> at https://www.example.org/a-very-long-path"
                                      "/that-keeps-going #FluShot")
    assert html.startswith("<p>Q&amp;A &lt;today&gt; at <a href=")
    assert '<span class="invisible">https://www.</span>' in html
    assert '<span class="ellipsis">' in html and tags == [
        {"name": "flushot", "url": "https://mastodon.example/tags/flushot"}]
