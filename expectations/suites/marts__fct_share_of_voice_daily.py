"""marts__fct_share_of_voice_daily: one row per date x platform x panel brand.

Every share of voice in [0, 1]; net sentiment in [-1, 1]; counts, engagements and reach
non-negative; no NULL dimension keys; platform and brand known to the config; the panel
version is the config's locked panel (shares of two panel versions must never mix).
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_share_of_voice_daily"
WINDOW_COLUMN = "mention_date"  # rows checked: the recent window (see marts_frames)
SHARES = ("mention_sov", "engagement_sov", "reach_sov", "sentiment_weighted_sov")
COUNTS = ("mentions", "engagements", "reach", "positive_mentions", "neutral_mentions",
          "negative_mentions", "panel_mentions", "panel_engagements", "panel_reach")
SQL = f"""
select sov_key, mention_date, platform, brand_id, panel_version,
       cast(net_sentiment as double) as net_sentiment,
       {", ".join(f"cast({s} as double) as {s}" for s in SHARES)},
       {", ".join(f"cast({n} as double) as {n}" for n in COUNTS)}
from marts.fct_share_of_voice_daily
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("sov_key", "mention_date", "platform", "brand_id", "panel_version", "mention_sov"),
        c.in_set("platform", PLATFORMS),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("panel_version", {config.config.panel.version}),
        *(c.between(s, 0, 1) for s in SHARES),
        c.between("net_sentiment", -1, 1),
        *c.non_negative(*COUNTS),
    ]
