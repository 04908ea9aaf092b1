"""The marts suites' SQL (DuckDB dialect) as Spark SQL: the translation's rules, fast.

That every translated form runs on Spark and reads DuckDB's rows is test_gate.py's
test_every_suite_reads_the_same_rows_on_both_engines (over a real warehouse).
"""

from __future__ import annotations

from expectations import suites
from expectations.engines import to_spark
from expectations.marts_frames import _loaded_comments_sql


def test_parameters_become_spark_markers():
    sql = to_spark("select * from marts.t where d >= $since or d in (select unnest($keys))")
    assert ":since" in sql and ":keys" in sql and "$" not in sql


def test_a_list_length_stays_null_for_a_null_list():
    # Spark's size() is -1 for NULL (legacy sizeOfNull); DuckDB's array_length is NULL
    assert "ARRAY_SIZE(phi_flags)" in to_spark("select array_length(phi_flags) from marts.fct_review_replies")


def test_every_suite_translates():
    for name in suites.MARTS:
        sql = to_spark(suites.module(name).SQL)
        assert "$" not in sql and "unnest" not in sql.lower(), name


def test_the_comment_count_translates():
    sql = to_spark(_loaded_comments_sql("youtube", "staging.stg_youtube__comments", "comment_id"))
    assert "EXPLODE(:keys)" in sql and "'youtube'" in sql
