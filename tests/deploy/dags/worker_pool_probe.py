"""One task that uses the project's worker pool, for the scheduler tests: it must succeed under
the real task runners (LocalExecutor, Celery workers), not only under dag.test()."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, task


@task(retries=0)
def score_in_workers() -> dict:
    from tests.deploy.worker_probe import probe

    return probe()


@dag(dag_id="worker_pool_probe", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC),
     catchup=False, tags=["carepulse", "test"])
def worker_pool_probe():
    score_in_workers()


worker_pool_probe()
