"""marts__fct_data_health_nightly: one row per night x platform; also the freshness check.

No NULL keys; platform known; status from its four values; counts non-negative; and
freshness: the newest night in the mart is at least the night being published and not after
today (a backfilled earlier night keeps the later ones), or, when no night is given, no older than
FRESHNESS_MAX_AGE_DAYS before today.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from carepulse.config import PLATFORMS, LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_data_health_nightly"
FRESHNESS_MAX_AGE_DAYS = 3
COUNTS = ("runs", "pages_fetched", "records_fetched", "malformed_pages", "posts_staged", "mentions",
          "quarantined_records")
SQL = f"""
select health_key, night, platform, health_status,
       {", ".join(f"cast({n} as double) as {n}" for n in COUNTS)}
from marts.fct_data_health_nightly
"""


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("health_key", "night", "platform", "health_status"),
        c.in_set("platform", PLATFORMS),
        c.in_set("health_status", {"ok", "partial", "failed", "missing"}),
        *c.non_negative(*COUNTS),
        gxe.ExpectColumnMaxToBeBetween(column="night", min_value={"$PARAMETER": "freshness_min"},
                                       max_value={"$PARAMETER": "freshness_max"}),
    ]
