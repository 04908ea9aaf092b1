"""marts__fct_sentiment_alerts_daily: one row per day x panel brand x platform (plus 'all').

No NULL keys; brand known; platform known or 'all'; net sentiment in [-1, 1]; counts
non-negative; the alert flag set and the alert kind from its four values (news_spike on news).
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_sentiment_alerts_daily"
SQL = """
select sentiment_day_key, date_day, brand_id, platform, mentions, is_alert, alert_kind,
       cast(positive_mentions as double) as positive_mentions,
       cast(negative_mentions as double) as negative_mentions,
       cast(net_sentiment as double) as net_sentiment
from marts.fct_sentiment_alerts_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("sentiment_day_key", "date_day", "brand_id", "platform", "is_alert"),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("platform", {*PLATFORMS, "all"}),
        c.between("net_sentiment", -1, 1),
        *c.non_negative("mentions", "positive_mentions", "negative_mentions"),
        c.in_set("alert_kind", {"net_sentiment_drop", "net_sentiment_rise", "negative_volume_spike",
                                "news_spike"}),
    ]
