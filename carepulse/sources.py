"""The source registry: one declaration per source that CarePulse extracts, stages and checks.

Every part that used to write the platform list out reads it here: the config model (one
`platforms.<name>` block and one handle per source), the extraction runner (connectors), the
Airflow pools, the demo's loopback credentials, the simulator (its platform classes), the GX
gate (raw suites, accepted platforms) and dbt, through `dbt_project/macros/registry.sql`,
which `carepulse dbt-manifest` writes from this module (tests fail while it is stale).
Adding a source means its own files (connector, simulator platform, staging models, raw
suite) plus one entry here; `tests/carepulse/test_sources.py` checks that every part exists,
and `docs/adding-a-source.md` lists them.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

REGISTRY_MACRO = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "registry.sql"


@dataclass(frozen=True)
class Entity:
    """A kind of item the warehouse stages from a source, one row per item (its latest copy)."""

    name: str  # what stg_quarantine calls it: post, comment
    base_model: str  # the scratch-database model that parses the source's pages into it
    staged_model: str  # the staging model that keeps it (redacted, pseudonymised)
    key: str  # the staged model's key column
    raw_suite: str  # the GX suite that checks the raw pages it comes from


@dataclass(frozen=True)
class Source:
    name: str  # the platform column's value, config key, raw zone partition
    display_name: str
    kind: str  # social (posts and comments, authors with profiles) or reviews (of our sites)
    connector: str  # "module:Class" of its extract.base.Connector
    simulator: str  # "module:Class" of its simulated API (extract.simulator.platforms)
    endpoints: tuple[str, ...]  # endpoint names its pages carry (extract/items.py says where items sit)
    entities: tuple[Entity, ...]
    credential: str  # the shape of the one secret its config names (credential_env)
    demo_credential: str  # accepted by the loopback simulator only
    # what a night asks a social source for: "public" (search for every brand and topic, plus
    # every brand's account), "owned" (only our own accounts: the platform gives page owners,
    # not the public, their data), "news" (the configured feeds plus a search per brand)
    reach: str = "public"

    @property
    def pool(self) -> str:
        """The Airflow pool its extraction tasks share (the platform's API quota)."""
        return f"platform_{self.name}"

    @property
    def staging_models(self) -> tuple[str, ...]:
        """Every staging model of the source: its entities, and what its kind adds (a social
        source: post snapshots and authors; a review source: each night's observations)."""
        return (*(e.staged_model for e in self.entities),
                *(f"stg_{self.name}__{m}" for m in KIND_MODELS[self.kind]))

    @property
    def base_models(self) -> tuple[str, ...]:
        extra = (f"base_{self.name}__author_observations",) if self.kind == "social" else ()
        return (*dict.fromkeys(e.base_model for e in self.entities), *extra)


# the staging models a source of each kind brings besides its entities
KIND_MODELS = {"social": ("post_snapshots", "authors"), "reviews": ("review_observations",)}


def _posts(platform: str, base: str, suite: str) -> Entity:
    return Entity("post", f"base_{platform}__{base}", f"stg_{platform}__posts", "post_key", suite)


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("youtube", "YouTube", "social", "extract.youtube:YouTubeConnector",
           "extract.simulator.platforms.youtube:YouTube",
           ("youtube.search.list", "youtube.videos.list", "youtube.channels.list",
            "youtube.commentThreads.list"),
           (_posts("youtube", "videos", "raw__youtube_videos"),
            Entity("comment", "base_youtube__comments", "stg_youtube__comments", "comment_key",
                   "raw__youtube_comment_threads")),
           "API key", "demo-youtube-api-key"),
    Source("reddit", "Reddit", "social", "extract.reddit:RedditConnector",
           "extract.simulator.platforms.reddit:Reddit",
           ("reddit.search", "reddit.user.about"),
           (_posts("reddit", "posts", "raw__reddit_posts"),),
           "client_id:client_secret (script app)", "demo-client:demo-secret"),
    Source("mastodon", "Mastodon", "social", "extract.mastodon:MastodonConnector",
           "extract.simulator.platforms.mastodon:Mastodon",
           ("mastodon.search", "mastodon.timelines.tag", "mastodon.accounts.statuses",
            "mastodon.accounts.lookup"),
           (_posts("mastodon", "posts", "raw__mastodon_statuses"),),
           "access token", "demo-mastodon-token"),
    Source("bluesky", "Bluesky", "social", "extract.bluesky:BlueskyConnector",
           "extract.simulator.platforms.bluesky:Bluesky",
           ("bluesky.feed.searchPosts", "bluesky.actor.getProfiles"),
           (_posts("bluesky", "posts", "raw__bluesky_posts"),),
           "handle:app-password", "demo.bsky.social:demo-app-password"),
    Source("x", "X", "social", "extract.x:XConnector", "extract.simulator.platforms.x:X",
           ("x.tweets.search.recent",),
           (_posts("x", "posts", "raw__x_tweets"),),
           "bearer token", "demo-x-bearer-token"),
    Source("facebook", "Facebook", "social", "extract.facebook:FacebookConnector",
           "extract.simulator.platforms.facebook:Facebook",
           ("facebook.page.posts", "facebook.page.tagged", "facebook.post.comments"),
           (_posts("facebook", "posts", "raw__facebook_posts"),
            Entity("comment", "base_facebook__comments", "stg_facebook__comments", "comment_key",
                   "raw__facebook_comments")),
           "page access token[:app secret]", "demo-fb-page-token:demo-fb-app-secret", reach="owned"),
    Source("instagram", "Instagram", "social", "extract.instagram:InstagramConnector",
           "extract.simulator.platforms.instagram:Instagram",
           ("instagram.user.media", "instagram.user.tags", "instagram.media.comments"),
           (_posts("instagram", "media", "raw__instagram_media"),
            Entity("comment", "base_instagram__comments", "stg_instagram__comments", "comment_key",
                   "raw__instagram_comments")),
           "access token[:app secret]", "demo-ig-token:demo-ig-app-secret", reach="owned"),
    Source("news", "News", "social", "extract.news:NewsConnector",
           "extract.simulator.platforms.news:News",
           ("news.feed", "news.gdelt.artlist", "news.gdelt.tonechart"),
           (_posts("news", "articles", "raw__news_articles"),),
           "contact e-mail address (sent in the User-Agent)", "newsdesk@lakemont.example",
           reach="news"),
    Source("gbp", "Google reviews", "reviews", "extract.gbp:GbpConnector",
           "extract.simulator.platforms.gbp:Gbp", ("gbp.reviews.list",),
           (Entity("review", "base_gbp__reviews", "stg_gbp__reviews", "post_key", "raw__gbp_reviews"),),
           "client_id:client_secret:refresh_token (OAuth)", "demo-client:demo-secret:sim-refresh-demo"),
)}

NAMES: tuple[str, ...] = tuple(SOURCES)
SOCIAL: tuple[str, ...] = tuple(n for n, s in SOURCES.items() if s.kind == "social")
# brands name an account (handles.<name>) on these
ACCOUNTS: tuple[str, ...] = tuple(n for n in SOCIAL if SOURCES[n].reach != "news")
# searchable by anyone: the simulator's shared world generates their public posts
PUBLIC: tuple[str, ...] = tuple(n for n in SOCIAL if SOURCES[n].reach == "public")


def load(spec: str) -> type:
    """The class a "module:Class" spec names."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def entities() -> list[tuple[Source, Entity]]:
    return [(source, entity) for source in SOURCES.values() for entity in source.entities]


def raw_suites() -> tuple[str, ...]:
    return tuple(entity.raw_suite for _, entity in entities())


# -- dbt reads the registry through a generated macro ----------------------------------------

def registry_macro() -> str:
    """dbt_project/macros/registry.sql: the registry as a Jinja literal, so that models loop over
    sources at parse time (their ref()s are then known to dbt's graph)."""
    doc = [{"name": s.name, "display_name": s.display_name, "kind": s.kind,
            "entities": [asdict(e) for e in s.entities]}
           for s in SOURCES.values()]
    return ("{#- Generated from carepulse/sources.py by `carepulse dbt-manifest`; do not edit.\n"
            "    The registered sources, with the entities each stages. -#}\n"
            "{% macro registered_sources() -%}\n"
            "    {{- return(" + json.dumps(doc, indent=4).replace("\n", "\n    ") + ") -}}\n"
            "{%- endmacro %}\n")


def write_registry_macro(path: Path = REGISTRY_MACRO) -> bool:
    """Write the macro if it differs; whether it changed."""
    text = registry_macro()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
