"""The five review marts, written into a copy of the published world for the reviews page.

The simulator world has no Google Business Profile reviews or HCAHPS landing yet, so the tests
publish these marts themselves, with the mart contract's columns and types: 120 days of
reviews of the organisation's three sites (rating-only, unspecified stars, anonymous
reviewers, replies late and early, edited and deleted), each reply's time bounded by the
nightly reads, replies screened by the real `transform.reply_screening`, the daily rating
mart worked out from the reviews, and two HCAHPS periods for four facilities. Everything is
drawn from one seed and dated back from the world's newest night, so it is the same on every
run. Tables are replaced when they exist (the pipeline's own marts, once they land), so the
rows the tests check are always these.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from transform.reply_screening import reply_flags

SEED = 20261207
HISTORY_DAYS = 120
READ_AT = time(2, 30)  # night D is read at D+1 02:30 UTC

DDL = {
    "dim_locations": """
        location_id varchar primary key, brand_id varchar, location_name varchar, city varchar,
        gbp_location varchar, cms_ccn varchar, is_own boolean""",
    "fct_reviews": """
        review_key varchar primary key, location_id varchar, brand_id varchar,
        created_at timestamptz, updated_at timestamptz, created_date date, star_rating integer,
        has_comment boolean, review_text varchar, reviewer varchar, is_anonymous boolean,
        sentiment_compound double, sentiment_label varchar, has_reply boolean, reply_text varchar,
        first_seen_night date, last_seen_night date, version_count integer""",
    "fct_review_replies": """
        review_key varchar primary key, location_id varchar, brand_id varchar,
        review_created_at timestamptz, star_rating integer, first_reply_night date,
        reply_updated_at timestamptz, hours_to_reply double, hours_to_reply_min double,
        hours_to_reply_max double, answered_within_7d boolean, reply_edited boolean,
        reply_deleted boolean, reply_text varchar, phi_flag_count integer, phi_flags varchar[]""",
    "fct_location_rating_daily": """
        location_id varchar, brand_id varchar, date_day date, reviews integer, avg_rating double,
        rating_1 integer, rating_2 integer, rating_3 integer, rating_4 integer, rating_5 integer,
        reviews_30d integer, avg_rating_30d double, reviews_90d integer, avg_rating_90d double,
        response_rate_30d double, answered_within_7d_share_30d double, total_reviews integer,
        avg_rating_all double""",
    "fct_hcahps_benchmarks": """
        brand_id varchar, brand_name varchar, is_own boolean, location_id varchar, ccn varchar,
        facility_name varchar, measure_id varchar, question varchar, answer_description varchar,
        star_rating integer, answer_percent double, completed_surveys integer, period_start date,
        period_end date""",
}

# (suffix, name, city, GBP reviews per day, star weights 1..5, CMS certification number)
OWN_SITES = (
    ("main", "Lakemont Medical Center", "Lakemont", 1.6, (10, 5, 8, 25, 52), "140101"),
    ("east", "Lakemont East Hospital", "East Lakemont", 0.9, (8, 6, 10, 30, 46), "140102"),
    ("urgent", "Lakemont Urgent Care Riverside", "Riverside", 0.6, (22, 12, 14, 22, 30), None),
)

POSITIVE = (
    "The nurses on the third floor were kind and explained everything. Thank you!",
    "Dr. [NAME] took the time to listen. Clean rooms, friendly staff.",
    "Fast check-in and the discharge instructions were clear.",
    "Great care for my father, the team kept us informed every step.",
)
MIXED = (
    "Good doctors but parking is a nightmare and the signage is confusing.",
    "Care was fine, the billing office never called back at [PHONE].",
)
NEGATIVE = (
    "Waited four hours in the ER and nobody told us anything.",
    "Front desk was rude and lost my paperwork twice. Emailed [EMAIL], no answer.",
    "Discharged without anyone explaining the follow-up. Very disappointed.",
    "Billing sent me to collections for a bill I already paid. Called [PHONE] five times.",
)
SAFE_REPLIES = (
    "Thank you for your kind words, we will share them with the team.",
    "We're sorry to hear this. Please contact our patient experience office so we can help.",
    "Thank you for the feedback; we are looking into wait times at this site.",
)
# replies a privacy officer must see (each trips reply_screening's checks)
RISKY_REPLIES = (
    "We're sorry your colonoscopy was delayed; our records show you were seen by the GI team.",
    "Hi [NAME], your Medicaid claim was resubmitted and your copay refunded.",
    "We apologise for the wait during your visit last Tuesday; the ER was very busy.",
    "Thank you, we are glad your knee replacement went well and wish you a smooth recovery.",
)

HCAHPS_MEASURES = (  # (measure_id, question, answer, top box?)
    ("H_STAR_RATING", "Summary star rating", "Summary star rating", False),
    ("H_COMP_1_A_P", "Patients who reported that their nurses \"Always\" communicated well",
     "Nurses \"always\" communicated well", True),
    ("H_COMP_1_U_P", "Patients who reported that their nurses \"Usually\" communicated well",
     "Nurses \"usually\" communicated well", False),
    ("H_COMP_1_STAR_RATING", "Nurse communication - star rating", "Nurse communication - star rating",
     False),
    ("H_COMP_2_A_P", "Patients who reported that their doctors \"Always\" communicated well",
     "Doctors \"always\" communicated well", True),
    ("H_COMP_3_A_P", "Patients who reported that they \"Always\" received help as soon as they wanted",
     "Patients \"always\" received help as soon as they wanted", True),
    ("H_NURSE_RESPECT_A_P", "Patients who reported that their nurses \"Always\" treated them with "
     "courtesy and respect", "Nurses \"always\" treated them with courtesy and respect", True),
    ("H_CLEAN_HSP_A_P", "Patients who reported that their room and bathroom were \"Always\" clean",
     "Room was \"always\" clean", True),
    ("H_HSP_RATING_9_10", "Patients who gave their hospital a rating of 9 or 10 on a scale from 0 "
     "(lowest) to 10 (highest)", "Patients who gave a rating of \"9\" or \"10\" (high)", True),
    ("H_HSP_RATING_0_6", "Patients who gave their hospital a rating of 6 or lower on a scale from 0 "
     "(lowest) to 10 (highest)", "Patients who gave a rating of \"6\" or lower (low)", False),
    ("H_RECMND_DY", "Patients who reported YES, they would definitely recommend the hospital",
     "\"YES\", patients would definitely recommend the hospital", True),
    ("H_RECMND_DN", "Patients who reported NO, they would probably not or definitely not recommend "
     "the hospital", "\"NO\", patients would not recommend the hospital", False),
)
PERIODS = ((date(2024, 4, 1), date(2025, 3, 31)), (date(2024, 7, 1), date(2025, 6, 30)))  # old, latest


@dataclass(frozen=True)
class World:
    """What the copy publishes: DDL statements, then rows per table."""

    statements: tuple[str, ...]
    frames: dict[str, pd.DataFrame]


def read_at(night: date) -> datetime:
    return datetime.combine(night + timedelta(days=1), READ_AT, UTC)


def _poisson(rng: random.Random, mean: float) -> int:
    threshold, k, p = math.exp(-mean), 0, rng.random()
    while p > threshold:
        k, p = k + 1, p * rng.random()
    return k


def _label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def locations(organisation: str, competitors: list[str]) -> pd.DataFrame:
    rows = [{"location_id": f"{organisation}_{suffix}", "brand_id": organisation, "location_name": name,
             "city": city, "gbp_location": f"accounts/1099/locations/{2001 + i}", "cms_ccn": ccn,
             "is_own": True}
            for i, (suffix, name, city, _, _, ccn) in enumerate(OWN_SITES)]
    # the first two competitors have one hospital each with a CMS number (no GBP: not ours)
    for i, brand in enumerate(competitors[:2]):
        rows.append({"location_id": f"{brand}_main", "brand_id": brand,
                     "location_name": f"{brand.replace('_', ' ').title()} Hospital", "city": "Elsewhere",
                     "gbp_location": None, "cms_ccn": f"1402{i}1", "is_own": False})
    return pd.DataFrame(rows)


def _reviews(rng: random.Random, organisation: str, newest: date) -> tuple[list[dict], list[dict]]:
    """fct_reviews and fct_review_replies rows, drawn review by review."""
    reviews, replies = [], []
    first = newest - timedelta(days=HISTORY_DAYS - 1)
    for suffix, _, _, per_day, weights, _ in OWN_SITES:
        location = f"{organisation}_{suffix}"
        for offset in range(HISTORY_DAYS):
            day = first + timedelta(days=offset)
            for n in range(_poisson(rng, per_day)):
                reviews_row, reply_row = _review(rng, organisation, location, day, n, weights, newest)
                reviews.append(reviews_row)
                if reply_row:
                    replies.append(reply_row)
    more_reviews, more_replies = _scenarios(organisation, newest)
    reviews, replies = reviews + more_reviews, replies + more_replies
    # the re-read: the newest 100 updated reviews of each site are read again every night
    frame = pd.DataFrame(reviews)
    frame["rank"] = frame.groupby("location_id").updated_at.rank(ascending=False, method="first")
    for row, rank in zip(reviews, frame["rank"], strict=True):
        if rank <= 100:
            row["last_seen_night"] = newest
    return reviews, replies


def _review(rng: random.Random, organisation: str, location: str, day: date, n: int,
            weights: tuple[int, ...], newest: date) -> tuple[dict, dict | None]:
    created_at = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86_400))
    stars = None if rng.random() < 0.03 else rng.choices((1, 2, 3, 4, 5), weights)[0]
    has_comment = stars is None or rng.random() < 0.75
    pool = POSITIVE if (stars or 3) >= 4 else MIXED if stars == 3 else NEGATIVE
    text = rng.choice(pool) if has_comment else None
    compound = round(max(-1.0, min(1.0, ((stars or 3) - 3) / 2 + rng.uniform(-0.2, 0.2))), 4) \
        if has_comment else 0.0
    anonymous = rng.random() < 0.06
    reviewer = ("anonymous-" if anonymous else "reviewer-") + _key(location, day, n, "who")[:10]
    reply = None
    if rng.random() < (0.62 if (stars or 3) <= 2 else 0.85):
        delay = rng.lognormvariate(math.log(30), 1.1)
        risky = rng.random() < (0.30 if (stars or 3) <= 2 else 0.08)
        reply = (delay, rng.choice(RISKY_REPLIES if risky else SAFE_REPLIES), rng.random() < 0.1,
                 rng.random() < 0.04, rng.uniform(2, 48))
    return _rows(organisation, location, _key(location, day, n), created_at, stars, text, reviewer,
                 anonymous, compound, reply, newest)


def _rows(organisation: str, location: str, key: str, created_at: datetime, stars: int | None,
          text: str | None, reviewer: str, anonymous: bool, compound: float,
          reply: tuple[float, str, bool, bool, float] | None, newest: date) -> tuple[dict, dict | None]:
    """A review's fct_reviews row and, when a reply was read by the newest night, its
    fct_review_replies row. reply: (hours after the review, text, edited, deleted, hours from
    the reply to its edit)."""
    updated_at, versions, reply_row, has_reply, reply_text = created_at, 1, None, False, None
    if reply is not None:
        delay, reply_text, edited, deleted, edit_after = reply
        posted = created_at + timedelta(hours=delay)
        night = (posted - timedelta(hours=READ_AT.hour, minutes=READ_AT.minute)).date()
        if night <= newest:  # read by the newest night
            reply_updated = posted + (timedelta(hours=edit_after) if edited else timedelta())
            low = max(0.0, (read_at(night - timedelta(days=1)) - created_at).total_seconds() / 3600)
            high = (read_at(night) - created_at).total_seconds() / 3600
            hours = min(max(delay, low), high)
            flags = [] if deleted else reply_flags(reply_text)
            reply_row = {
                "review_key": key, "location_id": location, "brand_id": organisation,
                "review_created_at": created_at, "star_rating": stars, "first_reply_night": night,
                "reply_updated_at": reply_updated, "hours_to_reply": round(hours, 2),
                "hours_to_reply_min": round(low, 2), "hours_to_reply_max": round(high, 2),
                "answered_within_7d": hours <= 168, "reply_edited": edited, "reply_deleted": deleted,
                "reply_text": None if deleted else reply_text, "phi_flag_count": len(flags),
                "phi_flags": flags}
            has_reply = not deleted
            updated_at = max(reply_updated, created_at)
            versions += 1 + edited + deleted
    day = created_at.date()
    return {
        "review_key": key, "location_id": location, "brand_id": organisation, "created_at": created_at,
        "updated_at": updated_at, "created_date": day, "star_rating": stars,
        "has_comment": text is not None, "review_text": text, "reviewer": reviewer,
        "is_anonymous": anonymous, "sentiment_compound": compound, "sentiment_label": _label(compound),
        "has_reply": has_reply, "reply_text": reply_text if has_reply else None,
        "first_seen_night": day,
        "last_seen_night": (updated_at - timedelta(hours=READ_AT.hour, minutes=READ_AT.minute)).date(),
        "version_count": versions}, reply_row


# Cases the tests rely on whatever the draw: (site, days before the newest night, hour, stars,
# text, reply as in _rows or None). Inside the default 7-day period: a rating-only 2-star review
# and a 1-star one with text, both unanswered; a reply read on the night before the newest that
# names a procedure; a review without stars. Before it: a reply 9 days late.
SCENARIOS = (
    ("urgent", 5, 9, 2, None, None),
    ("main", 2, 14, 1, "Nobody at the front desk ([NAME]) would tell me how long the wait was.", None),
    ("east", 3, 10, 5, "Wonderful surgical team, thank you.",
     (60.0, "Thank you! We are glad your knee replacement went well, see you at your follow-up.",
      False, False, 0.0)),
    ("main", 1, 16, None, "Left after the visit without knowing what to expect next.", None),
    ("main", 12, 11, 2, "Still waiting for the billing office to call back.",
     (9 * 24.0, "We're sorry. Please contact our patient experience office so we can help.",
      False, False, 0.0)),
)


def _scenarios(organisation: str, newest: date) -> tuple[list[dict], list[dict]]:
    reviews, replies = [], []
    for i, (suffix, days_before, hour, stars, text, reply) in enumerate(SCENARIOS):
        location = f"{organisation}_{suffix}"
        created_at = datetime.combine(newest - timedelta(days=days_before), time(hour, 17), UTC)
        compound = 0.0 if text is None else -0.6 if (stars or 3) <= 2 else 0.3 if stars is None else 0.8
        review, reply_row = _rows(organisation, location, _key(location, "scenario", i), created_at,
                                  stars, text, f"reviewer-{_key('scenario', i)[:10]}", False, compound,
                                  reply, newest)
        reviews.append(review)
        replies.extend([reply_row] if reply_row else [])
    return reviews, replies


def _ratio(numerator: float, denominator: float, digits: int) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def rating_daily(reviews: pd.DataFrame, replies: pd.DataFrame, newest: date) -> pd.DataFrame:
    """fct_location_rating_daily as the contract defines it, from the reviews: every day from a
    site's first review to the newest night."""
    within = set(replies.review_key[replies.answered_within_7d])
    rows = []
    for (location, brand), mine in reviews.groupby(["location_id", "brand_id"]):
        created = mine.created_date
        for offset in range((newest - created.min()).days + 1):
            day = created.min() + timedelta(days=offset)
            today = mine[created == day]
            last30 = mine[(created > day - timedelta(days=30)) & (created <= day)]
            last90 = mine[(created > day - timedelta(days=90)) & (created <= day)]
            so_far = mine[created <= day]
            rated = today.star_rating.dropna()
            rows.append({
                "location_id": location, "brand_id": brand, "date_day": day, "reviews": len(today),
                "avg_rating": _ratio(rated.sum(), len(rated), 3),
                **{f"rating_{k}": int((today.star_rating == k).sum()) for k in range(1, 6)},
                "reviews_30d": len(last30),
                "avg_rating_30d": _ratio(last30.star_rating.sum(), last30.star_rating.count(), 3),
                "reviews_90d": len(last90),
                "avg_rating_90d": _ratio(last90.star_rating.sum(), last90.star_rating.count(), 3),
                "response_rate_30d": _ratio(last30.has_reply.sum(), len(last30), 4),
                "answered_within_7d_share_30d": _ratio(last30.review_key.isin(within).sum(), len(last30), 4),
                "total_reviews": len(so_far),
                "avg_rating_all": _ratio(so_far.star_rating.sum(), so_far.star_rating.count(), 3)})
    return pd.DataFrame(rows)


def hcahps(rng: random.Random, sites: pd.DataFrame, brand_names: dict[str, str]) -> pd.DataFrame:
    rows = []
    hospitals = sites[sites.cms_ccn.notna()]
    for _, site in hospitals.iterrows():
        quality = rng.uniform(-8, 8)
        surveys = rng.randrange(300, 1800)
        for period_start, period_end in PERIODS:
            # a competitor too small for a summary star in the latest period (CMS: "Not Available")
            no_star = not site.is_own and site.cms_ccn.endswith("11") and period_end == PERIODS[1][1]
            for measure, question, answer, top_box in HCAHPS_MEASURES:
                star = percent = None
                if measure.endswith("STAR_RATING"):
                    star = None if no_star else max(1, min(5, round(3.5 + quality / 6 + rng.uniform(-1, 1))))
                else:
                    drawn = (72 if top_box else 12) + quality + rng.uniform(-6, 6)
                    percent = float(round(min(99, max(1, drawn))))
                rows.append({
                    "brand_id": site.brand_id, "brand_name": brand_names[site.brand_id],
                    "is_own": bool(site.is_own), "location_id": site.location_id, "ccn": site.cms_ccn,
                    "facility_name": site.location_name, "measure_id": measure, "question": question,
                    "answer_description": answer, "star_rating": star, "answer_percent": percent,
                    "completed_surveys": surveys, "period_start": period_start, "period_end": period_end})
    return pd.DataFrame(rows)


def build(newest: date, organisation: str, competitors: list[str], brand_names: dict[str, str],
          seed: int = SEED) -> World:
    """The five marts for a world whose newest extracted night is `newest`."""
    rng = random.Random(seed)
    sites = locations(organisation, competitors)
    review_rows, reply_rows = _reviews(rng, organisation, newest)
    reviews = pd.DataFrame(review_rows).drop(columns="rank", errors="ignore")
    replies = pd.DataFrame(reply_rows)
    for frame, columns in ((reviews, ["star_rating", "version_count"]),
                           (replies, ["star_rating", "phi_flag_count"])):
        for column in columns:
            frame[column] = frame[column].astype("Int64")
    frames = {
        "dim_locations": sites, "fct_reviews": reviews, "fct_review_replies": replies,
        "fct_location_rating_daily": rating_daily(reviews, replies, newest),
        "fct_hcahps_benchmarks": hcahps(rng, sites, brand_names)}
    statements = tuple(f"create or replace table marts.{name} ({columns})" for name, columns in DDL.items())
    return World(statements, frames)
