"""marts__fct_post_engagement_daily: one row per brand-account post per snapshot night.

No NULL dimension keys; brand and platform known to the config; engagement rates (by
followers, by views) non-negative; engagements, comments, shares, views and followers
non-negative (likes are not: a Reddit score can be); publish hour of week in 0..167.
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_post_engagement_daily"
WINDOW_COLUMN = "snapshot_date"  # rows checked: the recent window (see marts_frames)
COUNTS = ("engagements", "comments", "shares", "views", "followers_at_post_time")
RATES = ("engagement_rate_by_followers", "engagement_rate_by_views")
SQL = f"""
select post_snapshot_key, post_key, snapshot_date, platform, author_key, brand_id,
       publish_hour_of_week, {", ".join(COUNTS)},
       {", ".join(f"cast({r} as double) as {r}" for r in RATES)}
from marts.fct_post_engagement_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("post_snapshot_key", "post_key", "snapshot_date", "platform", "author_key",
                    "brand_id"),
        c.in_set("platform", PLATFORMS),
        c.in_set("brand_id", c.brand_ids(config)),
        *c.non_negative(*COUNTS, *RATES),
        c.between("publish_hour_of_week", 0, 167),
    ]
