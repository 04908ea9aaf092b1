"""marts__fct_aspect_sentiment_daily: day x brand x location x aspect.

No NULL keys; aspect and brand known; counts non-negative and adding up (positive + neutral +
negative = mentions); net sentiment in [-1, 1]; a spike only on a day with at least the
configured negative mentions.
"""

from __future__ import annotations

from carepulse.config import LoadedConfig
from expectations.suites import common as c
from transform.aspects import default_taxonomy

NAME = "marts__fct_aspect_sentiment_daily"
WINDOW_COLUMN = "activity_date"
SQL = """
select aspect_day_key, activity_date, brand_id, location_id, aspect_id, mentions, positive_mentions,
       neutral_mentions, negative_mentions, cast(net_sentiment as double) as net_sentiment,
       cast(baseline_mentions_mean as double) as baseline_mentions_mean,
       positive_mentions + neutral_mentions + negative_mentions = mentions as counts_add_up,
       not is_spike or negative_mentions >= aspect_spike_min_negative as spike_has_volume
from marts.fct_aspect_sentiment_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("aspect_day_key", "activity_date", "brand_id", "location_id", "aspect_id"),
        c.in_set("aspect_id", set(default_taxonomy().aspects)),
        c.in_set("brand_id", c.brand_ids(config)),
        *c.non_negative("mentions", "positive_mentions", "neutral_mentions", "negative_mentions",
                        "baseline_mentions_mean"),
        c.between("net_sentiment", -1, 1),
        *c.all_true("counts_add_up", "spike_has_volume"),
    ]
