"""Facebook, Instagram and news through the warehouse: three nights of hand-made pages in the
platforms' wire shapes (Graph API pages of our Page and account with shares absent, hidden
likes, tagged posts without `from`, comments naming people and carrying PHI needles; RSS
entries without dates or guids; GDELT hits of the same articles under other links, with
ToneChart bins) built night by night must give the same marts as one build of all three
nights, dedupe articles across sources and nights, keep an undated item's first night, match
tagged posts and GDELT hits to brands, and leave no needle in any warehouse column."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, time, timedelta

import pytest

from carepulse.config import load_config
from carepulse.urls import article_id
from extract import manifest
from extract.base import Night, Page, Shard
from extract.manifest import ExtractionRun
from tests.conftest import CONFIG
from tests.dbt.conftest import all_text_values, ordered_digest, run_dbt, warehouse, write_config_json

pytestmark = pytest.mark.slow

N1 = (datetime.now(UTC) - timedelta(days=4)).date()
N2, N3 = N1 + timedelta(days=1), N1 + timedelta(days=2)
PAGE_ID, IG_ID = "104857600000001", "17841400000000001"
SELECT = (
    "+fct_mentions +fct_misinformation_watch +fct_share_of_voice_daily +fct_post_engagement_daily "
    "+fct_news_articles"
)
NEEDLES = ("(555) 013-4477", "jane.doe.1234@example.com", "00412345", "Zebulon", "Quixote", "Philomena")


def graph_time(day, hour: int) -> str:
    return datetime.combine(day, time(hour), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def rfc822(day, hour: int) -> str:
    return datetime.combine(day, time(hour), UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def fb_post(
    pid: str,
    day,
    hour: int,
    message: str | None,
    *,
    reactions: int,
    comments: int,
    shares: int = 0,
    author: dict | None = None,
    tags: list | None = None,
) -> dict:
    doc = {
        "id": f"{PAGE_ID}_{pid}",
        "created_time": graph_time(day, hour),
        "permalink_url": f"https://www.facebook.com/lakemonthealth/posts/{pid}",
        "reactions": {"data": [], "summary": {"total_count": reactions, "viewer_reaction": "NONE"}},
        "comments": {
            "data": [],
            "summary": {"order": "ranked", "total_count": comments, "can_comment": True},
        },
    }
    if message is not None:
        doc["message"] = message
    if shares:
        doc["shares"] = {"count": shares}  # Graph leaves `shares` out at zero
    if author:
        doc["from"] = author
    if tags:
        doc["message_tags"] = tags
    return doc


PAGE = {"id": PAGE_ID, "name": "Lakemont Health"}
TAGGED_TEXT = "Thank you Lakemont nurses for caring for my mom, with Philomena Quixote by her side"
FB = {
    N1: {
        "posts": [
            fb_post(
                "1",
                N1,
                9,
                "Flu clinics open Saturday #LakemontHealth",
                reactions=40,
                comments=2,
                shares=5,
                author=PAGE,
            ),
            fb_post("2", N1, 12, None, reactions=3, comments=0, author=PAGE),
            # a person's post on the Page's feed: no `from`
            fb_post("8", N1, 16, "Three hours in the waiting room, no doctor yet", reactions=1, comments=0),
        ],
        "tagged": [
            fb_post(
                "7",
                N1,
                15,
                TAGGED_TEXT,
                reactions=2,
                comments=0,
                tags=[
                    {"id": "99001", "name": "Philomena Quixote", "type": "user", "offset": 62, "length": 17}
                ],
            )
        ],
        "comments": {
            "1": [
                {
                    "id": "1_501",
                    "created_time": graph_time(N1, 10),
                    "message": "Waited 3 hours, call me at (555) 013-4477",
                    "like_count": 1,
                    "comment_count": 1,
                    "from": {"id": "88001", "name": "Zebulon Quixote"},
                },
                {
                    "id": "1_502",
                    "created_time": graph_time(N1, 11),
                    "message": "Zebulon, we are sorry. Please message us.",
                    "like_count": 0,
                    "comment_count": 0,
                    "from": PAGE,
                    "parent": {"id": "1_501"},
                },
            ]
        },
    },
    N2: {
        "posts": [
            fb_post(
                "1",
                N1,
                9,
                "Flu clinics open Saturday #LakemontHealth",
                reactions=55,
                comments=2,
                shares=9,
                author=PAGE,
            )
        ],
        "tagged": [],
        "comments": {},
    },
    N3: {
        "posts": [
            fb_post(
                "1",
                N1,
                9,
                "Flu clinics open Saturday #LakemontHealth",
                reactions=60,
                comments=3,
                shares=9,
                author=PAGE,
            )
        ],
        "tagged": [],
        "comments": {
            "1": [
                {
                    "id": "1_503",
                    "created_time": graph_time(N3, 1),
                    "message": "Email me jane.doe.1234@example.com about billing",
                }
            ]
        },
    },
}

IG = {
    N1: {
        "media": [
            {
                "id": "1801",
                "caption": "Meet our NICU team #LakemontCares",
                "media_type": "IMAGE",
                "media_product_type": "FEED",
                "permalink": "https://www.instagram.com/p/AbC1/",
                "timestamp": graph_time(N1, 8),
                "username": "lakemonthealth",
                "comments_count": 1,
            }
        ],
        "tags": [
            {
                "id": "1809",
                "caption": "Best birth experience at Lakemont",
                "media_type": "VIDEO",
                "media_product_type": "REELS",
                "permalink": "https://www.instagram.com/reel/XyZ9/",
                "timestamp": graph_time(N1, 14),
                "username": "new_mom_22",
                "like_count": 12,
                "comments_count": 0,
            }
        ],
        "comments": {
            "1801": [
                {
                    "id": "c1",
                    "text": "MRN 00412345 still no callback",
                    "timestamp": graph_time(N1, 9),
                    "from": {"id": "555", "username": "pat_r"},
                    "like_count": 0,
                }
            ]
        },
    },
    N2: {"media": [], "tags": [], "comments": {}},
    N3: {"media": [], "tags": [], "comments": {}},
}

LINK_A = "https://www.lakemont-gazette.example/news/2026/lakemont-opens-new-wing"
LINK_B = "https://www.lakemont-gazette.example/news/northgate-layoffs"
MISINFO = "https://natural-cures.example/garlic-flu"


def entry(link: str | None, title: str, summary: str, published: str | None, guid: str | None = None) -> dict:
    from carepulse.urls import canonical_link, text_id

    key = article_id(link) if link else text_id(guid) if guid else text_id(title, summary)
    return {
        "article_id": key,
        "link": link,
        "canonical_link": canonical_link(link),
        "guid": guid,
        "title": title,
        "summary": summary,
        "published": published,
        "published_raw": published,
        "author": "Staff",
        "language": None,
    }


UNDATED = entry(
    None,
    "Lakemont Health names new chief nursing officer",
    "The hospital announced the appointment on Tuesday.",
    None,
    guid="gazette-cno-2026",
)
FEED = {
    N1: [
        entry(
            LINK_A,
            "Lakemont Health opens new cardiac wing",
            "A $40M expansion.",
            datetime.combine(N1, time(7), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
        UNDATED,
    ],
    N2: [
        entry(
            LINK_A + "?utm_source=rss",
            "Lakemont Health opens new cardiac wing",
            "A $40M expansion.",
            datetime.combine(N1, time(7), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
        UNDATED,
        entry(
            LINK_B,
            "Northgate Medical to cut 40 jobs",
            "Layoffs at the hospital.",
            datetime.combine(N2, time(6), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
    ],
    N3: [UNDATED],
}
GDELT = {
    N1: {
        "lakemont": [
            {
                "url": "https://m.lakemont-gazette.example/news/2026/lakemont-opens-new-wing/",
                "url_mobile": "",
                "title": "Lakemont Health opens new cardiac wing",
                "seendate": N1.strftime("%Y%m%d") + "T081500Z",
                "socialimage": "",
                "domain": "lakemont-gazette.example",
                "language": "English",
                "sourcecountry": "United States",
            },
            {
                "url": MISINFO,
                "url_mobile": "",
                "title": "Garlic cures flu, hospitals hide it",
                "seendate": N1.strftime("%Y%m%d") + "T120000Z",
                "socialimage": "",
                "domain": "natural-cures.example",
                "language": "English",
                "sourcecountry": "United States",
            },
            {
                "url": "https://noticias.example/lakemont-salud",
                "url_mobile": "",
                "title": "Hospital de Lakemont abre nueva ala",
                "seendate": N1.strftime("%Y%m%d") + "T130000Z",
                "socialimage": "",
                "domain": "noticias.example",
                "language": "Spanish",
                "sourcecountry": "United States",
            },
        ]
    },
    N2: {"lakemont": []},
    N3: {"lakemont": []},
}
TONE = {
    N1: {
        "lakemont": [
            {"bin": 4, "count": 1, "toparts": [{"url": LINK_A + "?ocid=x", "title": "t"}]},
            {"bin": -6, "count": 1, "toparts": [{"url": MISINFO, "title": "t"}]},
        ]
    }
}


class Lander:
    """Commits hand-made pages of one night as one finished extraction run."""

    def __init__(self, raw, cfg, night, monkeypatch):
        read_at = datetime.combine(night + timedelta(days=1), time(2), UTC)
        monkeypatch.setattr(
            manifest, "utcnow", lambda: read_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        self.night = Night(night)
        n = self.night
        self.shards = {
            "facebook": Shard(
                "facebook", "accounts", "lakemont", n.lookback_start(7), n.end, handles=(PAGE_ID,), owned=True
            ),
            "instagram": Shard(
                "instagram", "accounts", "lakemont", n.lookback_start(7), n.end, handles=(IG_ID,), owned=True
            ),
            "feed": Shard(
                "news",
                "feed",
                "lakemont_gazette",
                n.start,
                n.end,
                handles=("https://www.lakemont-gazette.example/rss",),
            ),
            "gdelt": Shard("news", "mentions", "lakemont", n.start, n.end, terms=("Lakemont Health",)),
        }
        self.run = ExtractionRun.create(raw, n, cfg, list(self.shards.values()))
        self.pages = {k: 0 for k in self.shards}

    def page(self, shard: str, endpoint: str, params: dict, body: dict) -> None:
        self.pages[shard] += 1
        text = json.dumps(body, separators=(",", ":"))
        records = len(
            body.get("data") or body.get("entries") or body.get("articles") or body.get("tonechart") or []
        )
        self.run.commit_page(
            self.shards[shard],
            self.pages[shard],
            Page(endpoint, "http://127.0.0.1/" + endpoint, params, 200, body, text, records, None),
        )

    def finish(self) -> None:
        for shard in self.shards.values():
            self.run.end_shard(shard, "complete", None, None)
        self.run.finalize()


def land(raw, cfg, night, mp) -> None:
    lander = Lander(raw, cfg, night, mp)
    fb, ig = FB[night], IG[night]
    lander.page("facebook", "facebook.page.posts", {"page_id": PAGE_ID}, {"data": fb["posts"]})
    lander.page("facebook", "facebook.page.tagged", {"page_id": PAGE_ID}, {"data": fb["tagged"]})
    for post, comments in fb["comments"].items():
        lander.page(
            "facebook", "facebook.post.comments", {"post_id": f"{PAGE_ID}_{post}"}, {"data": comments}
        )
    lander.page("instagram", "instagram.user.media", {"ig_user_id": IG_ID}, {"data": ig["media"]})
    lander.page("instagram", "instagram.user.tags", {"ig_user_id": IG_ID}, {"data": ig["tags"]})
    for media, comments in ig["comments"].items():
        lander.page("instagram", "instagram.media.comments", {"media_id": media}, {"data": comments})
    lander.page(
        "feed",
        "news.feed",
        {},
        {
            "feed_url": "https://www.lakemont-gazette.example/rss",
            "http_status": 200,
            "etag": None,
            "last_modified": None,
            "format": "rss20",
            "bozo": False,
            "bozo_exception": None,
            "feed": {
                "title": "Lakemont Gazette",
                "link": "https://www.lakemont-gazette.example/",
                "language": "en-us",
            },
            "entries": FEED[night],
            "document": "<rss/>",
        },
    )
    for brand, articles in GDELT[night].items():
        lander.page(
            "gdelt", "news.gdelt.artlist", {"mode": "ArtList"}, {"articles": articles} if articles else {}
        )
        lander.page(
            "gdelt",
            "news.gdelt.tonechart",
            {"mode": "ToneChart"},
            {"tonechart": TONE.get(night, {}).get(brand, [])},
        )
    lander.finish()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cfg = load_config(CONFIG)
    nightly, whole = (tmp_path_factory.mktemp(n) / "home" for n in ("nightly", "whole"))
    for home in (nightly, whole):
        write_config_json(cfg, home)
        run_dbt(home, "seed", select="resource_type:seed")
    with pytest.MonkeyPatch.context() as mp:
        for night in (N1, N2, N3):
            land(nightly / "raw", cfg, night, mp)
            write_config_json(cfg, nightly)
            run_dbt(nightly, "run", select=SELECT)
    shutil.copytree(nightly / "raw", whole / "raw")
    write_config_json(cfg, whole)
    run_dbt(whole, "run", select=SELECT)
    return nightly, whole


def rows(home, sql: str) -> dict:
    with warehouse(home) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def test_facebook_posts_engagement_and_comments(built):
    posts = rows(
        built[0],
        "select native_post_id, share_count, reaction_count, comment_count, is_tagged, "
        "author_is_public, text_redacted, content_type from staging.stg_facebook__posts",
    )
    assert posts[f"{PAGE_ID}_1"]["share_count"] == 9 and posts[f"{PAGE_ID}_1"]["reaction_count"] == 60
    assert posts[f"{PAGE_ID}_2"]["share_count"] == 0  # absent on the wire: no shares, not unknown
    assert posts[f"{PAGE_ID}_1"]["author_is_public"]  # our Page, by configuration
    tagged = posts[f"{PAGE_ID}_7"]
    assert tagged["is_tagged"] and not tagged["author_is_public"]
    assert "Philomena" not in tagged["text_redacted"] and "[NAME]" in tagged["text_redacted"]
    comments = rows(
        built[0],
        "select native_comment_id, post_key_commented, parent_comment_key, text_redacted "
        "from staging.stg_facebook__comments",
    )
    assert set(comments) == {"1_501", "1_502", "1_503"}
    assert comments["1_502"]["parent_comment_key"] == "facebook:comment:1_501"
    assert comments["1_501"]["post_key_commented"] == f"facebook:post:{PAGE_ID}_1"
    assert comments["1_502"]["text_redacted"].startswith("[NAME], we are sorry")
    snapshots = rows(
        built[0],
        "select snapshot_date, share_count from staging.stg_facebook__post_snapshots "
        f"where post_key = 'facebook:post:{PAGE_ID}_1'",
    )
    assert {d: r["share_count"] for d, r in snapshots.items()} == {N1: 5, N2: 9, N3: 9}


def test_tagged_posts_and_media_are_mentions_of_us(built):
    got = rows(
        built[0],
        "select post_key, brand_id, matched_on, engagements from marts.fct_mentions "
        "where platform in ('facebook', 'instagram')",
    )
    assert got[f"facebook:post:{PAGE_ID}_7"]["brand_id"] == "lakemont"
    assert got["instagram:media:1809"]["matched_on"] == "handle"
    assert got[f"facebook:post:{PAGE_ID}_8"]["matched_on"] == "handle"  # a visitor's post on our feed
    assert f"facebook:post:{PAGE_ID}_1" not in got  # our own post is not a mention of us


def test_instagram_hidden_likes_stay_unknown(built):
    media = rows(
        built[0],
        "select native_post_id, like_count, comment_count, content_type, author_is_public "
        "from staging.stg_instagram__posts",
    )
    assert media["1801"]["like_count"] is None and media["1801"]["author_is_public"]
    assert media["1809"]["content_type"] == "short" and not media["1809"]["author_is_public"]


def test_articles_dedupe_across_feeds_gdelt_and_nights(built):
    got = rows(
        built[0],
        "select native_post_id, published_at, undated, query_brand_ids, gdelt_tone, lang, "
        "source_domain, outlet from staging.stg_news__posts",
    )
    a = got[article_id(LINK_A)]
    assert len(got) == 5, sorted(got)  # A (feed x2 + GDELT m./slash), B, the undated item, misinfo, Spanish
    assert a["query_brand_ids"] == ["lakemont"] and a["gdelt_tone"] == 4 and a["outlet"] == "Lakemont Gazette"
    undated = got[UNDATED["article_id"]]
    assert undated["undated"] and undated["published_at"] == datetime.combine(N1, time(0))
    spanish = got[article_id("https://noticias.example/lakemont-salud")]
    assert spanish["lang"] == "es" and spanish["source_domain"] == "noticias.example"


def test_gdelt_hits_match_by_query_and_misinformation_domains_are_watched(built):
    mentions = rows(
        built[0], "select post_key, brand_id, matched_on from marts.fct_mentions where platform = 'news'"
    )
    assert mentions[f"news:article:{article_id(MISINFO)}"]["matched_on"] in ("query", "alias")
    assert mentions[f"news:article:{article_id(LINK_B)}"]["brand_id"] == "northgate"
    watch = rows(
        built[0], "select post_key, red_flags from marts.fct_misinformation_watch where platform = 'news'"
    )
    assert f"news:article:{article_id(MISINFO)}" in watch


def test_the_news_panel_mart_names_outlet_credibility_and_both_tones(built):
    got = rows(
        built[0],
        "select post_key, brand_id, outlet, source_credibility, gdelt_tone, adjusted_label, "
        "matched_on, article_url, undated from marts.fct_news_articles",
    )
    a = got[f"news:article:{article_id(LINK_A)}"]
    assert (a["outlet"], a["source_credibility"], a["gdelt_tone"]) == ("Lakemont Gazette", "unknown", 4)
    assert a["article_url"] == "https://lakemont-gazette.example/news/2026/lakemont-opens-new-wing"
    misinfo = got[f"news:article:{article_id(MISINFO)}"]
    assert misinfo["source_credibility"] == "low_credibility" and misinfo["gdelt_tone"] == -6
    assert got[f"news:article:{UNDATED['article_id']}"]["undated"]


def test_news_share_of_voice_is_its_own_platform(built):
    got = rows(
        built[0],
        "select brand_id || '/' || platform as k, mentions from marts.fct_share_of_voice_daily "
        f"where platform = 'news' and mention_date = '{N1}'",
    )
    assert got and all(k.endswith("/news") for k in got)


def test_night_by_night_equals_one_build_of_every_night(built):
    nightly, whole = built
    for table in (
        "staging.stg_news__posts",
        "staging.stg_facebook__posts",
        "staging.stg_facebook__comments",
        "staging.stg_instagram__posts",
        "marts.fct_mentions",
    ):
        content = f"(select * exclude (_loaded_in_build) from {table})"
        with warehouse(nightly) as a, warehouse(whole) as b:
            assert ordered_digest(a, content) == ordered_digest(b, content), table


def test_no_needle_reaches_the_warehouse(built):
    pattern = re.compile("|".join(re.escape(n) for n in NEEDLES), re.IGNORECASE)
    with warehouse(built[0]) as con:
        leaks = [(table, m.group(0)) for table, value in all_text_values(con) if (m := pattern.search(value))]
    assert not leaks, leaks[:5]
