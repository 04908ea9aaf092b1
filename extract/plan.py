"""Plan a night's extraction shards from the config: one per (platform, tracked query)."""

from __future__ import annotations

from carepulse.config import Brand, MonitoringConfig, Topic
from extract.base import Night, Shard


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


def plan_shards(cfg: MonitoringConfig, night: Night, platforms: list[str] | None = None) -> list[Shard]:
    """Every shard for the night, in a stable order (platform, kind, key)."""
    enabled = list(cfg.platforms.enabled())
    chosen = [p for p in enabled if platforms is None or p in platforms]
    lookback = cfg.extraction.engagement_lookback_days
    shards: list[Shard] = []
    for platform in chosen:
        shards += [_brand_mentions(platform, b, night) for b in cfg.brands]
        shards += [_topic_mentions(platform, t, night) for t in cfg.topics]
        for brand in cfg.brands:
            shard = _accounts(platform, brand, night, lookback, owned=brand is cfg.organisation)
            if shard is not None:
                shards.append(shard)
    return shards
