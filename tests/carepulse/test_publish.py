"""Write-audit-publish: the candidate replaces the published file only after a passing gate."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from carepulse import audit as carepulse_audit
from carepulse.publish import (
    PublishRecoveryFailed,
    PublishRefused,
    hash_candidate,
    interrupted,
    publish,
    record_gate,
    recover,
)
from extract.landing import sha256_file
from tests.conftest import ROOT


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


def test_gate_binds_the_hash_made_beside_it_only_if_the_file_kept_its_identity(home, warehouse):
    candidate, _, audit = warehouse
    passed = {"marts": {"success": True, "failures": []}}
    hashed = hash_candidate(candidate)
    assert hashed[0] == sha256_file(candidate)
    record_gate(audit, candidate, passed, ("a" * 64, hashed[1]))  # same file: not read again
    assert json.loads((audit / "gate.json").read_text())["candidate_sha256"] == "a" * 64
    candidate.write_bytes(b"rewritten while the gate ran")  # the hash made beside it is stale
    record_gate(audit, candidate, passed, hashed)
    gate = json.loads((audit / "gate.json").read_text())
    assert gate["candidate_sha256"] == sha256_file(candidate) != hashed[0]


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


# -- a publish is one recoverable transaction: sealed evidence, then the swap ----------------------

CRASH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from carepulse import audit
    from carepulse.publish import publish
    home, where = Path(sys.argv[1]), sys.argv[2]
    run = home / "audit" / "run-1"

    def seal():
        if where == "mid-seal":            # the bundle is written, the chain not yet
            (run / "bundle.json").write_text("{}")
            os._exit(9)
        audit.seal(home, run)
        os._exit(9)                        # sealed, killed before the swap

    publish(home, run, seal)
""")


def passing_gate(candidate, audit):
    record_gate(audit, candidate, {"raw": {"success": True, "failures": []},
                                   "marts": {"success": True, "failures": []}})


def crash_publish(home, where: str) -> None:
    proc = subprocess.run([sys.executable, "-c", CRASH, str(home), where], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr


def test_evidence_is_sealed_before_the_swap(home, warehouse):
    candidate, published, audit = warehouse
    passing_gate(candidate, audit)
    seen = []

    def seal():
        seen.append(published.read_bytes())
        carepulse_audit.seal(home, audit)

    publish(home, audit, seal)
    assert seen == [b"old warehouse"] and published.read_bytes() == b"new warehouse"
    assert interrupted(home) is None
    assert carepulse_audit.verify(home).ok


def test_a_seal_that_fails_leaves_everything_as_it_was(home, warehouse):
    candidate, published, audit = warehouse
    passing_gate(candidate, audit)

    def seal():
        (audit / "marts.json").write_text("{}")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        publish(home, audit, seal)
    assert published.read_bytes() == b"old warehouse" and candidate.exists()
    assert interrupted(home) is None
    assert not (audit / "publish.json").exists() and not (audit / "bundle.json").exists()


def test_a_kill_between_seal_and_swap_is_completed_by_the_next_writer(home, warehouse):
    candidate, published, audit = warehouse
    passing_gate(candidate, audit)
    crash_publish(home, "sealed")
    assert published.read_bytes() == b"old warehouse" and interrupted(home)["run_id"] == "run-1"
    report = carepulse_audit.verify(home)
    assert any("interrupted" in p.what for p in report.problems), report.problems
    assert "completed the interrupted publish of run run-1" in recover(home)
    assert published.read_bytes() == b"new warehouse" and not candidate.exists()
    assert interrupted(home) is None and recover(home) is None
    assert carepulse_audit.verify(home).ok


def test_a_kill_while_sealing_is_reverted_by_the_next_writer(home, warehouse):
    candidate, published, audit = warehouse
    passing_gate(candidate, audit)
    crash_publish(home, "mid-seal")
    assert "reverted the interrupted publish of run run-1" in recover(home)
    assert published.read_bytes() == b"old warehouse" and candidate.exists()
    assert not (audit / "bundle.json").exists() and not (audit / "publish.json").exists()
    assert interrupted(home) is None
    publish(home, audit, lambda: carepulse_audit.seal(home, audit))  # and it can publish again
    assert published.read_bytes() == b"new warehouse" and carepulse_audit.verify(home).ok


def test_a_sealed_publish_whose_file_is_gone_is_not_guessed(home, warehouse):
    candidate, _, audit = warehouse
    passing_gate(candidate, audit)
    crash_publish(home, "sealed")
    candidate.write_bytes(b"something else")
    with pytest.raises(PublishRecoveryFailed, match=r"neither .* is that file"):
        recover(home)


def test_verify_fails_on_a_published_warehouse_no_sealed_bundle_covers(home, warehouse):
    """A warehouse swapped in without sealed evidence (the old step-by-step publish, a disk that
    filled while sealing) must fail `audit verify`, not pass it unexamined."""
    report = carepulse_audit.verify(home)
    assert not report.ok
    assert any("not covered by any sealed evidence bundle" in p.what for p in report.problems)


def test_a_same_size_rewrite_after_validation_is_still_refused(home, warehouse):
    """publish trusts the gate's hash only for the very file the gate read (inode, size, mtime)."""
    candidate, published, audit = warehouse
    record_gate(audit, candidate, {"marts": {"success": True, "failures": []}})
    candidate.write_bytes(b"NEW warehouse")  # same size, new mtime
    with pytest.raises(PublishRefused, match="changed after validation"):
        publish(home, audit)
    assert published.read_bytes() == b"old warehouse"


def test_the_published_record_names_the_previous_file_only_while_it_is_that_file(home, warehouse):
    from carepulse.publish import published_state, record_published

    candidate, published, audit = warehouse
    record_gate(audit, candidate, {"marts": {"success": True, "failures": []}})
    first = publish(home, audit)
    record_published(home, first.sha256, {"fct_x": {"b1": [1, 2, 3]}})
    assert published_state(home)["mart_parts"] == {"fct_x": {"b1": [1, 2, 3]}}
    published.write_bytes(b"restored from a backup")
    assert published_state(home) == {}  # another file: hashed again, parts recomputed


def test_mart_digests_summed_per_build_equal_the_whole_table_and_reuse_unchanged_parts(tmp_path):
    import duckdb

    from carepulse.evidence import digest_sql, mart_hashes

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_a as select range as k, 'b' || (range % 3) as _loaded_in_build "
                    "from range(1000)")
        con.execute("create table marts.dim_b as select range as k from range(10)")
        con.execute("create view marts.fct_v as select k, now() as read_at from marts.dim_b")
    hashes, parts = mart_hashes(db)
    assert hashes["fct_v"]["rows"] == 10 and hashes["fct_v"]["digest"].startswith("sha256(view definition)")
    assert mart_hashes(db)[0]["fct_v"] == hashes["fct_v"]  # read later: the same digest
    with duckdb.connect(str(db), read_only=True) as con:
        rows, lower, upper = con.execute(digest_sql("fct_a")).fetchone()
    import hashlib
    assert hashes["fct_a"]["sha256"] == hashlib.sha256(f"{rows}:{lower}:{upper}".encode()).hexdigest()
    assert set(parts["fct_a"]) == {"b0", "b1", "b2"} and "dim_b" not in parts
    # a part whose row count is unchanged is reused as known (here: deliberately wrong, to see it)
    known = {"fct_a": {**parts["fct_a"], "b1": [parts["fct_a"]["b1"][0], 0, 0]}}
    again, _ = mart_hashes(db, known)
    assert again["fct_a"]["sha256"] != hashes["fct_a"]["sha256"]
    # a build that lost rows is summed again
    with duckdb.connect(str(db)) as con:
        con.execute("delete from marts.fct_a where k = 1")
    after, after_parts = mart_hashes(db, known)
    assert after_parts["fct_a"]["b1"][0] == parts["fct_a"]["b1"][0] - 1
    assert after["fct_a"]["rows"] == 999


def test_a_build_part_that_lost_rows_is_reduced_by_the_rows_gone_and_equals_a_full_sum(tmp_path):
    """Sealing a night: the published warehouse's parts, less the rows the night deleted (found
    by key in the published file), plus the night's rows, give the whole-table digest."""
    import shutil

    import duckdb

    from carepulse.evidence import mart_hashes

    previous, candidate = tmp_path / "published.duckdb", tmp_path / "candidate.duckdb"
    with duckdb.connect(str(previous)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_mentions as select 'm' || range as mention_key, range as n, "
                    "'b' || (range % 3) as _loaded_in_build from range(3000)")
    _, known = mart_hashes(previous)
    shutil.copyfile(previous, candidate)
    with duckdb.connect(str(candidate)) as con:  # the night rewrites 40 mentions of older builds
        con.execute("delete from marts.fct_mentions where n % 75 = 0")
        con.execute("insert into marts.fct_mentions select 'm' || range, range + 1, 'b3' "
                    "from range(3000) where range % 75 = 0")
    incremental, parts = mart_hashes(candidate, known, previous)
    full, full_parts = mart_hashes(candidate)
    assert incremental == full and parts == full_parts
    with duckdb.connect(str(candidate)) as con:  # and deletes two for good (a post no longer matching)
        con.execute("delete from marts.fct_mentions where mention_key in ('m1', 'm2')")
    incremental, parts = mart_hashes(candidate, known, previous)
    full, full_parts = mart_hashes(candidate)
    assert incremental == full and parts == full_parts and full["fct_mentions"]["rows"] == 2998
