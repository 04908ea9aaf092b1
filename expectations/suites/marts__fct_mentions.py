"""marts__fct_mentions: publish-time boundaries of the mention fact (one row per mention x brand).

No NULL dimension keys; platform and brand are ones the config knows (an 'unknown' member
here would mean a broken join); enumerations as documented; VADER compounds in [-1, 1];
engagements, reach and views non-negative. Keys and metric maths stay with dbt's tests.
"""

from __future__ import annotations

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_mentions"
WINDOW_COLUMN = "mention_date"  # rows checked: the recent window (see marts_frames)
SQL = """
select mention_key, post_key, brand_id, platform, mention_date, author_key, entity_type, matched_on,
       stock_label, adjusted_label, cast(stock_compound as double) as stock_compound,
       cast(adjusted_compound as double) as adjusted_compound, engagements, reach, views
from marts.fct_mentions
"""
LABELS = {"positive", "neutral", "negative"}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("mention_key", "post_key", "brand_id", "platform", "mention_date", "author_key"),
        c.in_set("platform", PLATFORMS),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("entity_type", {"post", "comment"}),
        c.in_set("matched_on", {"handle", "hashtag", "alias", "query"}),
        c.in_set("stock_label", LABELS),
        c.in_set("adjusted_label", LABELS),
        c.between("stock_compound", -1, 1),
        c.between("adjusted_compound", -1, 1),
        *c.non_negative("engagements", "reach", "views"),
    ]
