"""Production path, scaled out: CeleryExecutor with Redis and two Celery workers.

The stack of docker-compose.yml + docker-compose.celery.yml (deploy/stack.py: private Postgres
and Redis, `carepulse airflow-init`, api-server, scheduler, dag-processor) with two worker
processes: one consuming the `extraction` queue, one the `default` queue. It runs the
worker-pool probe and two nights with one dbt build task (the dbt task shape is the LocalExecutor
test's subject). Celery's prefork pool makes every task process a descendant of a daemonic
process, where multiprocessing refuses to start children: the raw gate's and the sentiment
step's worker pools must work there.
"""

from __future__ import annotations

import re

import pytest

from carepulse import sources
from deploy.pools import DEFAULT_PLATFORM_SLOTS
from tests.deploy import scheduler
from tests.e2e.helpers import N1, N2, secret_leaks

# a whole night under a real scheduler: `make test-scheduler`, CI's second step
pytestmark = [pytest.mark.slow, pytest.mark.scheduler, pytest.mark.timeout(1800)]

NIGHTS = [N1, N2]


# task slots per worker: every platform's pool can fill at once
WORKER_SLOTS = len(sources.NAMES) * DEFAULT_PLATFORM_SLOTS


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> scheduler.StackRun:
    return scheduler.run_night_under_scheduler(tmp_path_factory.mktemp("scheduler-celery"), "celery", NIGHTS,
                                               seed=17, volume=120,
                                               dotenv={"CAREPULSE_WORKER_CONCURRENCY": str(WORKER_SLOTS)},
                                               extra_env={"CAREPULSE_DBT_TASKS": "single"})


def tasks_run_by(night, worker: str) -> set[str]:
    """Task ids a Celery worker executed, from its own log."""
    log = (night.stack.logs / f"worker-{worker}.log").read_text(errors="replace")
    return set(re.findall(r"Executing workload in Celery: .*?task_id='([^']+)'", log))


def test_worker_pool_survives_a_celery_workers_task_runner(night):
    scheduler.check_probe(night)
    assert night.probe["daemon"] is True, "a Celery task process descends from a daemonic pool process"


def test_the_night_publishes_and_reconciles_with_the_raw_zone(night):
    assert night.state == "success"
    scheduler.check_reconciles_with_raw(night)


def test_each_queue_went_to_its_worker(night):
    extraction = tasks_run_by(night, "extraction")
    default = tasks_run_by(night, "default")
    expected_extraction = {ti["task_id"] for ti in night.tis if ti["queue"] == "extraction"}
    assert expected_extraction and extraction == expected_extraction
    assert {"plan", "validate_raw", "transform", "publish"} <= default
    assert not extraction & default


def test_duckdb_writers_never_overlapped_and_extraction_filled_its_pools(night):
    scheduler.check_pools_held(night)


def test_openlineage_files_hold_every_tasks_events(night):
    scheduler.check_lineage(night)


def test_no_secret_in_any_log_event_or_evidence(night):
    assert not secret_leaks(scheduler.scanned_files(night))


def test_nothing_reached_for_the_internet(night):
    assert not scheduler.network_attempts(night)


def test_the_airflow_ui_is_served(night):
    scheduler.check_ui(night)
