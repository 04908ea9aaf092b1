"""Simulated Google Business Profile reviews: each location's reviews as a function of time.

Review `i` of a location is drawn from a seed (the same in every process), so the state of
any review at any moment is computed, not stored: created at a steady rate with jitter, a
star rating (skewed to five as real review sites are), a comment or none (rating-only
reviews), a named or anonymous reviewer; some are edited days later (new rating and text,
a later updateTime), some get an owner reply hours or days later, and some replies are
edited or deleted afterwards. Every event moves the review's updateTime, which is what the
API orders by. Timestamps carry 0 to 9 fractional digits, as Google's do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from extract.simulator.world import DAY_MS, HOUR_MS, stable_seed

STARS = ("ONE", "TWO", "THREE", "FOUR", "FIVE")
UNSPECIFIED = "STAR_RATING_UNSPECIFIED"  # rare: a rating Google could not read
STAR_WEIGHTS = (0.13, 0.07, 0.08, 0.20, 0.52)
FIRST_NAMES = ("Maria", "James", "Aisha", "Wei", "Priya", "Carlos", "Emily", "Daniel", "Fatima",
               "Robert", "Linda", "Kenji", "Olga", "Samuel", "Grace", "Tom", "Nadia", "Luis")
LAST_INITIALS = tuple("ABCDEFGHJKLMNPRSTW")
COMMENTS = {
    1: ("Waited four hours in the ER and nobody told us anything.",
        "Billing sent my account to collections for a charge my plan covers. Unacceptable.",
        "Rude front desk staff and the parking is a nightmare."),
    2: ("The nurses were kind but the wait was far too long.",
        "Discharge instructions were confusing and nobody called back."),
    3: ("Average experience. Clean rooms, slow check-in.",
        "Doctor was good, scheduling is a mess."),
    4: ("Good care overall, the maternity ward staff were lovely.",
        "Quick visit to urgent care, friendly team."),
    5: ("Outstanding nurses on the cardiac floor, thank you all!",
        "Dr. Alvarez explained everything clearly. Best hospital in town.",
        "Clean, calm and kind. The volunteers at the entrance were wonderful."),
}
SAFE_REPLIES = (
    "Thank you for your feedback. We take every concern seriously; please contact our Patient "
    "Relations team so we can learn more.",
    "Thank you for the kind words! We will share them with the whole team.",
    "We're sorry to hear this. Privacy rules keep us from discussing any individual situation; "
    "please call our patient advocate.",
)
# replies a privacy officer must see (transform/reply_screening.py flags each)
UNSAFE_REPLIES = (
    "{first}, we're sorry your visit to the ER took so long.",
    "Our records show you were seen on a busy night; we apologise for the wait.",
    "Your copay was applied correctly, please call billing about the balance.",
)


@dataclass(frozen=True)
class Review:
    """One review as it stands at a moment (None fields: absent from the JSON)."""

    review_id: str
    display_name: str
    is_anonymous: bool
    star_rating: str
    comment: str | None
    create_ms: int
    update_ms: int
    create_digits: int
    update_digits: int
    reply: str | None
    reply_ms: int | None


@dataclass(frozen=True)
class _Plan:
    """Everything about review i, drawn once from its seed."""

    create_ms: int
    name: str
    anonymous: bool
    stars: tuple[int, int]  # before and after an edit
    comments: tuple[str | None, str | None]
    edit_ms: int | None
    reply_ms: int | None
    replies: tuple[str, str]  # first reply, edited reply
    reply_edit_ms: int | None
    reply_delete_ms: int | None
    digits: int
    unspecified: bool


class ReviewWorld:
    """The reviews of every location, `per_day` new ones per location per day from `start_ms`."""

    def __init__(self, seed: int, start_ms: int, per_day: float = 6.0):
        self.seed = seed
        self.start_ms = start_ms
        self.per_day = per_day

    def count(self, location: str, now_ms: int) -> int:
        """Reviews created by `now_ms` (review i is created near start + i / per_day days)."""
        if now_ms < self.start_ms:
            return 0
        return min(int((now_ms - self.start_ms) * self.per_day / DAY_MS) + 1, 1_000_000)

    def reviews(self, location: str, now_ms: int) -> list[Review]:
        """Every review of the location as it stands at now_ms, newest-updated first."""
        found = (self.review(location, i, now_ms) for i in range(self.count(location, now_ms)))
        return sorted((r for r in found if r is not None), key=lambda r: (-r.update_ms, r.review_id))

    def review(self, location: str, i: int, now_ms: int) -> Review | None:
        plan = self._plan(location, i)
        if plan.create_ms > now_ms:
            return None
        edited = plan.edit_ms is not None and plan.edit_ms <= now_ms
        events = [plan.create_ms, plan.edit_ms if edited else None]
        reply, reply_ms = None, None
        if plan.reply_ms is not None and plan.reply_ms <= now_ms:
            if plan.reply_delete_ms is not None and plan.reply_delete_ms <= now_ms:
                events.append(plan.reply_delete_ms)  # the reply is gone; the deletion still moved updateTime
            else:
                reply_edited = plan.reply_edit_ms is not None and plan.reply_edit_ms <= now_ms
                reply = plan.replies[1] if reply_edited else plan.replies[0]
                reply_ms = plan.reply_edit_ms if reply_edited else plan.reply_ms
                events.append(reply_ms)
        anonymous = plan.anonymous
        update_ms = max(e for e in events if e is not None)
        return Review(
            review_id=f"AbFvOq{stable_seed(self.seed, location, i) % 10**12:012d}",
            display_name="" if anonymous else plan.name, is_anonymous=anonymous,
            star_rating=UNSPECIFIED if plan.unspecified else STARS[plan.stars[1 if edited else 0] - 1],
            comment=plan.comments[1 if edited else 0], create_ms=plan.create_ms,
            update_ms=update_ms, create_digits=plan.digits,
            # an unchanged review's updateTime is its createTime, spelled the same way
            update_digits=plan.digits if update_ms == plan.create_ms else (plan.digits + 3) % 10,
            reply=reply, reply_ms=reply_ms)

    def _plan(self, location: str, i: int) -> _Plan:
        return _plan(self.seed, self.start_ms, self.per_day, location, i)


@lru_cache(maxsize=200_000)
def _plan(seed: int, start_ms: int, per_day: float, location: str, i: int) -> _Plan:
    """Review i's plan: a pure function of its arguments, so drawn once per process (every
    request walks a location's reviews from the first)."""
    rng = random.Random(stable_seed(seed, "review", location, i))
    create = start_ms + int(i * DAY_MS / per_day) + rng.randrange(int(DAY_MS / per_day))
    first = rng.choice(FIRST_NAMES)
    name = f"{first} {rng.choice(LAST_INITIALS)}."
    rating = rng.choices(range(1, 6), STAR_WEIGHTS)[0]
    edited = min(5, max(1, rating + rng.choice((-2, -1, 1, 2))))
    comment = None if rng.random() < 0.2 else rng.choice(COMMENTS[rating])
    edited_comment = rng.choice(COMMENTS[edited])
    edit_ms = create + rng.randrange(DAY_MS, 5 * DAY_MS) if rng.random() < 0.12 else None
    reply_ms = create + rng.randrange(2 * HOUR_MS, 10 * DAY_MS) if rng.random() < 0.65 else None
    unsafe = rng.random() < 0.15
    reply = (rng.choice(UNSAFE_REPLIES) if unsafe else rng.choice(SAFE_REPLIES)).format(first=first)
    reply_edit = reply_delete = None
    if reply_ms is not None:
        reply_edit = reply_ms + rng.randrange(HOUR_MS, 3 * DAY_MS) if rng.random() < 0.1 else None
        reply_delete = reply_ms + rng.randrange(DAY_MS, 5 * DAY_MS) if rng.random() < 0.08 else None
    return _Plan(create, name, rng.random() < 0.1, (rating, edited), (comment, edited_comment),
                 edit_ms, reply_ms, (reply, rng.choice(SAFE_REPLIES)), reply_edit, reply_delete,
                 rng.randrange(10), rng.random() < 0.01)


def stars(rating: str) -> int:
    """1-5 for a rating, 0 for STAR_RATING_UNSPECIFIED."""
    return STARS.index(rating) + 1 if rating in STARS else 0


def rfc3339(ms: int, digits: int) -> str:
    """`2026-11-20T14:03:11.9Z` with 0-9 fractional digits (Google trims trailing precision)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    nanos = f"{(ms % 1000) * 1_000_000:09d}"
    return f"{base}.{nanos[:digits]}Z"


def review_json(location: str, review: Review) -> dict:
    """The v4 Review resource: `comment` absent on a rating-only review, `reviewReply` only
    while a reply stands."""
    doc: dict = {
        "name": f"{location}/reviews/{review.review_id}",
        "reviewId": review.review_id,
        "reviewer": {"profilePhotoUrl": f"https://lh3.googleusercontent.com/a/{review.review_id}",
                     "displayName": review.display_name, "isAnonymous": review.is_anonymous},
        "starRating": review.star_rating,
        "createTime": rfc3339(review.create_ms, review.create_digits),
        "updateTime": rfc3339(review.update_ms, review.update_digits),
    }
    if review.is_anonymous:
        del doc["reviewer"]["profilePhotoUrl"]
    if review.comment is not None:
        doc["comment"] = review.comment
    if review.reply is not None and review.reply_ms is not None:
        doc["reviewReply"] = {"comment": review.reply, "updateTime": rfc3339(review.reply_ms, 3)}
    return doc
