"""marts__fct_review_replies: one row per review that has or had an owner reply.

No NULL keys; hours to reply non-negative and inside their stated bounds
(min <= estimate <= max); the 7-day flag agrees with the estimate; the flag count matches
the flags; and the published reply text passes the residue detector again.
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_review_replies"
WINDOW_COLUMN = "first_reply_night"
SQL = """
select review_key, location_id, first_reply_night, hours_to_reply, hours_to_reply_min,
       hours_to_reply_max, answered_within_7d, reply_edited, reply_deleted, phi_flag_count,
       array_length(phi_flags) as flags_listed,
       hours_to_reply_min <= hours_to_reply and hours_to_reply <= hours_to_reply_max as inside_bounds,
       answered_within_7d = (hours_to_reply <= 168) as seven_day_flag_agrees,
       coalesce(reply_text, '') as text_redacted
from marts.fct_review_replies
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    locations = {loc.id for loc in config.config.review_locations()}
    return [
        *c.not_null("review_key", "location_id", "first_reply_night", "hours_to_reply",
                    "answered_within_7d", "reply_edited", "reply_deleted", "phi_flag_count"),
        c.in_set("location_id", locations),
        *c.non_negative("hours_to_reply", "hours_to_reply_min", "hours_to_reply_max"),
        *c.all_true("inside_bounds", "seven_day_flag_agrees"),
        c.equal("phi_flag_count", "flags_listed"),
        c.in_set("text_has_phi_residue", {False}),
    ]
