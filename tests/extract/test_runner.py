"""Runner + raw zone + manifest, driven by a scripted connector (no network).

The platform connectors and the simulator have their own tests; here the point is what
the runner does with pages and failures: land, journal, resume, and report partial runs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import stat

import pytest

from extract import runner
from extract.landing import sha256_file
from tests.extract.conftest import NIGHT, PAGES_PER_SHARD


def run_x(loaded_config, raw, **kw):
    return runner.extract_night(loaded_config, NIGHT, raw, ["x"], **kw)


def landed_items(raw, manifests) -> list[str]:
    """Item ids in every committed page file listed by the given manifests."""
    ids = []
    for m in manifests:
        for f in m["files"]:
            if f["kind"] != "page":
                continue
            with gzip.open(raw / f["path"], "rt") as fh:
                ids += [item["id"] for env in map(json.loads, fh) for item in env["body"]["data"]]
    return ids


def test_clean_run_lands_pages_and_manifest(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    summary = run_x(loaded_config, raw)
    m = summary.manifest
    n_shards = len(m["shards"])
    assert m["status"] == "complete" and m["partial_reasons"] == {}
    assert m["totals"]["pages"] == n_shards * PAGES_PER_SHARD
    assert m["totals"]["records"] == n_shards * PAGES_PER_SHARD * 2
    assert m["config"]["sha256"] == loaded_config.sha256
    assert m["code_version"]["package"]
    for f in m["files"]:
        path = raw / f["path"]
        assert sha256_file(path) == f["sha256"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o400
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert f["path"].startswith(f"platform=x/date={NIGHT}/run={summary.run_id}/")
    line = gzip.open(raw / m["files"][0]["path"]).read().decode()
    env = json.loads(line)
    # the body is stored as the exact bytes received: it hashes to response_sha256
    verbatim = line[line.index(',"body":') + len(',"body":'):-2]
    assert hashlib.sha256(verbatim.encode()).hexdigest() == env["response_sha256"]
    assert {"platform", "endpoint", "params", "page", "http_status", "fetched_at", "run_id",
            "response_sha256", "body"} <= env.keys()
    assert stat.S_IMODE(summary.manifest_path.stat().st_mode) == 0o400


def test_quota_stops_platform_then_next_run_continues_from_cursor(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    first_shard = "x.mentions.lakemont"
    scripted.script = {(first_shard, 1): "quota"}
    first = run_x(loaded_config, raw).manifest
    assert first["status"] == "partial"
    assert first["shards"][first_shard]["resume_cursor"] == {"page": 1}
    assert first["shards"][first_shard]["pages"] == 1
    assert first["shards"][first_shard]["reason_kind"] == "quota_exhausted"
    others = [s for k, s in first["shards"].items() if k != first_shard]
    # shards the other worker ran meanwhile finish (how many depends on the machine's load);
    # every shard not started by the time the quota ran out is skipped
    assert all(s["status"] == "complete" or s["reason_kind"] == "skipped" for s in others)
    assert any(s["reason_kind"] == "skipped" for s in others)
    assert "canary-bearer-token" not in json.dumps(first)  # the secret was masked

    scripted.script = {}
    second = run_x(loaded_config, raw).manifest
    assert second["status"] == "complete" and second["continues_run"] == first["run_id"]
    assert second["shards"][first_shard]["pages"] == PAGES_PER_SHARD - 1
    assert second["previous_manifest"]["sha256"]

    clean = run_x(loaded_config, tmp_path / "clean_raw").manifest
    assert sorted(landed_items(raw, [first, second])) == sorted(landed_items(tmp_path / "clean_raw", [clean]))


def test_crash_midway_resumes_same_run_without_duplicates(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    scripted.script = {("x.mentions.northgate", 2): "crash"}
    with pytest.raises(KeyboardInterrupt):
        run_x(loaded_config, raw)
    [crashed] = runner.ExtractionRun.all_runs(raw, NIGHT)
    assert not crashed.finished
    # a file renamed into place but never journaled, as a kill between the two would leave
    stray = crashed.shard_dir(crashed.planned_shards()[1]) / "page-00003.jsonl.gz"
    stray.write_bytes(b"torn")

    scripted.script, scripted.calls = {}, []
    resumed = run_x(loaded_config, raw)
    assert resumed.run_id == crashed.run_id
    assert stray.read_bytes() != b"torn"  # removed, then page 3 fetched again and committed
    listed = {f["path"]: f["sha256"] for f in resumed.manifest["files"]}
    assert listed[stray.relative_to(raw).as_posix()] == sha256_file(stray)
    assert ("x.mentions.lakemont", 0) not in scripted.calls  # finished shards are not refetched
    ids = landed_items(raw, [resumed.manifest])
    assert len(ids) == len(set(ids)) == len(resumed.manifest["shards"]) * PAGES_PER_SHARD * 2


def test_failed_shard_is_partial_others_complete(scripted, loaded_config, tmp_path):
    scripted.script = {("x.mentions.bayfield", 0): "fail"}
    m = run_x(loaded_config, tmp_path / "raw").manifest
    assert m["partial_reasons"] == {
        "x.mentions.bayfield": "request_failed: x: gave up after 6 attempts (HTTP 503)"}
    assert sum(s["status"] == "complete" for s in m["shards"].values()) == len(m["shards"]) - 1


def test_malformed_response_is_kept_as_evidence(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    scripted.script = {("x.mentions.lakemont", 1): "malformed"}
    m = run_x(loaded_config, raw).manifest
    assert m["status"] == "complete"
    [bad] = [f for f in m["files"] if f["kind"] == "malformed"]
    assert bad["records"] == 0 and bad["page"] == 2
    env = json.loads(gzip.open(raw / bad["path"]).read())
    assert env["body"] is None and env["body_text"] == "<html>oops"
    assert m["shards"]["x.mentions.lakemont"]["malformed_pages"] == 1


def test_missing_credential_is_recorded_by_its_config_key(scripted, loaded_config, tmp_path, monkeypatch):
    """The manifest names where the variable is configured, never the variable: a secret pasted
    as the name would otherwise be stored in the read-only evidence."""
    monkeypatch.delenv("CAREPULSE_X_BEARER_TOKEN")
    summary = run_x(loaded_config, tmp_path / "raw")
    m = summary.manifest
    assert m["status"] == "partial"
    assert all("missing_credential: " in r and "platforms.x.credential_env is not set" in r
               for r in m["partial_reasons"].values())
    stored = summary.manifest_path.parent.rglob("*")
    assert not any("CAREPULSE_X_BEARER_TOKEN" in p.read_text() for p in stored if p.is_file())


def test_rerun_of_complete_night_adds_a_new_run(scripted, loaded_config, tmp_path):
    raw = tmp_path / "raw"
    first = run_x(loaded_config, raw)
    second = run_x(loaded_config, raw)
    assert first.run_id != second.run_id
    assert first.manifest_path.exists() and second.manifest["continues_run"] is None
    assert second.manifest["previous_manifest"]["path"].endswith(f"run={first.run_id}/manifest.json")


def test_page_cap_leaves_shard_partial_with_cursor(scripted, tmp_path):
    import yaml

    from carepulse.config import parse_config
    from tests.conftest import CONFIG

    data = yaml.safe_load(CONFIG.read_text())
    data["platforms"]["x"]["max_pages_per_shard"] = 2
    capped = parse_config(yaml.safe_dump(data), "capped.yml")
    m = run_x(capped, tmp_path / "raw").manifest
    assert m["status"] == "partial"
    shard = m["shards"]["x.mentions.lakemont"]
    assert shard["pages"] == 2 and shard["resume_cursor"] == {"page": 2}
    assert "max_pages_per_shard=2" in shard["reason"]


def test_kill_after_last_page_before_shard_end_does_not_refetch(scripted, loaded_config, tmp_path):
    """A last page's cursor is None; on resume that must mean 'done', not 'from the start'."""
    raw = tmp_path / "raw"
    scripted.script = {("x.mentions.northgate", 0): "crash"}
    with pytest.raises(KeyboardInterrupt):
        run_x(loaded_config, raw)
    [run] = runner.ExtractionRun.all_runs(raw, NIGHT)
    journal = run.journal("x.mentions.lakemont")
    lines = journal.path.read_text().splitlines()
    assert '"shard_end"' in lines[-1]
    journal.path.write_text("\n".join(lines[:-1]) + "\n")  # as if killed before the end line

    scripted.script, scripted.calls = {}, []
    m = run_x(loaded_config, raw).manifest
    assert not [c for c in scripted.calls if c[0] == "x.mentions.lakemont"]
    assert m["shards"]["x.mentions.lakemont"]["pages"] == PAGES_PER_SHARD


def test_a_second_writer_can_neither_overwrite_nor_journal_a_committed_page(loaded_config, tmp_path):
    """Two writers on one run (which the home lock prevents): the journal refuses the second
    writer's page, and the first writer's committed file keeps the bytes its journal vouches for."""
    from extract.base import Night, Page
    from extract.manifest import ExtractionRun, JournalConflict
    from extract.plan import plan_shards

    night = Night(NIGHT)
    shard = plan_shards(loaded_config.config, night, ["x"])[0]
    run = ExtractionRun.create(tmp_path / "raw", night, loaded_config, [shard])
    body = {"data": [], "meta": {"result_count": 0}}
    page = Page("x.tweets.search.recent", "http://127.0.0.1/x", {}, 200, body, json.dumps(body), 0, {"t": 1})
    first = run.commit_page(shard, 1, page)
    other = ExtractionRun(tmp_path / "raw", NIGHT, run.run_id)  # the second writer's view of the run
    with pytest.raises(JournalConflict, match=r"page 1 cannot be committed .* expects page 2"):
        other.commit_page(shard, 1, page)
    assert sha256_file(tmp_path / "raw" / first.path) == first.sha256
    assert [f.page for f in run.shard_state(shard.id).files] == [1]
    run.end_shard(shard, "complete", None, None)
    with pytest.raises(JournalConflict, match="already ended"):
        other.end_shard(shard, "complete", None, None)
    with pytest.raises(JournalConflict, match="ended the shard"):
        other.commit_page(shard, 2, page)
