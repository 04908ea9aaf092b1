"""The nightly DAG parses fast and cleanly and carries the operational settings it promises."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.dags.conftest import DAGS

DAG_ID = "social_listening_nightly"
WRITERS = {"prepare_candidate", "validate_marts", "publish"}


def fill(mode: str, monkeypatch):
    """Parse the DAG folder; `parse_seconds` is the CPU time of the cheapest of three parses.

    CPU time of this process, not wall time: under `make test` the other xdist worker
    competes for the two cores, and a wall-clock budget then measures the machine's load
    (CI once saw 1.05 s wall for a parse that costs 0.15-0.5 s). Best of three drops
    a parse that happened to pay for a garbage collection.
    """
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CAREPULSE_DBT_TASKS", mode)
    DagBag(dag_folder=str(DAGS))  # warm the imports, so the next fills measure parsing alone
    costs = []
    for _ in range(3):
        started = time.process_time()
        filled = DagBag(dag_folder=str(DAGS))
        costs.append(time.process_time() - started)
    filled.parse_seconds = min(costs)
    return filled


@pytest.fixture(scope="module")
def manifest():
    """The dbt manifest Cosmos renders from (`make install` writes it; else written here)."""
    from transform.cosmos_group import manifest_path, write_manifest

    return manifest_path() if manifest_path().exists() else write_manifest()


@pytest.fixture(scope="module")
def bag(manifest):
    with pytest.MonkeyPatch.context() as mp:
        return fill("cosmos", mp)


@pytest.fixture(scope="module")
def dag(bag):
    return bag.dags[DAG_ID]


@pytest.fixture(scope="module")
def single_dag():
    with pytest.MonkeyPatch.context() as mp:
        return fill("single", mp).dags[DAG_ID]


def test_imports_without_errors(bag):
    assert bag.import_errors == {}
    assert set(bag.dags) == {p.stem for p in DAGS.glob("*.py")}, "dag_id must equal the file stem"


def test_parses_in_under_a_second(bag):
    assert bag.parse_seconds < 1.0, f"DAG folder took {bag.parse_seconds:.2f} CPU s to parse"


def test_has_no_cycles(dag):
    dag.check_cycle()  # raises on a cycle


def test_runs_one_night_at_a_time_at_two_utc(dag):
    assert dag.max_active_runs == 1
    timetable = dag.timetable
    assert (timetable.expression, str(timetable.timezone)) == ("0 2 * * *", "UTC")
    assert timetable.interval == timedelta(days=1)  # the interval is the day before the trigger
    assert dag.tags and dag.doc_md and "social listening" in dag.doc_md.lower()


def test_the_night_is_the_day_before_the_trigger():
    from dags.social_listening_nightly import _night

    start = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    assert _night({"data_interval_start": start, "data_interval_end": start + timedelta(days=1)}) \
        == "2026-11-19"


GATES = {"validate_raw", "validate_marts"}  # a verdict on fixed data: retrying cannot change it


def test_every_task_retries_with_backoff_and_a_timeout(dag):
    for task in dag.tasks:
        assert task.retries == 0 if task.task_id in GATES else task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.execution_timeout is not None, task.task_id
        assert task.on_failure_callback, task.task_id
        assert task.owner and task.owner != "airflow", task.task_id


def test_writer_tasks_share_the_one_slot_pool(dag):
    pools = {t.task_id: t.pool for t in dag.tasks}
    dbt_tasks = {t for t in pools if t.startswith("dbt.")}
    assert len(dbt_tasks) > 40, "Cosmos should render a task per dbt model and seed"
    for writer in WRITERS | dbt_tasks:
        assert pools[writer] == "duckdb_writer", writer
    others = {t for t, p in pools.items() if p == "duckdb_writer"} - WRITERS - dbt_tasks
    assert not others, f"unexpected tasks in the writer pool: {others}"


def test_dbt_models_become_tasks_in_dependency_order(dag):
    mentions = dag.get_task("dbt.fct_mentions_run")
    upstream = {t.task_id for t in mentions.get_flat_relatives(upstream=True)}
    assert {"dbt.int_mentions_matched_run", "dbt.int_sentiment_scores_run", "prepare_candidate",
            "validate_raw"} <= upstream
    assert "validate_marts" in {t.task_id for t in dag.get_task("dbt.dbt_project_test")
                                .get_flat_relatives(upstream=False)}


def test_single_task_mode_builds_in_one_writer_task(single_dag):
    assert single_dag.get_task("transform").pool == "duckdb_writer"
    assert not [t for t in single_dag.tasks if t.task_id.startswith("dbt.")]


def test_extraction_is_mapped_per_platform_with_its_own_pool(dag):
    extract = {t.task_id: t for t in dag.tasks if t.task_id.startswith("extract.")}
    from carepulse import sources

    assert set(extract) == {f"extract.{p}" for p in sources.NAMES}
    for task_id, task in extract.items():
        assert task.pool == f"platform_{task_id.split('.')[1]}"
        assert task.is_mapped, task_id
        assert task.queue == "extraction"


def test_chain_order(dag):
    def downstream(task_id):
        return {t.task_id for t in dag.get_task(task_id).get_flat_relatives(upstream=False)}

    chain = {"finalize_extraction", "validate_raw", "prepare_candidate", "validate_marts", "publish"}
    assert chain <= downstream("plan")
    assert "prepare_candidate" in downstream("validate_raw")
    assert "publish" in downstream("validate_marts")
    assert dag.get_task("finalize_extraction").trigger_rule == "all_done"


def test_publish_updates_the_warehouse_asset(dag):
    outlets = dag.get_task("publish").outlets
    assert [o.name for o in outlets] == ["carepulse_warehouse"]


def test_alerts_are_delivered_after_publish_and_only_when_it_succeeded(dag):
    deliver = dag.get_task("deliver_alerts")
    assert "publish" in deliver.upstream_task_ids
    assert deliver.trigger_rule == "all_success"  # a failed gate or publish sends nothing
    assert deliver.pool != "duckdb_writer", "it only reads the published file"
    assert not deliver.downstream_task_ids  # nothing waits on delivery: it cannot hold up the night
