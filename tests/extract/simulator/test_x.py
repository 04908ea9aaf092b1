"""X API v2 recent search: paging, field selection, includes, windows, errors."""

from __future__ import annotations

import httpx
import pytest

from .conftest import BEARER, DAY_END, DAY_START, X_FIELDS

SEARCH = "/x/2/tweets/search/recent"
QUERY = '("Lakemont Health" OR #LakemontHealth OR @lakemonthealth) -"Lakemont Realty" -is:retweet'


def walk(http: httpx.Client, params: dict) -> list[dict]:
    pages, token = [], None
    while True:
        response = http.get(SEARCH, headers=BEARER,
                            params={**params, **({"next_token": token} if token else {})})
        assert response.status_code == 200, response.text
        pages.append(response.json())
        token = pages[-1]["meta"].get("next_token")
        if token is None:
            return pages


def test_search_pages_to_the_end_with_users_in_includes(http):
    pages = walk(http, {"query": QUERY, "start_time": DAY_START, "end_time": DAY_END,
                        "max_results": 100, **X_FIELDS})
    tweets = [t for p in pages for t in p["data"]]
    ids = [t["id"] for t in tweets]
    assert len(pages) > 1 and len(ids) == len(set(ids))
    assert all(len(i) == 19 for i in ids) and ids == sorted(ids, reverse=True)
    assert all(p["meta"]["result_count"] == len(p["data"]) for p in pages)
    assert pages[0]["meta"]["newest_id"] == ids[0]
    for page in pages:
        users = {u["id"] for u in page["includes"]["users"]}
        assert {t["author_id"] for t in page["data"]} <= users
        assert all(set(u["public_metrics"]) >= {"followers_count", "tweet_count"}
                   for u in page["includes"]["users"])
    assert all(DAY_START <= t["created_at"] < DAY_END for t in tweets)
    assert not [t for t in tweets if "Lakemont Realty" in t["text"]]


def test_only_requested_fields_come_back(http):
    bare = http.get(SEARCH, headers=BEARER, params={"query": "Lakemont", "max_results": 10,
                                                    "start_time": DAY_START,
                                                    "end_time": DAY_END}).json()
    assert all(set(t) == {"id", "text", "edit_history_tweet_ids"} for t in bare["data"])
    assert "includes" not in bare
    some = http.get(SEARCH, headers=BEARER, params={
        "query": "Lakemont", "max_results": 10, "tweet.fields": "lang",
        "expansions": "author_id", "user.fields": "verified"}).json()
    assert all(set(t) == {"id", "text", "edit_history_tweet_ids", "lang"} for t in some["data"])
    assert all(set(u) == {"id", "name", "username", "verified"} for u in some["includes"]["users"])


def test_entities_are_character_offsets_over_tco_text(http):
    pages = walk(http, {"query": "*", "start_time": DAY_START, "end_time": DAY_END,
                        "max_results": 100, "tweet.fields": "entities"})
    checked = 0
    for tweet in (t for p in pages for t in p["data"]):
        for kind, entities in tweet.get("entities", {}).items():
            for entity in entities:
                piece = tweet["text"][entity["start"]:entity["end"]]
                if kind == "hashtags":
                    assert piece == "#" + entity["tag"]
                elif kind == "mentions":
                    assert piece.lower() == "@" + entity["username"].lower() and entity["id"]
                elif kind == "urls":
                    assert piece == entity["url"] and piece.startswith("https://t.co/")
                    assert entity["expanded_url"].startswith("http")
                checked += 1
    assert checked > 50


def test_owned_account_replies_and_media(http, cfg):
    handle = cfg.organisation.handles.x
    pages = walk(http, {"query": f"from:{handle}", "max_results": 100, **X_FIELDS,
                        "tweet.fields": X_FIELDS["tweet.fields"] + ",attachments",
                        "expansions": "author_id,attachments.media_keys,referenced_tweets.id",
                        "media.fields": "type,url,preview_image_url,duration_ms"})
    tweets = [t for p in pages for t in p["data"]]
    assert tweets and {t["author_id"] for t in tweets} == {pages[0]["includes"]["users"][0]["id"]}
    replies = [t for t in tweets if "referenced_tweets" in t]
    assert replies and all(t["in_reply_to_user_id"] and t["referenced_tweets"][0]["type"]
                           == "replied_to" for t in replies)
    media = [m for p in pages for m in p["includes"].get("media", [])]
    assert {m["type"] for m in media} >= {"photo", "video"}


def test_zero_results_have_no_data_key(http):
    body = http.get(SEARCH, headers=BEARER, params={"query": "zzzznothingmatches",
                                                    "max_results": 10}).json()
    assert body == {"meta": {"result_count": 0}}


@pytest.mark.parametrize(("params", "parameter", "message"), [
    ({"max_results": "5"}, "max_results",
     "The `max_results` query parameter value [5] is not between 10 and 100"),
    ({"max_results": "101"}, "max_results",
     "The `max_results` query parameter value [101] is not between 10 and 100"),
    ({"start_time": "2026-11-10T00:00:00Z"}, "start_time", "'start_time' must be on or after"),
    ({"end_time": "2026-11-21T02:00:00Z"}, "end_time", "minimum of 10 seconds prior"),
    ({"tweet.fields": "bogus"}, "tweet.fields", "[bogus] is not one of"),
    ({"next_token": "!!"}, "next_token", "is not valid"),
])
def test_invalid_requests(http, params, parameter, message):
    response = http.get(SEARCH, headers=BEARER, params={"query": "Lakemont", **params})
    body = response.json()
    assert response.status_code == 400
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert parameter in body["errors"][0]["parameters"]
    assert message in body["errors"][0]["message"]
    if parameter == "max_results":
        assert body == {"errors": [{"parameters": {"max_results": [params["max_results"]]},
                                    "message": message}], "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.twitter.com/2/problems/invalid-request"}


def test_auth_and_rate_headers(http):
    assert http.get(SEARCH, params={"query": "x"}).status_code == 401
    response = http.get(SEARCH, headers=BEARER, params={"query": "Lakemont"})
    assert int(response.headers["x-rate-limit-reset"]) > 1_700_000_000
    assert int(response.headers["x-rate-limit-remaining"]) < 450
