"""raw__gbp_reviews: one row per review in the night's Google Business Profile reviews pages.

Contract: review id and name present, the name inside the location the page was asked for
(`accounts/*/locations/*/reviews/<id>`); a known star rating (STAR_RATING_UNSPECIFIED is
accepted and counted, not rated); create and update times parse (0-9 fractional digits),
updateTime not before createTime and not after the page was fetched; an anonymous reviewer
has an empty display name; a reply has a comment and an update time not before the review's
creation. A rating-only review (no `comment`) is valid.
"""

from __future__ import annotations

from typing import Any

from carepulse.config import LoadedConfig
from expectations.raw_zone import PageContext
from expectations.suites import common as c
from expectations.values import as_str, dig, has_text, iso_utc

NAME = "raw__gbp_reviews"
PLATFORM = "gbp"
ENTITY = "review"
ENDPOINTS = ("gbp.reviews.list",)
RATINGS = {"ONE", "TWO", "THREE", "FOUR", "FIVE", "STAR_RATING_UNSPECIFIED"}
COLUMNS = ["review_id", "review_name", "star_rating", "has_comment", "is_anonymous",
           "anonymous_without_name", "create_time", "update_time", "update_not_before_create",
           "has_reply", "reply_complete", "window_start", "window_end"]


def items(endpoint: str, body: Any) -> list[Any]:
    reviews = dig(body, "reviews")
    return reviews if isinstance(reviews, list) else []


def rows(endpoint: str, body: Any, page: PageContext) -> list[dict[str, Any]]:
    window = c.fetched_window(page)
    out = []
    for review in items(endpoint, body):
        created, updated = iso_utc(dig(review, "createTime")), iso_utc(dig(review, "updateTime"))
        anonymous = dig(review, "reviewer", "isAnonymous") is True
        reply = dig(review, "reviewReply")
        replied = iso_utc(dig(reply, "updateTime")) if isinstance(reply, dict) else None
        out.append({
            "review_id": as_str(dig(review, "reviewId")),
            "review_name": as_str(dig(review, "name")),
            "star_rating": as_str(dig(review, "starRating")),
            "has_comment": has_text(dig(review, "comment")),
            "is_anonymous": anonymous,
            "anonymous_without_name": (not anonymous) or not dig(review, "reviewer", "displayName"),
            "create_time": created,
            "update_time": updated,
            "update_not_before_create": created is None or updated is None or updated >= created,
            "has_reply": isinstance(reply, dict),
            "reply_complete": not isinstance(reply, dict) or (
                has_text(dig(reply, "comment")) and replied is not None
                and (created is None or replied >= created)),
            **window,
        })
    return out


def staging_keys(endpoint: str, body: Any) -> set[str]:
    """What the reviews staging will key each review by."""
    return {f"gbp:review:{r['reviewId']}" for r in items(endpoint, body)
            if isinstance(r, dict) and r.get("reviewId")}


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("review_id", "review_name", "star_rating", "create_time", "update_time"),
        c.matches("review_name", r"^accounts/[^/]+/locations/[^/]+/reviews/[^/]+$"),
        c.in_set("star_rating", RATINGS),
        *c.all_true("anonymous_without_name", "update_not_before_create", "reply_complete"),
        *c.inside_window("update_time"),
        c.volume_band(),
    ]
