"""Reddit: OAuth token, Listing paging, escaping, float epochs, rate-limit headers."""

from __future__ import annotations

import re

import httpx

from .conftest import CLOCK, reddit_headers

QUERY = '("Lakemont Health" OR "Lakemont Hospital" OR LakemontHealth) NOT "Lakemont Realty"'


def walk(http: httpx.Client, headers: dict, params: dict, path: str = "/reddit/search"):
    pages, after = [], None
    while True:
        response = http.get(path, headers=headers,
                            params={**params, **({"after": after} if after else {})})
        assert response.status_code == 200, response.text
        pages.append(response)
        after = response.json()["data"]["after"]
        if after is None:
            return pages


def test_token_endpoint_needs_basic_auth(http):
    ok = http.post("/reddit/api/v1/access_token", auth=("id", "secret"),
                   data={"grant_type": "client_credentials"})
    body = ok.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 86400, "*")
    refused = http.post("/reddit/api/v1/access_token", data={"grant_type": "client_credentials"})
    assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized",
                                                             "error": 401}
    no_token = http.get("/reddit/search", params={"q": "x"})
    assert no_token.status_code == 401


def test_search_walks_to_the_end_newest_first(http):
    headers = reddit_headers(http)
    pages = walk(http, headers, {"q": QUERY, "sort": "new", "limit": 100, "type": "link"})
    children = [c for p in pages for c in p.json()["data"]["children"]]
    names = [c["data"]["name"] for c in children]
    assert len(pages) > 1 and len(names) == len(set(names))
    assert all(c["kind"] == "t3" and re.fullmatch(r"t3_[0-9a-z]+", c["data"]["name"])
               for c in children)
    created = [c["data"]["created_utc"] for c in children]
    assert all(isinstance(t, float) for t in created) and created == sorted(created, reverse=True)
    assert max(created) <= CLOCK.timestamp()
    envelope = pages[0].json()
    assert envelope["kind"] == "Listing"
    assert list(envelope["data"]) == ["after", "dist", "modhash", "geo_filter", "facets",
                                      "children", "before"]
    assert pages[-1].json()["data"]["after"] is None
    assert all("Lakemont Realty" not in c["data"]["title"] for c in children)


def test_strings_are_escaped_unless_raw_json(http):
    headers = reddit_headers(http)
    params = {"q": "Lakemont OR Northgate OR Bayfield OR Summit", "sort": "new", "limit": 100}
    escaped = http.get("/reddit/search", headers=headers, params=params).json()
    raw = http.get("/reddit/search", headers=headers, params={**params, "raw_json": 1}).json()
    pairs = list(zip(escaped["data"]["children"], raw["data"]["children"], strict=True))
    special = [(e["data"], r["data"]) for e, r in pairs if re.search(r"[&<>]", r["data"]["title"])]
    assert special
    for e, r in special:
        assert e["title"] == r["title"].replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;")
    html = next(r["data"]["selftext_html"] for _, r in pairs if r["data"]["selftext_html"])
    assert html.startswith('<!-- SC_OFF --><div class="md">')
    escaped_html = next(e["data"]["selftext_html"] for e in escaped["data"]["children"]
                        if e["data"]["selftext_html"])
    assert escaped_html.startswith("&lt;!-- SC_OFF --&gt;&lt;div")


def test_author_queries_and_user_about_with_and_without_json(http, cfg):
    headers = reddit_headers(http)
    name = cfg.organisation.handles.reddit
    pages = walk(http, headers, {"q": f"author:{name}", "sort": "new", "limit": 100})
    children = [c["data"] for p in pages for c in p.json()["data"]["children"]]
    assert children and {c["author"] for c in children} == {name}
    assert {c["is_self"] for c in children} <= {True, False}
    for path in (f"/reddit/user/{name}/about", f"/reddit/user/{name}/about.json"):
        about = http.get(path, headers=headers).json()
        assert about["kind"] == "t2" and about["data"]["name"] == name
        assert isinstance(about["data"]["subreddit"]["subscribers"], int)
    assert http.get("/reddit/user/nobody_at_all/about", headers=headers).status_code == 404
    dotted = http.get("/reddit/search.json", headers=headers, params={"q": f"author:{name}"})
    assert dotted.status_code == 200 and dotted.json()["data"]["children"]


def test_rate_limit_headers(http):
    headers = reddit_headers(http)
    response = http.get("/reddit/search", headers=headers, params={"q": "Lakemont"})
    assert re.fullmatch(r"\d+\.\d", response.headers["x-ratelimit-remaining"])
    assert int(response.headers["x-ratelimit-used"]) >= 1
    assert 0 < int(response.headers["x-ratelimit-reset"]) <= 600


def test_before_pages_towards_newer_items(http):
    headers = reddit_headers(http)
    params = {"q": QUERY, "sort": "new", "limit": 10}
    first = http.get("/reddit/search", headers=headers, params=params).json()["data"]
    second = http.get("/reddit/search", headers=headers,
                      params={**params, "after": first["after"]}).json()["data"]
    back = http.get("/reddit/search", headers=headers,
                    params={**params, "before": second["children"][0]["data"]["name"]}).json()
    assert [c["data"]["name"] for c in back["data"]["children"]] == \
           [c["data"]["name"] for c in first["children"]]
