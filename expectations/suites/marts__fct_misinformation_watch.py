"""marts__fct_misinformation_watch: one row per flagged public post or comment.

No NULL keys; platform known; red flags 0..7 (seven verification steps); risk level and
fact-check verdict from their documented values; link counts, followers and engagements
non-negative; and the published text passes the warehouse's residue detector (the frame
carries only that verdict, never the text).
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_misinformation_watch"
WINDOW_COLUMN = "published_date"  # rows checked: the recent window (see marts_frames)
SQL = """
select post_key, platform, author_key, published_date, red_flags, risk_level, fact_check_verdict,
       evidence_link_count, author_followers, engagements, coalesce(text_redacted, '') as text_redacted
from marts.fct_misinformation_watch
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The text becomes the residue verdict before GX sees the frame."""
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("post_key", "author_key", "red_flags", "risk_level"),
        c.in_set("platform", PLATFORMS),
        c.between("red_flags", 0, 7),
        c.in_set("risk_level", {"high", "medium", "low"}),
        c.in_set("fact_check_verdict", {"false", "unverified"}),
        *c.non_negative("evidence_link_count", "author_followers", "engagements"),
        c.in_set("text_has_phi_residue", {False}),
    ]
