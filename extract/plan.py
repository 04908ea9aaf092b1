"""Plan a night's extraction shards from the config: one per (platform, tracked query), and
for a review source one per location of ours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from carepulse.config import Brand, Feed, Location, MonitoringConfig, Topic
from carepulse.sources import SOURCES
from extract.base import Night, Shard

# a location never extracted completely before: every review it has
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
# a night that does not walk: only the newest reviews the connector re-reads every night
NO_WALK = datetime(9999, 12, 31, tzinfo=UTC)


def _handle(platform: str, handle: str) -> str:
    """Handle as written in a mention on that platform (without the leading '@')."""
    return handle.lstrip("@")


def _brand_mentions(platform: str, brand: Brand, night: Night) -> Shard:
    handle = brand.handles.for_platform(platform)
    return Shard(
        platform=platform, kind="mentions", key=brand.id, since=night.start, until=night.end,
        terms=tuple(brand.terms), hashtags=tuple(brand.hashtags),
        handles=(_handle(platform, handle),) if handle else (), exclude=tuple(brand.exclude),
    )


def _topic_mentions(platform: str, topic: Topic, night: Night) -> Shard:
    return Shard(
        platform=platform, kind="mentions", key=f"topic_{topic.id}", since=night.start,
        until=night.end, terms=tuple(topic.keywords), hashtags=tuple(topic.hashtags),
        exclude=tuple(topic.exclude),
    )


def _accounts(platform: str, brand: Brand, night: Night, lookback_days: int, owned: bool):
    handle = brand.handles.for_platform(platform)
    if not handle:
        return None
    return Shard(
        platform=platform, kind="accounts", key=brand.id, since=night.lookback_start(lookback_days),
        until=night.end, handles=(handle,), owned=owned,
    )


def _feed(platform: str, feed: Feed, night: Night) -> Shard:
    """One feed, read whole: its items are matched to brands in the warehouse."""
    return Shard(platform=platform, kind="feed", key=feed.id, since=night.start, until=night.end,
                 handles=(feed.url,), terms=(feed.name,) if feed.name else ())


def _social(platform: str, cfg: MonitoringConfig, night: Night, lookback: int) -> list[Shard]:
    """A social source's shards by its reach: what anyone may search, only our own accounts,
    or the news (every feed, and an article search per brand)."""
    reach = SOURCES[platform].reach
    if reach == "news":
        return ([_feed(platform, f, night) for f in cfg.news.feeds]
                + ([_brand_mentions(platform, b, night) for b in cfg.brands] if cfg.news.gdelt else []))
    if reach == "owned":
        shard = _accounts(platform, cfg.organisation, night, lookback, owned=True)
        return [shard] if shard is not None else []
    shards = [_brand_mentions(platform, b, night) for b in cfg.brands]
    shards += [_topic_mentions(platform, t, night) for t in cfg.topics]
    for brand in cfg.brands:
        shard = _accounts(platform, brand, night, lookback, owned=brand is cfg.organisation)
        if shard is not None:
            shards.append(shard)
    return shards


def high_water(raw_root: Path | None, night: Night, shard_id: str) -> datetime:
    """When the last complete extraction of `shard_id` for an earlier night began: every
    review updated before then was read by it. Nights are looked at newest first and the
    search stops at the first complete one, so it reads one manifest on a normal night."""
    base = Path(raw_root) / "manifests" if raw_root else None
    if base is None or not base.is_dir():
        return BEGINNING
    nights = sorted((p for p in base.glob("date=*") if p.name < f"date={night.date.isoformat()}"),
                    reverse=True)
    for folder in nights:
        for manifest in sorted(folder.glob("run=*/manifest.json"), reverse=True):
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            if doc.get("shards", {}).get(shard_id, {}).get("status") == "complete":
                return datetime.fromisoformat(doc["started_at"])
    return BEGINNING


def _reviews(platform: str, location: Location, night: Night, raw_root: Path | None,
             walk: bool) -> Shard:
    since = high_water(raw_root, night, f"{platform}.reviews.{location.id}") if walk else NO_WALK
    return Shard(platform=platform, kind="reviews", key=location.id, since=since, until=night.end,
                 handles=(location.gbp_location,), owned=True)


def plan_shards(cfg: MonitoringConfig, night: Night, platforms: list[str] | None = None,
                raw_root: Path | None = None, walk_reviews: bool = True) -> list[Shard]:
    """Every shard for the night, in a stable order (platform, kind, key). `raw_root` gives a
    review source its high-water marks (without it, every review is read). walk_reviews=False
    (the older nights of a backfill, planned before any of them ran): reviews are read as they
    stand now whatever the night, so only the newest night of the batch walks; the others
    read the re-read window only."""
    enabled = list(cfg.platforms.enabled())
    chosen = [p for p in enabled if platforms is None or p in platforms]
    lookback = cfg.extraction.engagement_lookback_days
    shards: list[Shard] = []
    for platform in chosen:
        if SOURCES[platform].kind == "reviews":
            shards += [_reviews(platform, loc, night, raw_root, walk_reviews)
                       for loc in cfg.review_locations()]
            continue
        shards += _social(platform, cfg, night, lookback)
    return shards
