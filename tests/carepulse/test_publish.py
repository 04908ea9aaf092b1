"""Write-audit-publish: the candidate replaces the published file only after a passing gate."""

from __future__ import annotations

import json

import pytest

from carepulse.publish import PublishRefused, publish, record_gate
from extract.landing import sha256_file


@pytest.fixture
def warehouse(home):
    folder = home / "warehouse"
    folder.mkdir(parents=True)
    candidate, published = folder / "candidate.duckdb", folder / "carepulse.duckdb"
    candidate.write_bytes(b"new warehouse")
    published.write_bytes(b"old warehouse")
    audit = home / "audit" / "run-1"
    audit.mkdir(parents=True)
    return candidate, published, audit


def test_no_gate_record_refuses(home, warehouse):
    _, published, audit = warehouse
    with pytest.raises(PublishRefused, match="no quality-gate record"):
        publish(home, audit)
    assert published.read_bytes() == b"old warehouse"


def test_failed_gate_refuses_and_names_the_failures(home, warehouse):
    candidate, published, audit = warehouse
    record_gate(audit, candidate, {"raw": {"success": True, "failures": []},
                                   "marts": {"success": False, "failures": ["marts__x: expect_y"]}})
    with pytest.raises(PublishRefused, match="marts__x: expect_y"):
        publish(home, audit)
    assert published.read_bytes() == b"old warehouse" and candidate.exists()


def test_candidate_changed_after_validation_refuses(home, warehouse):
    candidate, published, audit = warehouse
    record_gate(audit, candidate, {"marts": {"success": True, "failures": []}})
    candidate.write_bytes(b"tampered after the gate")
    with pytest.raises(PublishRefused, match="changed after validation"):
        publish(home, audit)
    assert published.read_bytes() == b"old warehouse"


def test_open_write_ahead_log_refuses(home, warehouse):
    candidate, published, audit = warehouse
    record_gate(audit, candidate, {"marts": {"success": True, "failures": []}})
    candidate.with_name("candidate.duckdb.wal").write_bytes(b"")
    with pytest.raises(PublishRefused, match="write-ahead log"):
        publish(home, audit)
    assert published.read_bytes() == b"old warehouse"


def test_passing_gate_swaps_the_candidate_in(home, warehouse):
    candidate, published, audit = warehouse
    old = sha256_file(published)
    record_gate(audit, candidate, {"raw": {"success": True, "failures": []},
                                   "marts": {"success": True, "failures": []}})
    result = publish(home, audit)
    assert published.read_bytes() == b"new warehouse" and not candidate.exists()
    record = json.loads(result.record.read_text())
    assert record["previous_sha256"] == old and record["sha256"] == sha256_file(published)
