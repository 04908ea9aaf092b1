"""The dbt project as Airflow tasks with astronomer-cosmos: one task per model and seed.

Rendering reads a dbt manifest written ahead of time (`carepulse dbt-manifest`, run by
`make install` and the image build), so parsing the DAG never runs dbt. Execution is LOCAL
with in-process dbt (dbtRunner). Tests run AFTER_ALL, as one `dbt test` task at the end:
measured here, per-model `dbt build` (TestBehavior.BUILD) never selects 44 multi-parent tests
(relationships and the privacy singular tests) or selects them before their parents are
built. Every task sits in the one-slot DuckDB writer pool (`keep_open: false` in the profile
releases the file between tasks). See DECISIONLOG.md for the timings behind the choice.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from transform.build import DBT_DIR, cosmos_results_dir

log = logging.getLogger("transform.cosmos_group")


def manifest_path() -> Path:
    return Path(os.environ.get("CAREPULSE_DBT_MANIFEST") or DBT_DIR / "target_manifest" / "manifest.json")


def write_manifest(target: Path | None = None) -> Path:
    """`dbt parse` in-process into the manifest folder (no warehouse connection is opened),
    after writing the source registry's dbt macro (carepulse.sources)."""
    from dbt.cli.main import dbtRunner

    from carepulse.sources import write_registry_macro

    write_registry_macro()
    target = target or manifest_path()
    os.environ.setdefault("CAREPULSE_PSEUDONYM_KEY", "parse-only-key-never-used-for-data")
    res = dbtRunner().invoke(["parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                              "--target-path", str(target.parent), "--quiet"])
    if not res.success:
        raise RuntimeError(f"dbt parse failed: {res.exception}")
    return target


def dbt_task_group(group_id: str, pool: str):
    """A DbtTaskGroup of the whole project, every task in `pool`."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=DBT_DIR, manifest_path=manifest_path(),
                                     project_name="carepulse", install_dbt_deps=False, partial_parse=True),
        profile_config=ProfileConfig(profile_name="carepulse", target_name="candidate",
                                     profiles_yml_filepath=DBT_DIR / "profiles.yml"),
        execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                         invocation_mode=InvocationMode.DBT_RUNNER,
                                         test_indirect_selection=TestIndirectSelection.BUILDABLE),
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_ALL,
                                   enable_mock_profile=False, emit_datasets=True),
        # every task of one DAG run is one build: they share its batch (dbt_project/macros/batch.sql)
        operator_args={"pool": pool, "callback": keep_run_results, "vars": {"build_id": "{{ run_id }}"}},
        # default_args also reach the EmptyOperators Cosmos renders for ephemeral models
        default_args={"pool": pool},
    )


def keep_run_results(project_dir: str, context, **_) -> Path | None:
    """Cosmos callback after each dbt task: keep the task's run_results.json for the run's
    evidence, named after the task (a retry's results replace the failed try's)."""
    source = Path(project_dir) / "target" / "run_results.json"
    if not source.is_file():
        log.warning("no run_results.json in %s: this task's dbt results miss the evidence", source.parent)
        return None
    target = cosmos_results_dir() / f"{context['ti'].task_id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def merged_run_results(home: Path) -> dict | None:
    """The Cosmos tasks' run results as one run_results document, or None when there are none.

    Each result keeps the task and dbt invocation it came from; `metadata.invocation_id` is
    None (there was no single dbt invocation) and `metadata.invocations` maps task -> id."""
    files = sorted(cosmos_results_dir(home).glob("*.json"))
    if not files:
        return None
    docs = {f.stem: json.loads(f.read_text()) for f in files}
    first = next(iter(docs.values()))
    invocations = {task: doc["metadata"]["invocation_id"] for task, doc in docs.items()}
    return {
        "metadata": {**first["metadata"], "invocation_id": None, "invocations": invocations,
                     "generated_at": max(doc["metadata"]["generated_at"] for doc in docs.values())},
        "results": [{**result, "cosmos_task": task, "invocation_id": invocations[task]}
                    for task, doc in docs.items() for result in doc["results"]],
        "elapsed_time": sum(doc.get("elapsed_time", 0) for doc in docs.values()),
        "args": {"which": "cosmos", "tasks": sorted(docs)},
    }
