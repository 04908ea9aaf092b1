"""marts__fct_location_rating_daily: one row per location of ours x day.

No NULL keys; averages within 1-5; the day's star distribution sums to its rated reviews
and never exceeds its reviews; rolling counts at least the day's; rates within [0, 1];
running totals non-negative.
"""

from __future__ import annotations

from carepulse.config import LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_location_rating_daily"
WINDOW_COLUMN = "date_day"
SQL = """
select location_id, date_day, reviews, avg_rating, avg_rating_30d, avg_rating_90d, avg_rating_all,
       reviews_30d, reviews_90d, response_rate_30d, answered_within_7d_share_30d, total_reviews,
       rating_1 + rating_2 + rating_3 + rating_4 + rating_5 <= reviews as distribution_fits,
       reviews_30d >= reviews and reviews_90d >= reviews_30d and total_reviews >= reviews as windows_nest
from marts.fct_location_rating_daily
"""


def expectations(config: LoadedConfig) -> list:
    locations = {loc.id for loc in config.config.review_locations()}
    return [
        *c.not_null("location_id", "date_day", "reviews", "reviews_30d", "reviews_90d", "total_reviews"),
        c.in_set("location_id", locations),
        *(c.between(col, 1, 5) for col in ("avg_rating", "avg_rating_30d", "avg_rating_90d",
                                             "avg_rating_all")),
        *(c.between(col, 0, 1) for col in ("response_rate_30d", "answered_within_7d_share_30d")),
        *c.non_negative("reviews", "total_reviews"),
        *c.all_true("distribution_fits", "windows_nest"),
    ]
