"""What the gate leaves behind holds counts, never row values: planted patient text and a
planted secret in failing columns reach neither the results JSON, nor the Data Docs, nor
the exception message."""

from __future__ import annotations

import json
import os
import socket
from datetime import date

import duckdb
import pandas as pd
import pytest

from expectations import ValidationFailed, run_gate, suites
from expectations.marts_frames import read_marts
from tests.expectations.conftest import frame_of, iso, page
from tests.expectations.test_marts_suites import question

PATIENT = "Jane Roe DOB 04/12/1961 MRN 00482913"
SECRET = "AIzaSyCanary-0000-not-a-real-key-111"


def x_frame_with_canaries() -> pd.DataFrame:
    tweet = {"id": "1", "text": PATIENT, "author_id": "42", "created_at": iso(3), "lang": PATIENT,
             "referenced_tweets": [{"type": SECRET, "id": "2"}],
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}}
    body = {"data": [tweet], "includes": {"users": [{"id": "42", "verified_type": SECRET}]}}
    return frame_of(suites.module("raw__x_tweets"), body, page("x", "x.tweets.search.recent"))


def questions_frame_with_canaries() -> pd.DataFrame:
    rows = pd.DataFrame([question(text_redacted=f"{PATIENT} {SECRET}", item_kind=PATIENT)])
    return suites.module("marts__fct_patient_questions").prepare(rows)


@pytest.fixture(scope="module")
def failed_gate(loaded_config, tmp_path_factory):
    audit = tmp_path_factory.mktemp("audit") / "run-canary"
    frames = {"raw__x_tweets": x_frame_with_canaries(),
              "marts__fct_patient_questions": questions_frame_with_canaries()}
    parameters = {"raw__x_tweets": {"volume_min": 0, "volume_max": None}}
    with pytest.raises(ValidationFailed) as caught:
        run_gate("canary", frames, audit, loaded_config, parameters=parameters)
    return caught.value


def test_the_canaries_sat_in_failing_columns(failed_gate):
    failures = "\n".join(failed_gate.report.failures)
    lang = "raw__x_tweets: expect_column_values_to_match_regex(column=lang): 1 of 1 rows unexpected"
    assert lang in failures
    assert "(column=author_verified_type)" in failures and "(column=reference_type)" in failures
    assert "marts__fct_patient_questions: expect_column_values_to_be_in_set(column=item_kind)" in failures
    assert "(column=text_has_phi_residue)" in failures


def test_no_canary_in_results_docs_or_message(failed_gate):
    report = failed_gate.report
    docs = report.docs_index.parent
    pages = sorted(p for p in docs.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".js"))
    assert report.docs_index.exists() and len(pages) > 2
    texts = {str(p): p.read_text(errors="replace") for p in [report.results_path, *pages]}
    texts["exception"] = str(failed_gate)
    for canary in (PATIENT, SECRET, "Jane Roe", "00482913"):
        leaks = [where for where, text in texts.items() if canary in text]
        assert not leaks, (canary, leaks)


def test_results_keep_counts_but_no_value_samples(failed_gate):
    document = json.loads(failed_gate.report.results_path.read_text())
    result = next(r for r in document["results"]["raw__x_tweets"]["results"]
                  if r["expectation_config"]["kwargs"].get("column") == "lang")
    assert result["result"]["unexpected_count"] == 1
    samples = {"partial_unexpected_list", "partial_unexpected_counts", "unexpected_list"}
    assert not samples & set(result["result"])
    assert document["result_format"]["partial_unexpected_count"] == 0


def test_exceptions_are_reported_without_their_message(suite_runner):
    frame = x_frame_with_canaries().drop(columns=["lang"])
    report = suite_runner.report("raw__x_tweets", frame, {"volume_min": 0, "volume_max": None})
    raised = "raw__x_tweets: expect_column_values_to_match_regex(column=lang): raised MetricResolutionError"
    assert raised in report.failures
    text = report.results_path.read_text()
    assert "Traceback" not in text and "message withheld" in text


def test_an_unreadable_mart_becomes_a_frame_that_fails(loaded_config, tmp_path):
    """A candidate without marts: every frame has no columns, so each of its expectations raises
    (as test_exceptions_are_reported_without_their_message shows) and the suite fails."""
    candidate = tmp_path / "candidate.duckdb"
    duckdb.connect(str(candidate)).close()
    marts = read_marts(candidate, tmp_path / "raw", loaded_config, date(2026, 11, 26))
    assert set(marts.frames) == set(suites.MARTS)
    assert all(len(frame.columns) == 0 for frame in marts.frames.values())
    unread = [note for note in marts.notes if "could not read the mart (CatalogException)" in note]
    assert len(unread) == len(suites.MARTS)


def test_the_gate_opens_no_network_connection(loaded_config, tmp_path, monkeypatch):
    attempts = []

    def refuse(sock, address, *args):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    frame = suites.module("marts__fct_patient_questions").prepare(pd.DataFrame([question()]))
    report = run_gate("marts", {"marts__fct_patient_questions": frame}, tmp_path / "audit", loaded_config)
    assert report.success and report.docs_index.exists()
    assert attempts == []
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
