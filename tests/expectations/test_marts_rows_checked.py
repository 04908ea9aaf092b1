"""The marts gate reads the rows a build wrote and the recent window, not history."""

from __future__ import annotations

from datetime import date

import duckdb

from expectations import suites
from expectations.marts_frames import _read


def _warehouse(path):
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema build")
    con.execute("create table build.int_build as select 'b2' as build_id")
    con.execute("create table build.int_build_dates as select date '2026-10-01' as activity_date")
    cols = ", ".join(f"null as {c}" for c in ("post_key", "brand_id", "platform", "author_key", "entity_type",
                                              "matched_on", "stock_label", "adjusted_label", "stock_compound",
                                              "adjusted_compound", "engagements", "reach", "views",
                                              "language", "is_excluded", "exclusion_reason"))
    con.execute(f"""create table marts.fct_mentions as
        select * from (values ('old-untouched', date '2026-10-01', 'b1'),
                              ('old-rewritten', date '2026-10-01', 'b2'),
                              ('older-rewritten', date '2026-09-01', 'b2'),
                              ('recent', date '2026-11-25', 'b1'),
                              ('older', date '2026-10-02', 'b1'))
        as t(mention_key, mention_date, _loaded_in_build), (select {cols})""")
    con.close()


def test_a_stamped_mart_is_checked_on_the_rows_its_build_wrote_and_the_window(tmp_path):
    db = tmp_path / "w.duckdb"
    _warehouse(db)
    with duckdb.connect(str(db), read_only=True) as con:
        frame = _read(con, suites.module("marts__fct_mentions"), date(2026, 11, 20), [], rewritten=True)
    # not 'old-untouched': a row of a rewritten date that this build did not write
    assert sorted(frame["mention_key"]) == ["old-rewritten", "older-rewritten", "recent"]
