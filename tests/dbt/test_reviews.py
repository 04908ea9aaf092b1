"""Google reviews through the warehouse: three nights of hand-made review pages (edits,
replies added, edited and deleted, a rating-only anonymous review, PHI needles in a review
and in replies) are built night by night, and the review marts must show the right versions,
reply times with their bounds, PHI flags and daily ratings, the same as one build of all
three nights, with no needle and no reviewer name in any warehouse column."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, time, timedelta

import pytest

from carepulse.config import load_config
from extract import manifest
from extract.base import Night, Page, Shard
from extract.manifest import ExtractionRun
from tests.conftest import CONFIG
from tests.dbt.conftest import all_text_values, ordered_digest, run_dbt, warehouse, write_config_json

pytestmark = pytest.mark.slow

N1 = (datetime.now(UTC) - timedelta(days=4)).date()
N2, N3 = N1 + timedelta(days=1), N1 + timedelta(days=2)
LOCATION_ID, LOCATION = "lakemont_main", "accounts/1099/locations/2001"
SELECT = "+fct_review_versions +fct_location_rating_daily"  # models only: the full build tests them
NEEDLES = ("Zebulon", "Quixote", "Olga", "Petrova", "(555) 013-4477", "jane.q.patient@example.com", "4471298")


def at(day, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def review(rid: str, created: str, stars: str, comment: str | None, *, updated: str | None = None,
           name: str = "Pat Doe", reply: tuple[str, str] | None = None) -> dict:
    doc = {"name": f"{LOCATION}/reviews/{rid}", "reviewId": rid,
           "reviewer": {"displayName": name, "isAnonymous": not name,
                        **({"profilePhotoUrl": f"https://lh3.example/{rid}"} if name else {})},
           "starRating": stars, "createTime": created, "updateTime": updated or created}
    if comment is not None:
        doc["comment"] = comment
    if reply:
        doc["reviewReply"] = {"comment": reply[0], "updateTime": reply[1]}
    return doc


B_COMMENT = "Nobody called back. Reach me at (555) 013-4477 or jane.q.patient@example.com, MRN 4471298."
B_REPLY = "Zebulon, we're sorry your colonoscopy on March 3 was delayed. Your copay was applied."
E_REPLY = "Olga, your test results after the MRI were normal; thank you for trusting us."

# what each night's read returned (newest updated first is not needed by the warehouse)
NIGHTS = {
    N1: [review("A", at(N1, 8), "FIVE", "Great nurses on the cardiac floor."),
         review("B", at(N1, 9), "ONE", B_COMMENT, updated=at(N1, 11), name="Zebulon Quixote",
                reply=(B_REPLY, at(N1, 11))),
         review("C", at(N1, 7), "TWO", "Long wait in the lobby.")],
    N2: [review("A", at(N1, 8), "FIVE", "Great nurses on the cardiac floor.", updated=at(N2, 10),
                reply=("Thank you for the kind words!", at(N2, 10))),
         review("C", at(N1, 7), "FOUR", "Better on my second visit.", updated=at(N2, 12)),
         review("D", at(N2, 6), "THREE", None, name=""),
         review("E", at(N2, 9), "FIVE", "Kind staff.", updated=at(N2, 13), name="Olga Petrova",
                reply=(E_REPLY, at(N2, 13)))],
    N3: [review("A", at(N1, 8), "FIVE", "Great nurses on the cardiac floor.", updated=at(N3, 9),
                reply=("Thank you, we will share this with the team.", at(N3, 9))),
         review("B", at(N1, 9), "ONE", B_COMMENT, updated=at(N3, 8), name="Zebulon Quixote")],
}


def land(raw, cfg, night, reviews, monkeypatch) -> None:
    """One finished run of the night, read at 02:00 the next morning."""
    read_at = datetime.combine(night + timedelta(days=1), time(2), UTC)
    monkeypatch.setattr(manifest, "utcnow", lambda: read_at.isoformat(timespec="milliseconds")
                        .replace("+00:00", "Z"))
    n = Night(night)
    shard = Shard("gbp", "reviews", LOCATION_ID, n.start, n.end, handles=(LOCATION,), owned=True)
    run = ExtractionRun.create(raw, n, cfg, [shard])
    body = {"reviews": reviews, "totalReviewCount": len(reviews)}
    page = Page("gbp.reviews.list", f"http://127.0.0.1/gbp/v4/{LOCATION}/reviews",
                {"pageSize": 50, "orderBy": "updateTime desc"}, 200, body,
                json.dumps(body, separators=(",", ":")), len(reviews), None)
    run.commit_page(shard, 1, page)
    run.end_shard(shard, "complete", None, None)
    run.finalize()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cfg = load_config(CONFIG)
    nightly, whole = (tmp_path_factory.mktemp(n) / "home" for n in ("nightly", "whole"))
    with pytest.MonkeyPatch.context() as mp:
        for night, reviews in NIGHTS.items():
            land(nightly / "raw", cfg, night, reviews, mp)
            write_config_json(cfg, nightly)
            run_dbt(nightly, "run", select=SELECT)
    shutil.copytree(nightly / "raw", whole / "raw")
    write_config_json(cfg, whole)
    run_dbt(whole, "run", select=SELECT)
    return nightly, whole


def rows(home, sql: str) -> dict:
    with warehouse(home) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def test_current_state_of_each_review(built):
    got = rows(built[0], "select native_review_id, star_rating, has_reply, reply_text, review_text, "
                         "reviewer, sentiment_label, version_count from marts.fct_reviews")
    assert set(got) == {"A", "B", "C", "D", "E"}
    assert got["A"]["reply_text"] == "Thank you, we will share this with the team."
    assert not got["B"]["has_reply"] and got["B"]["reply_text"] is None
    assert got["C"]["star_rating"] == 4 and got["C"]["review_text"] == "Better on my second visit."
    assert got["D"]["reviewer"] is None and got["D"]["review_text"] is None
    assert got["D"]["sentiment_label"] is None  # rating only: nothing to score
    assert got["A"]["sentiment_label"] == "positive"
    assert [got[k]["version_count"] for k in "ABCDE"] == [3, 2, 2, 1, 1]


def test_versions_say_what_changed(built):
    got = rows(built[0], "select version_key, changes from marts.fct_review_versions")
    changes = {k.split(":")[-1]: v["changes"] for k, v in got.items()}
    assert changes == {"A#1": ["first_read"], "A#2": ["reply_added"], "A#3": ["reply_edited"],
                       "B#1": ["first_read"], "B#2": ["reply_deleted"],
                       "C#1": ["first_read"], "C#2": ["review_edited", "rating_changed"],
                       "D#1": ["first_read"], "E#1": ["first_read"]}


def test_reply_times_are_bounded_by_the_nightly_reads(built):
    got = rows(built[0], "select split_part(review_key, ':', 3), first_reply_night, hours_to_reply, "
                         "hours_to_reply_min, hours_to_reply_max, answered_within_7d, reply_edited, "
                         "reply_deleted, phi_flags from marts.fct_review_replies")
    a, b, e = got["A"], got["B"], got["E"]
    # A: no reply at the read of N2 02:00 (18 h after creation), there at N3 02:00 (42 h)
    assert (a["first_reply_night"], a["hours_to_reply_min"], a["hours_to_reply"], a["hours_to_reply_max"]) \
        == (N2, 18.0, 26.0, 42.0)
    assert a["answered_within_7d"] and a["reply_edited"] and not a["reply_deleted"]
    # B: replied before its first read; the reply was deleted later
    assert (b["first_reply_night"], b["hours_to_reply_min"], b["hours_to_reply"], b["hours_to_reply_max"]) \
        == (N1, 0.0, 2.0, 17.0)
    assert b["reply_deleted"] and b["phi_flags"] == []
    kinds = {flag.split(":")[0] for flag in e["phi_flags"]}
    assert kinds == {"reviewer_name", "patient_relationship", "clinical"}, e["phi_flags"]
    assert set(got) == {"A", "B", "E"}


def test_daily_ratings_and_running_totals(built):
    got = rows(built[0], f"select date_day, reviews, avg_rating, rating_5, total_reviews, avg_rating_all, "
                         f"reviews_30d, response_rate_30d from marts.fct_location_rating_daily "
                         f"where location_id = '{LOCATION_ID}'")
    assert got[N1]["reviews"] == 3 and got[N1]["avg_rating"] == pytest.approx((5 + 1 + 4) / 3, abs=1e-3)
    assert got[N2]["reviews"] == 2 and got[N2]["rating_5"] == 1
    assert got[N3]["total_reviews"] == 5 and got[N3]["avg_rating_all"] == pytest.approx(18 / 5)
    assert got[N3]["reviews_30d"] == 5 and got[N3]["response_rate_30d"] == pytest.approx(2 / 5)


def test_night_by_night_equals_one_build_of_every_night(built):
    nightly, whole = built
    for table in ("fct_reviews", "fct_review_versions", "fct_review_replies", "fct_location_rating_daily"):
        content = f"(select * exclude (_loaded_in_build) from marts.{table})"
        with warehouse(nightly) as a, warehouse(whole) as b:
            assert ordered_digest(a, content) == ordered_digest(b, content), table


def test_no_needle_and_no_reviewer_name_reaches_the_warehouse(built):
    pattern = re.compile("|".join(re.escape(n) for n in NEEDLES), re.IGNORECASE)
    with warehouse(built[0]) as con:
        leaks = [(table, m.group(0)) for table, value in all_text_values(con) if (m := pattern.search(value))]
        named = con.execute("select count(*) from marts.fct_review_replies where reply_text like '%[NAME]%'")
        assert named.fetchone()[0] == 1  # E's reply named its reviewer: the name is gone
    assert not leaks, leaks[:5]
