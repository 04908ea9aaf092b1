"""marts__fct_influencer_mentions_daily: one row per public author x brand x day.

No NULL keys; brand and platform known; mean adjusted sentiment in [-1, 1]; at least one
mention per row; engagements and reach non-negative. (The author's tier and influence score
are dim_authors', checked by dbt tests there.)
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_influencer_mentions_daily"
WINDOW_COLUMN = "mention_date"  # rows checked: the recent window (see marts_frames)
COUNTS = ("engagements", "reach", "positive_mentions", "negative_mentions")
SQL = f"""
select influencer_day_key, mention_date, brand_id, author_key, platform, mentions,
       cast(avg_adjusted_compound as double) as avg_adjusted_compound,
       {", ".join(f"cast({n} as double) as {n}" for n in COUNTS)}
from marts.fct_influencer_mentions_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("influencer_day_key", "mention_date", "brand_id", "author_key", "platform"),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("platform", PLATFORMS),
        c.between("avg_adjusted_compound", -1, 1),
        c.between("mentions", 1, None),
        *c.non_negative(*COUNTS),
    ]
