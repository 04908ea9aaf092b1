"""marts__fct_mention_aspects: one row per aspect occurrence in a mention or review.

No NULL keys; the aspect one of the taxonomy's; brand known; polarity one of three; the
clause's compound in [-1, 1]; a location only on reviews; and the published clause passes the
residue detector again (it is patient text shown on the dashboard).
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import LoadedConfig
from expectations.suites import common as c
from transform.aspects import default_taxonomy

NAME = "marts__fct_mention_aspects"
WINDOW_COLUMN = "mention_date"
SQL = """
select mention_aspect_key, post_key, brand_id, aspect_id, mention_date, polarity,
       cast(sentence_compound as double) as sentence_compound, is_excluded,
       (location_id is null) or entity_type = 'review' as location_only_on_reviews,
       coalesce(sentence_redacted, '') as text_redacted
from marts.fct_mention_aspects
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("mention_aspect_key", "post_key", "brand_id", "aspect_id", "mention_date", "polarity",
                    "is_excluded"),
        c.in_set("aspect_id", set(default_taxonomy().aspects)),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("polarity", {"positive", "neutral", "negative"}),
        c.between("sentence_compound", -1, 1),
        *c.all_true("location_only_on_reviews"),
        c.in_set("text_has_phi_residue", {False}),
    ]
