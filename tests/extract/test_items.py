"""extract.items is the one rule for a page's items: the records the connectors write and the
items the raw gate counts come from it, and the raw datasets' own item lists agree with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expectations import suites
from extract.base import Page
from extract.http import Fetched
from extract.items import ENDPOINTS, KEYS, count, listed

FIXTURES = Path(__file__).parent / "fixtures"
# fixture name prefix -> the endpoint whose response it is
ENDPOINT_OF = {
    "x/search_": "x.tweets.search.recent", "x/account_": "x.tweets.search.recent",
    "x/zero_": "x.tweets.search.recent",
    "youtube/search_": "youtube.search.list", "youtube/videos_": "youtube.videos.list",
    "youtube/channels_": "youtube.channels.list",
    "youtube/comment_threads_": "youtube.commentThreads.list",
    "reddit/search_": "reddit.search", "reddit/user_about": "reddit.user.about",
    "mastodon/tag_": "mastodon.timelines.tag", "mastodon/search_": "mastodon.search",
    "mastodon/account_statuses_": "mastodon.accounts.statuses",
    "mastodon/account_lookup": "mastodon.accounts.lookup",
    "bluesky/search_": "bluesky.feed.searchPosts", "bluesky/profiles_": "bluesky.actor.getProfiles",
}


def responses() -> list[tuple[str, str, object]]:
    """(fixture, endpoint, body) for every recorded JSON response, error bodies included."""
    out = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        name = f"{path.parent.name}/{path.stem}"
        try:
            body = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # a truncated response: malformed evidence, no items
        endpoint = next((e for prefix, e in ENDPOINT_OF.items() if name.startswith(prefix)), None)
        for e in [endpoint] if endpoint else sorted(e for e in ENDPOINTS if e.startswith(path.parent.name)):
            out.append((name, e, body))  # an error body read as each of its platform's endpoints
    return out


def dataset_of(endpoint: str):
    return next((m for name in suites.RAW_ENTITIES for m in [suites.module(name)]
                 if endpoint in m.ENDPOINTS), None)


@pytest.mark.parametrize(("fixture", "endpoint", "body"), responses(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_reader_of_a_page_sees_the_same_items(fixture, endpoint, body):
    fetched = Fetched(200, "http://sim/", json.dumps(body), body, {}, None)
    page = Page.from_fetched(fetched, endpoint=endpoint, params={}, cursor=None)
    assert page.records == count(endpoint, body) == len(listed(endpoint, body))
    assert len(list(KEYS[endpoint](body))) <= page.records
    dataset = dataset_of(endpoint)
    if dataset is not None:  # the raw gate's rows come from the dataset's own list
        assert dataset.items(endpoint, body) == listed(endpoint, body)


@pytest.mark.parametrize(("fixture", "endpoint", "records"), [
    ("x/search_p1", "x.tweets.search.recent", None),
    ("x/search_malformed_records", "x.tweets.search.recent", 0),
    ("reddit/user_about", "reddit.user.about", 1),
    ("reddit/error_404", "reddit.user.about", 0),
    ("mastodon/account_lookup", "mastodon.accounts.lookup", 1),
    ("mastodon/tag_p1", "mastodon.timelines.tag", None),
    ("youtube/search_malformed_records", "youtube.search.list", None),
])
def test_counts(fixture, endpoint, records):
    body = json.loads((FIXTURES / f"{fixture}.json").read_text())
    expected = records if records is not None else _raw_len(endpoint, body)
    assert count(endpoint, body) == expected


def _raw_len(endpoint: str, body) -> int:
    """The length of the list as the platform's API documents it, read without extract.items."""
    where = {"x.tweets.search.recent": lambda b: b["data"], "mastodon.timelines.tag": lambda b: b,
             "youtube.search.list": lambda b: b["items"]}
    return len(where[endpoint](body))


def test_unknown_endpoint_has_no_items():
    assert count("x.tweets.search.all", {"data": [{"id": "1"}]}) == 0
