"""marts__fct_campaign_performance_daily: one row per campaign x date x platform.

No NULL dimension keys; campaign, brand and platform known to the config; counts, reach,
engagements, spend and cost per engagement non-negative; engagement rate non-negative;
mean sentiment in [-1, 1]; window day numbers from 1; mention lift at least -1 (the window
cannot have fewer than no mentions).
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_campaign_performance_daily"
WINDOW_COLUMN = "date_day"  # rows checked: the recent window (see marts_frames)
COUNTS = ("owned_posts", "mentions", "user_generated_mentions", "reach", "engagements", "daily_spend",
          "cost_per_engagement", "window_mentions_to_date", "pre_window_mentions")
SQL = f"""
select campaign_day_key, campaign_id, date_day, platform, brand_id, window_day_number,
       {", ".join(f"cast({n} as double) as {n}" for n in COUNTS)},
       cast(engagement_rate as double) as engagement_rate,
       cast(mean_sentiment as double) as mean_sentiment,
       cast(mention_lift as double) as mention_lift
from marts.fct_campaign_performance_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("campaign_day_key", "campaign_id", "date_day", "platform", "brand_id"),
        c.in_set("campaign_id", c.campaign_ids(config)),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("platform", PLATFORMS),
        *c.non_negative(*COUNTS, "engagement_rate"),
        c.between("mean_sentiment", -1, 1),
        c.between("window_day_number", 1, None),
        c.between("mention_lift", -1, None),
    ]
