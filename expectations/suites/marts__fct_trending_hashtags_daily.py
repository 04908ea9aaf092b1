"""marts__fct_trending_hashtags_daily: one row per hashtag x platform x day.

No NULL keys; platform known; every row has at least one post and one author; baseline
days and baseline average non-negative; engagements non-negative; the trending flag set.
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_trending_hashtags_daily"
WINDOW_COLUMN = "published_date"  # rows checked: the recent window (see marts_frames)
SQL = """
select hashtag_day_key, hashtag, platform, published_date, posts, authors, baseline_days,
       cast(engagements as double) as engagements,
       cast(baseline_avg_posts as double) as baseline_avg_posts, is_trending
from marts.fct_trending_hashtags_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("hashtag_day_key", "hashtag", "platform", "published_date", "is_trending"),
        c.in_set("platform", PLATFORMS),
        c.between("posts", 1, None),
        c.between("authors", 1, None),
        *c.non_negative("baseline_days", "baseline_avg_posts", "engagements"),
    ]
