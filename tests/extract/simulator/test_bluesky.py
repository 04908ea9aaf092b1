"""Bluesky: sessions, searchPosts paging, UTF-8 byte facets, profiles, errors."""

from __future__ import annotations

import httpx

from .conftest import DAY_END, DAY_START, bluesky_headers

SEARCH = "/bluesky/xrpc/app.bsky.feed.searchPosts"
PROFILES = "/bluesky/xrpc/app.bsky.actor.getProfiles"


def walk(http: httpx.Client, headers: dict, params: dict) -> list[dict]:
    pages, cursor = [], None
    while True:
        response = http.get(SEARCH, headers=headers,
                            params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1].get("cursor")
        if cursor is None:
            return pages


def test_search_walks_to_the_end_within_since_until(http):
    headers = bluesky_headers(http)
    params = {"q": "*", "sort": "latest", "since": DAY_START, "until": DAY_END, "limit": 100}
    pages = walk(http, headers, params)
    posts = [p for page in pages for p in page["posts"]]
    uris = [p["uri"] for p in posts]
    assert len(pages) > 1 and len(uris) == len(set(uris))
    assert "cursor" not in pages[-1]
    indexed = [p["indexedAt"] for p in posts]
    assert indexed == sorted(indexed, reverse=True)
    assert all("2026-11-20T" <= t < "2026-11-21T" for t in indexed)
    assert all(p["uri"].startswith(f"at://{p['author']['did']}/app.bsky.feed.post/")
               for p in posts)
    assert all(p["cid"].startswith("bafyrei") and p["author"]["did"].startswith("did:plc:")
               for p in posts)
    assert all("followersCount" not in p["author"] and "verification" in p["author"]
               for p in posts)


def test_facets_are_utf8_byte_offsets(http):
    headers = bluesky_headers(http)
    pages = walk(http, headers, {"q": "*", "since": "2026-11-19", "until": "2026-11-21",
                                 "limit": 100})
    checked = non_ascii = 0
    for post in (p for page in pages for p in page["posts"]):
        record = post["record"]
        raw = record["text"].encode("utf-8")
        for facet in record.get("facets", []):
            piece = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode("utf-8")
            feature = facet["features"][0]
            kind = feature["$type"].rsplit("#", 1)[1]
            if kind == "tag":
                assert piece == "#" + feature["tag"]
            elif kind == "link":
                assert piece == feature["uri"]
            else:
                assert piece.startswith("@") and feature["did"].startswith("did:plc:")
            checked += 1
            non_ascii += len(raw[:facet["index"]["byteStart"]]) != len(
                raw[:facet["index"]["byteStart"]].decode("utf-8"))
    assert checked > 20 and non_ascii > 0  # some facets sit after emoji or accents


def test_author_search_and_profiles(http, cfg):
    headers = bluesky_headers(http)
    handle = cfg.organisation.handles.bluesky
    pages = walk(http, headers, {"q": "*", "author": handle, "since": "2026-11-13T00:00:00Z",
                                 "until": DAY_END, "limit": 100})
    posts = [p for page in pages for p in page["posts"]]
    assert posts and {p["author"]["handle"] for p in posts} == {handle}
    assert any("embed" in p for p in posts)
    replies = [p for p in posts if "reply" in p["record"]]
    assert replies and all(r["record"]["reply"]["parent"]["uri"].startswith("at://")
                           for r in replies)
    dids = list(dict.fromkeys(p["author"]["did"] for page in walk(
        http, headers, {"q": '"Lakemont Health"', "since": DAY_START, "until": DAY_END})
        for p in page["posts"]))[:25]
    profiles = http.get(PROFILES, headers=headers, params=[("actors", d) for d in dids]).json()
    assert [p["did"] for p in profiles["profiles"]] == dids
    assert all(isinstance(p["followersCount"], int) for p in profiles["profiles"])
    too_many = http.get(PROFILES, headers=headers, params=[("actors", d) for d in dids * 2])
    assert too_many.status_code == 400 and too_many.json()["error"] == "InvalidRequest"


def test_cursor_needs_a_session_and_limit_is_bounded(http):
    headers = bluesky_headers(http)
    first = http.get(SEARCH, headers=headers, params={"q": "Lakemont", "limit": 5}).json()
    anonymous = http.get(SEARCH, params={"q": "Lakemont", "limit": 5, "cursor": first["cursor"]})
    assert anonymous.status_code == 403
    assert http.get(SEARCH, params={"q": "Lakemont", "limit": 5}).status_code == 200
    assert http.get(SEARCH, headers=headers, params={"q": "x", "limit": 101}).status_code == 400
    assert http.get(SEARCH, headers=headers, params={"limit": 10}).status_code == 400


def test_expired_token_then_refresh(sim, http):
    session = http.post("/bluesky/xrpc/com.atproto.server.createSession",
                        json={"identifier": "demo.bsky.social", "password": "pw"}).json()
    sim.faults.add("bluesky", {"kind": "expired_token"})
    old = {"Authorization": f"Bearer {session['accessJwt']}"}
    expired = http.get(SEARCH, headers=old, params={"q": "Lakemont"})
    assert expired.status_code == 400
    assert expired.json() == {"error": "ExpiredToken", "message": "Token has expired"}
    assert http.get(SEARCH, headers=old, params={"q": "Lakemont"}).status_code == 400
    refreshed = http.post("/bluesky/xrpc/com.atproto.server.refreshSession",
                          headers={"Authorization": f"Bearer {session['refreshJwt']}"}).json()
    assert refreshed["did"] == session["did"] and refreshed["accessJwt"] != session["accessJwt"]
    fresh = {"Authorization": f"Bearer {refreshed['accessJwt']}"}
    assert http.get(SEARCH, headers=fresh, params={"q": "Lakemont"}).status_code == 200


def test_refresh_can_be_refused_so_clients_log_in_again(sim, http):
    session = http.post("/bluesky/xrpc/com.atproto.server.createSession",
                        json={"identifier": "demo.bsky.social", "password": "pw"}).json()
    sim.faults.add("bluesky", {"kind": "expired_token", "refresh": False})
    old = {"Authorization": f"Bearer {session['accessJwt']}"}
    assert http.get(SEARCH, headers=old, params={"q": "Lakemont"}).status_code == 400
    refused = http.post("/bluesky/xrpc/com.atproto.server.refreshSession",
                        headers={"Authorization": f"Bearer {session['refreshJwt']}"})
    assert refused.status_code == 400 and refused.json()["error"] == "ExpiredToken"
    again = bluesky_headers(http)
    assert http.get(SEARCH, headers=again, params={"q": "Lakemont"}).status_code == 200


def test_rate_limit_headers_are_epochs(http):
    response = http.get(SEARCH, params={"q": "Lakemont", "limit": 1})
    assert int(response.headers["ratelimit-reset"]) > 1_700_000_000
    assert response.headers["ratelimit-policy"] == "3000;w=300"
