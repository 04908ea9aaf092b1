"""marts__fct_patient_questions: one row per question or complaint x brand it addresses.

No NULL keys; brand and platform known; kinds and channels from their documented values;
response and waiting times non-negative; adjusted sentiment in [-1, 1]; and the published
text passes the warehouse's own residue detector again (the privacy screen at staging is
the first lock, this the second): the frame carries only that verdict, never the text.
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_patient_questions"
WINDOW_COLUMN = "asked_date"  # rows checked: the recent window (see marts_frames)
SQL = """
select patient_question_key, post_key, brand_id, platform, author_key, asked_date, item_kind,
       addressed_via, is_answered, response_minutes, hours_waiting,
       cast(adjusted_compound as double) as adjusted_compound, coalesce(text_redacted, '') as text_redacted
from marts.fct_patient_questions
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The text becomes the residue verdict before GX sees the frame."""
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("patient_question_key", "post_key", "brand_id", "author_key", "is_answered"),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("platform", PLATFORMS),
        c.in_set("item_kind", {"question", "complaint"}),
        c.in_set("addressed_via", {"reply_to_brand_post", "comment_on_brand_post", "handle"}),
        *c.non_negative("response_minutes", "hours_waiting"),
        c.between("adjusted_compound", -1, 1),
        c.in_set("text_has_phi_residue", {False}),
    ]
