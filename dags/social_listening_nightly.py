"""
### CarePulse nightly social listening

Every night at 02:00 UTC, for the UTC day before: plan the extraction shards from
`config/monitoring.yml`, extract each platform-night as a mapped task (a pool per platform
respects its rate limits), write the manifests, check the raw landing contracts (Great
Expectations), build the candidate warehouse with dbt, check the candidate marts, seal the
evidence (mart content hashes, dbt artifacts, manifests) in `audit/<run_id>/` and publish the
candidate atomically (the `carepulse_warehouse` asset), then deliver the published night's
alerts (e-mail, webhooks; once per alert and channel, see `notify/`). The first run, when
nothing is published yet, backfills `history_days` nights. A failed check fails the run and
leaves the published warehouse byte-for-byte as it was; a failed delivery never fails it.

Tasks are thin calls into `carepulse.nightly`; they pass paths, ids and counts through XCom.
Every task that writes DuckDB runs in the one-slot `duckdb_writer` pool. The run holds the
home's writer lock (shared by its tasks) and a lease on the home from `plan` until it publishes
or fails, so a `carepulse` command never writes beside it. Backfill a range
with `airflow backfill create --dag-id social_listening_nightly --from-date ... --to-date ...`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, get_current_context, task, task_group

from carepulse.alerts import record_failure, run_failed
from carepulse.config import PLATFORMS
from deploy.pools import WRITER_POOL, platform_pool

# "cosmos": one Airflow task per dbt model (production); "single": one in-process dbt build
# (the demo and the end-to-end tests: about 3x faster under dag.test, see DECISIONLOG.md).
DBT_TASKS = os.environ.get("CAREPULSE_DBT_TASKS", "cosmos")
WAREHOUSE = Asset(name="carepulse_warehouse", uri="file://carepulse/warehouse/carepulse.duckdb")


def _loaded():
    from carepulse.config import load_config

    return load_config()


def _engine() -> str:
    """Spark builds in one task: its session, with CarePulse's functions registered, lives in the
    process that runs dbt, so a task per model would start a session per model."""
    from transform.build import engine

    try:
        return engine(_loaded())
    except Exception:  # a broken config fails the night's first task, with its message
        return "duckdb"


def _home():
    from carepulse import paths

    return paths.home()


def _night(context) -> str:
    """The UTC day before the run's 02:00 trigger (the data interval's first day)."""
    return context["data_interval_start"].date().isoformat()


def _nights(jobs: list[dict]):
    from datetime import date

    return [date.fromisoformat(job["night"]) for job in jobs]


def _audit():
    """The run's evidence folder, named after the Airflow run id (the same in every task)."""
    from carepulse import nightly

    return nightly.audit_dir(_home(), nightly.folder_name(get_current_context()["run_id"]))


@contextmanager
def _writing():
    """The home's writer lock, shared with the run's other tasks; never beside a command."""
    from carepulse import home_lock

    with home_lock.shared(_home(), get_current_context()["ti"].task_id):
        yield


@task
def plan(params=None) -> list[dict]:
    """Lease the home to this run, finish any interrupted publish, and open (or resume) one
    extraction run per night: [{"night", "run_id"}, ...]."""
    from carepulse import home_lock, nightly, space

    context = get_current_context()
    with _writing():
        home_lock.take_lease(_home(), context["run_id"])
        nightly.recover(_home())
        night = datetime.fromisoformat(_night(context)).date()
        nights = nightly.nights_to_process(night, int(params["history_days"]), _home())
        space.check_extract(_home(), len(nights))
        return nightly.plan_extraction(_loaded(), nights, _home())


@task
def extract_platform_night(platform: str, job: dict) -> dict:
    from carepulse import nightly

    with _writing():
        return nightly.extract_platform_night(_loaded(), _home(), platform, job)


@task(trigger_rule="all_done")
def finalize_extraction(jobs: list[dict]) -> list[dict]:
    """Runs even when a platform task failed: its unfinished shards are recorded as partial."""
    from carepulse import nightly

    with _writing():
        return nightly.finalize_extraction(_home(), jobs)


@task
def refresh_benchmarks() -> dict:
    """CMS HCAHPS results, fetched when a new quarter (or new hospitals) makes them due; a
    failure is recorded, never fails the night (the last landing stays)."""
    from carepulse import nightly

    with _writing():
        return nightly.refresh_benchmarks(_loaded(), _home())


# The gate's verdict on a given raw zone and candidate is deterministic: no retries.
@task(retries=0)
def validate_raw(jobs: list[dict]) -> dict:
    from carepulse import nightly

    with _writing():
        return nightly.validate_raw(_loaded(), _home(), _nights(jobs), _audit())


@task(pool=WRITER_POOL)
def transform(jobs: list[dict]) -> dict:
    """dbt build into the candidate (a copy of the published warehouse), in-process."""
    from carepulse import nightly, space

    with _writing():
        space.check_transform(_home())
        return nightly.transform(_loaded(), _home(), _nights(jobs)[-1])


@task(pool=WRITER_POOL)
def prepare_candidate() -> dict:
    """Copy the published warehouse to the candidate and write config.json for dbt."""
    from carepulse import nightly, space

    with _writing():
        space.check_transform(_home())
        return nightly.prepare_candidate(_loaded(), _home())


def dbt_models(after, jobs):
    """The dbt build after `after`: per-model Cosmos tasks when a manifest is there, else one
    task. Returns the last node."""
    from transform.cosmos_group import dbt_task_group, manifest_path

    if DBT_TASKS == "cosmos" and manifest_path().exists() and _engine() == "duckdb":
        group = dbt_task_group("dbt", WRITER_POOL)
        after >> prepare_candidate() >> group
        return group
    built = transform(jobs)
    after >> built
    return built


@task(pool=WRITER_POOL, retries=0)
def validate_marts(jobs: list[dict], raw_gate: dict) -> dict:
    from carepulse import nightly, space

    with _writing():
        space.check_gate_and_publish(_home())
        return nightly.validate_marts(_loaded(), _home(), _audit(), _nights(jobs)[-1], raw_gate)


@task(pool=WRITER_POOL, outlets=[WAREHOUSE])
def publish(jobs: list[dict]) -> dict:
    """Seal the evidence (mart content hashes, dbt artifacts, the manifests read), swap the
    candidate in, and give the home back (the run's lease ends here)."""
    from carepulse import home_lock, nightly

    with _writing():
        result = nightly.publish(_home(), _audit(), _nights(jobs))
    home_lock.release_lease(_home(), get_current_context()["run_id"])
    return result


@task
def deliver_alerts(jobs: list[dict]) -> dict:
    """Send the published night's alerts once per channel. Only reads the published file (no
    writer pool, no writer lock: the delivery ledger has its own lock) and never fails the
    night: errors are kept in the ledger and audit/alerts.jsonl, the alerts wait for the next run."""
    from carepulse import nightly
    from carepulse.alerts import record_alert

    try:
        loaded = _loaded()
    except Exception as exc:  # the file changed since the night began: report, do not fail
        record_alert(_home(), "deliver_alerts", exc)
        return {"enabled": None, "error": "config unreadable; see audit/alerts.jsonl"}
    return nightly.deliver_alerts(loaded, _home(), _nights(jobs)[-1])


@task_group
def extract(jobs) -> None:
    """One mapped task per platform and night; the platform's pool caps its concurrency."""
    for platform in PLATFORMS:
        (extract_platform_night
         .override(task_id=platform, pool=platform_pool(platform), queue="extraction")
         .partial(platform=platform)
         .expand(job=jobs))


@dag(
    dag_id="social_listening_nightly",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="UTC", interval=timedelta(days=1)),
    start_date=datetime(2026, 11, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["carepulse", "social-listening", "nightly"],
    doc_md=__doc__,
    on_failure_callback=run_failed,  # the run's lease on the home ends with it
    params={"history_days": Param(14, type="integer", minimum=1, maximum=90,
                                  description="nights to backfill when nothing is published yet")},
    default_args={
        "owner": "carepulse-analytics-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": record_failure,
    },
)
def social_listening_nightly():
    jobs = plan()
    manifests = finalize_extraction(jobs)
    extract(jobs) >> manifests
    raw_gate = validate_raw(jobs)
    manifests >> raw_gate
    jobs >> refresh_benchmarks() >> raw_gate
    built = dbt_models(raw_gate, jobs)
    marts_gate = validate_marts(jobs, raw_gate)
    published = publish(jobs)
    built >> marts_gate >> published >> deliver_alerts(jobs)  # runs only when publish succeeded


social_listening_nightly()
