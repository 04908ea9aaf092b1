"""marts__fct_best_time_to_post: one row per brand x platform x content type x hour of week.

No NULL keys; brand and platform known; hour of week 0..167, hour of day 0..23, ISO day
1..7; at least one post per cell; engagements and both rates non-negative; ranks from 1.
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_best_time_to_post"
RATES = ("engagement_rate_by_followers", "mean_engagement_rate_by_followers")
SQL = f"""
select best_time_key, brand_id, platform, content_type, hour_of_week, hour_of_day, iso_day_of_week,
       posts, rank_in_content_type, cast(engagements as double) as engagements,
       {", ".join(f"cast({r} as double) as {r}" for r in RATES)}
from marts.fct_best_time_to_post
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("best_time_key", "brand_id", "platform", "content_type", "hour_of_week"),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("platform", PLATFORMS),
        c.between("hour_of_week", 0, 167),
        c.between("hour_of_day", 0, 23),
        c.between("iso_day_of_week", 1, 7),
        c.between("posts", 1, None),
        c.between("rank_in_content_type", 1, None),
        *c.non_negative("engagements", *RATES),
    ]
