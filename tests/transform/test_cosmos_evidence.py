"""The run's dbt evidence when Cosmos ran each model as its own task: the tasks' run results are
kept through Cosmos's callback, merged, and never mixed with an earlier build's artifacts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from carepulse.evidence import copy_dbt_artifacts
from transform.build import cosmos_results_dir, docs_dir, start_candidate, target_dir
from transform.cosmos_group import keep_run_results, merged_run_results


def run_results(invocation: str, *nodes: str) -> dict:
    return {"metadata": {"dbt_version": "1.11.0", "invocation_id": invocation,
                         "generated_at": f"2026-11-27T02:0{len(nodes)}:00Z"},
            "results": [{"unique_id": n, "status": "success"} for n in nodes],
            "elapsed_time": 1.5, "args": {"which": "run"}}


def finish_task(home, tmp_path, task_id: str, doc: dict):
    """What Cosmos does after a task: the dbt target in a temporary project, then the callback."""
    project = tmp_path / f"tmp-{task_id}"
    (project / "target").mkdir(parents=True)
    (project / "target" / "run_results.json").write_text(json.dumps(doc))
    return keep_run_results(str(project), context={"ti": SimpleNamespace(task_id=task_id)})


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_each_task_keeps_its_run_results_under_its_name(home, tmp_path):
    kept = finish_task(home, tmp_path, "dbt.stg_x_posts_run", run_results("a", "model.carepulse.stg_x_posts"))
    assert kept == cosmos_results_dir(home) / "dbt.stg_x_posts_run.json"
    assert json.loads(kept.read_text())["metadata"]["invocation_id"] == "a"


def test_a_task_without_run_results_is_logged_not_fatal(home, tmp_path, caplog):
    (tmp_path / "empty").mkdir()
    assert keep_run_results(str(tmp_path / "empty"), context={"ti": SimpleNamespace(task_id="t")}) is None
    assert "no run_results.json" in caplog.text


def test_cosmos_evidence_is_the_docs_manifest_and_the_tasks_results_merged(home, tmp_path):
    finish_task(home, tmp_path, "dbt.seeds", run_results("a", "seed.carepulse.brands"))
    finish_task(home, tmp_path, "dbt.test", run_results("b", "test.carepulse.t1", "test.carepulse.t2"))
    docs_dir(home).mkdir(parents=True)
    (docs_dir(home) / "manifest.json").write_text(json.dumps({"metadata": {"invocation_id": "docs"}}))
    audit = tmp_path / "audit"
    audit.mkdir()

    assert copy_dbt_artifacts(home, audit) == "cosmos (2 tasks)"
    merged = json.loads((audit / "dbt_run_results.json").read_text())
    assert merged["metadata"]["invocations"] == {"dbt.seeds": "a", "dbt.test": "b"}
    assert merged["metadata"]["invocation_id"] is None
    assert [(r["unique_id"], r["cosmos_task"]) for r in merged["results"]] == [
        ("seed.carepulse.brands", "dbt.seeds"), ("test.carepulse.t1", "dbt.test"),
        ("test.carepulse.t2", "dbt.test")]
    assert merged["elapsed_time"] == 3.0
    assert json.loads((audit / "dbt_manifest.json").read_text())["metadata"]["invocation_id"] == "docs"


def test_a_new_candidate_forgets_the_previous_builds_artifacts(home, tmp_path):
    """A home that ran one `dbt build` before must not hand that build's artifacts to a Cosmos run."""
    target_dir(home).mkdir(parents=True)
    for name in ("manifest.json", "run_results.json", "partial_parse.msgpack"):
        (target_dir(home) / name).write_text("{}")
    finish_task(home, tmp_path, "dbt.old", run_results("old", "model.carepulse.x"))

    start_candidate(home)

    assert sorted(p.name for p in target_dir(home).iterdir()) == ["partial_parse.msgpack"]
    assert merged_run_results(home) is None
    assert copy_dbt_artifacts(home, tmp_path) is None
