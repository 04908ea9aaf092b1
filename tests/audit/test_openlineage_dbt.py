"""Per-model OpenLineage events from a published run's dbt evidence (lineage/openlineage_dbt.py)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from lineage.openlineage_dbt import emit_dbt_events


def _private_home(published_world, root: Path) -> tuple[Path, Path]:
    """The run's evidence and dbt docs copied under `root` (the function writes into home)."""
    home = root / "home"
    audit = home / "audit" / published_world["run_id"]
    audit.mkdir(parents=True)
    for artifact in published_world["audit"].glob("dbt_*.json"):
        shutil.copyfile(artifact, audit / artifact.name)
    docs = published_world["home"] / "warehouse" / "dbt_docs"
    if docs.exists():
        shutil.copytree(docs, home / "warehouse" / "dbt_docs")
    return home, audit


def _events(folder: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def _relation(node: dict) -> str:
    return node["relation_name"].replace('"', "")


@pytest.fixture(scope="module")
def emitted(published_world, tmp_path_factory) -> dict:
    home, audit = _private_home(published_world, tmp_path_factory.mktemp("openlineage_dbt"))
    count = emit_dbt_events(home, audit)
    folder = home / "lineage" / "dbt" / audit.name
    manifest = json.loads((audit / "dbt_manifest.json").read_text())
    run_results = json.loads((audit / "dbt_run_results.json").read_text())
    return {"count": count, "folder": folder, "events": _events(folder), "manifest": manifest,
            "run_results": run_results}


def _completes_by_output(events: list[dict]) -> dict[str, dict]:
    return {e["outputs"][0]["name"]: e for e in events if e["eventType"] == "COMPLETE" and e["outputs"]}


def test_count_is_the_files_written_in_start_complete_pairs(emitted):
    events = emitted["events"]
    assert emitted["count"] > 0, "the shared world's dbt artifacts are not from one build"
    assert emitted["count"] == len(events) == len(list(emitted["folder"].glob("*.json")))
    starts = {e["run"]["runId"] for e in events if e["eventType"] == "START"}
    ends = {e["run"]["runId"] for e in events if e["eventType"] in ("COMPLETE", "FAIL")}
    assert starts == ends and len(starts) * 2 == len(events)
    assert {e["job"]["namespace"] for e in events} == {"carepulse"}


def test_every_built_model_completes_naming_its_relation_and_parents(emitted):
    manifest, completes = emitted["manifest"], _completes_by_output(emitted["events"])
    nodes = {**manifest["nodes"], **manifest["sources"]}
    relations = {_relation(n) for n in nodes.values() if n.get("relation_name")}
    built = [r["unique_id"] for r in emitted["run_results"]["results"]
             if r["unique_id"].startswith("model.") and r["status"] == "success"]
    assert len(built) > 20
    for uid in built:
        event = completes.get(_relation(manifest["nodes"][uid]))
        assert event is not None, f"no COMPLETE event for {uid}"
        inputs = {d["name"] for d in event["inputs"]}
        parents = {_relation(nodes[p]) for p in manifest["nodes"][uid]["depends_on"]["nodes"]
                   if nodes[p].get("relation_name")}  # ephemeral models have none
        assert parents <= inputs, (uid, parents - inputs)
        assert inputs <= relations, (uid, inputs - relations)  # no ephemeral CTE as a dataset


def test_inputs_resolve_ephemeral_parents_and_include_seeds(emitted):
    completes = _completes_by_output(emitted["events"])

    def inputs(model: str, schema: str = "marts") -> set[str]:
        return {d["name"].split(".")[-1] for d in completes[f"candidate.{schema}.{model}"]["inputs"]}

    # int_build_dates: the dates an incremental build rewrites
    assert inputs("fct_share_of_voice_daily") == {"fct_mentions", "dim_brands", "int_build_dates"}
    assert "health_claim_patterns" in inputs("fct_misinformation_watch")  # a seed
    assert inputs("stg_config__brands", "staging") == {"config_json"}  # through ephemeral src_config


def test_share_of_voice_carries_column_lineage_from_fct_mentions(emitted):
    event = _completes_by_output(emitted["events"])["candidate.marts.fct_share_of_voice_daily"]
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    mention_sov = {(f["name"], f["field"]) for f in fields["mention_sov"]["inputFields"]}
    assert ("candidate.marts.fct_mentions", "mention_date") in mention_sov
    assert all(name == "candidate.marts.fct_mentions" for name, _ in mention_sov)


def test_column_lineage_names_only_real_relations(emitted):
    manifest = emitted["manifest"]
    nodes = {**manifest["nodes"], **manifest["sources"]}
    relations = {_relation(n) for n in nodes.values() if n.get("relation_name")}
    named = {f["name"] for e in emitted["events"] for o in e["outputs"]
             for column in o["facets"].get("columnLineage", {}).get("fields", {}).values()
             for f in column["inputFields"]}
    assert named and named <= relations


def test_python_model_has_source_code_not_sql(emitted):
    event = _completes_by_output(emitted["events"])["candidate.intermediate.int_sentiment_scores"]
    assert "sql" not in event["job"]["facets"]
    assert event["job"]["facets"]["sourceCode"]["language"] == "python"


def test_parent_is_the_dbt_invocation_without_airflow(emitted):
    invocation = emitted["run_results"]["metadata"]["invocation_id"]
    parents = {(e["run"]["facets"]["parent"]["job"]["name"], e["run"]["facets"]["parent"]["run"]["runId"])
               for e in emitted["events"]}
    assert parents == {("dbt-run-carepulse", invocation)}


def test_no_event_holds_the_pseudonym_key(emitted, published_world):
    key = published_world["env"]["CAREPULSE_PSEUDONYM_KEY"]
    files = list(emitted["folder"].glob("*.json"))
    assert files
    assert not [p.name for p in files if key in p.read_text()]


def test_secret_from_the_environment_is_masked(published_world, tmp_path, monkeypatch):
    home, audit = _private_home(published_world, tmp_path)
    manifest = json.loads((audit / "dbt_manifest.json").read_text())
    secret = "sk-test-0123456789-leaky"
    node = manifest["nodes"]["model.carepulse.dim_platforms"]
    node["compiled_code"] = f"select '{secret}' as token_value"
    (audit / "dbt_manifest.json").write_text(json.dumps(manifest))
    _only_results(audit, ["model.carepulse.dim_platforms"])
    monkeypatch.setenv("CAREPULSE_TEST_API_TOKEN", secret)
    assert emit_dbt_events(home, audit) == 2
    text = "".join(p.read_text() for p in (home / "lineage" / "dbt" / audit.name).glob("*.json"))
    assert secret not in text and "***" in text


def _only_results(audit: Path, unique_ids: list[str]) -> None:
    """Keep only these results in the copied run results (a small, fast build)."""
    path = audit / "dbt_run_results.json"
    run_results = json.loads(path.read_text())
    run_results["results"] = [r for r in run_results["results"] if r["unique_id"] in unique_ids]
    path.write_text(json.dumps(run_results))


def test_model_without_compiled_sql_still_gets_events_and_rerun_replaces(published_world, tmp_path):
    home, audit = _private_home(published_world, tmp_path)
    manifest = json.loads((audit / "dbt_manifest.json").read_text())
    uid = "model.carepulse.fct_share_of_voice_daily"
    del manifest["nodes"][uid]["compiled_code"]
    (audit / "dbt_manifest.json").write_text(json.dumps(manifest))
    _only_results(audit, [uid])
    assert emit_dbt_events(home, audit) == 2
    assert emit_dbt_events(home, audit) == 2  # a rerun replaces, does not add
    events = _events(home / "lineage" / "dbt" / audit.name)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert "sql" not in events[1]["job"]["facets"]
    assert "columnLineage" not in events[1]["outputs"][0]["facets"]
    inputs = {d["name"] for d in events[1]["inputs"]}
    assert inputs == {"candidate.marts.fct_mentions", "candidate.marts.dim_brands",
                      "candidate.build.int_build_dates"}


@pytest.mark.parametrize("artifact", ["dbt_manifest.json", "dbt_run_results.json"])
def test_missing_artifact_returns_zero_and_names_it(published_world, tmp_path, caplog, artifact):
    home, audit = _private_home(published_world, tmp_path)
    (audit / artifact).unlink()
    with caplog.at_level(logging.WARNING, logger="lineage.openlineage_dbt"):
        assert emit_dbt_events(home, audit) == 0
    assert str(audit / artifact) in caplog.text
    assert not (home / "lineage" / "dbt" / audit.name).exists()


def test_artifacts_of_different_dbt_runs_return_zero(published_world, tmp_path, caplog):
    home, audit = _private_home(published_world, tmp_path)
    path = audit / "dbt_run_results.json"
    run_results = json.loads(path.read_text())
    run_results["metadata"]["invocation_id"] = "00000000-0000-4000-8000-000000000000"
    path.write_text(json.dumps(run_results))
    with caplog.at_level(logging.WARNING, logger="lineage.openlineage_dbt"):
        assert emit_dbt_events(home, audit) == 0
    assert "not from the same dbt run" in caplog.text
