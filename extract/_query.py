"""Search-query pieces shared by the Mastodon, Bluesky and X connectors.

Each platform joins them in its own syntax (see WIRE.md); these helpers only make sure a
phrase, hashtag, handle or exclusion is spelled the same way everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

from extract.base import Shard


def quoted(phrase: str) -> str:
    """An exact-phrase term. Inner double quotes would end the phrase early, so drop them."""
    return '"' + " ".join(phrase.replace('"', " ").split()) + '"'


def bare_handle(handle: str) -> str:
    """A handle without surrounding spaces or a leading '@'."""
    return handle.strip().lstrip("@")


def phrase_terms(shard: Shard) -> list[str]:
    return [quoted(t) for t in shard.terms if t.strip()]


def hashtag_terms(shard: Shard) -> list[str]:
    return [f"#{t.strip().lstrip('#')}" for t in shard.hashtags if t.strip().lstrip("#")]


def handle_terms(shard: Shard) -> list[str]:
    return [f"@{bare_handle(h)}" for h in shard.handles if bare_handle(h)]


def positive_terms(shard: Shard) -> list[str]:
    """Phrases, #hashtags and @handles of a mentions shard, deduplicated in order."""
    return list(dict.fromkeys(phrase_terms(shard) + hashtag_terms(shard) + handle_terms(shard)))


def any_of(terms: list[str]) -> str:
    return " OR ".join(terms)


def exclusions(shard: Shard) -> list[str]:
    """`-"phrase"` for every excluded phrase (quoted even for one word: same meaning)."""
    return list(dict.fromkeys(f"-{quoted(e)}" for e in shard.exclude if e.strip()))


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC: the form X requires and Bluesky accepts."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
