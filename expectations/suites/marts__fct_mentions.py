"""marts__fct_mentions: publish-time boundaries of the mention fact (one row per mention x brand).

No NULL dimension keys; platform and brand are ones the config knows (an 'unknown' member
here would mean a broken join); enumerations as documented; VADER compounds in [-1, 1], and
NULL exactly when the text's language is not scored (a non-English text never carries a VADER
label); a language code on every row; an exclusion reason exactly on excluded mentions;
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
       cast(adjusted_compound as double) as adjusted_compound, engagements, reach, views,
       language, is_excluded, exclusion_reason,
       (adjusted_label = 'not_scored') = (language not in ('en', 'zxx')) as scored_iff_english,
       (adjusted_compound is null) = (adjusted_label = 'not_scored') as compound_iff_scored,
       (exclusion_reason is not null) = is_excluded as reason_iff_excluded
from marts.fct_mentions
"""
LABELS = {"positive", "neutral", "negative", "not_scored"}


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
        *c.not_null("language", "is_excluded"),
        c.matches("language", r"^(?:[a-z]{2}|und|zxx)$"),
        c.in_set("exclusion_reason", {"copy_paste", "bot_account"}),
        *c.all_true("scored_iff_english", "compound_iff_scored", "reason_iff_excluded"),
    ]
