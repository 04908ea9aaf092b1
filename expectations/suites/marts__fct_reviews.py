"""marts__fct_reviews: one row per review of one of our locations, its current state.

No NULL keys; locations and brands from the config; ratings 1-5 (NULL for unspecified);
sentiment in [-1, 1]; a review read at least once; and the published review and reply texts
pass the warehouse's own residue detector again (the frame carries only the verdict).
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_reviews"
WINDOW_COLUMN = "created_date"
SQL = """
select review_key, location_id, brand_id, created_date, created_at, updated_at, star_rating,
       cast(sentiment_compound as double) as sentiment_compound, has_reply, version_count,
       first_seen_night, last_seen_night,
       coalesce(review_text, '') || chr(10) || coalesce(reply_text, '') as text_redacted
from marts.fct_reviews
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    locations = {loc.id for loc in config.config.review_locations()}
    return [
        *c.not_null("review_key", "location_id", "brand_id", "created_at", "updated_at", "has_reply",
                    "version_count", "first_seen_night", "last_seen_night"),
        c.in_set("location_id", locations),
        c.in_set("brand_id", {config.config.organisation.id}),
        c.in_set("star_rating", {1, 2, 3, 4, 5}),
        c.between("sentiment_compound", -1, 1),
        c.between("version_count", 1, None),
        c.in_set("text_has_phi_residue", {False}),
    ]
