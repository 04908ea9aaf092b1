"""The nightly chain as steps: plan -> extract -> validate raw -> transform -> validate marts
-> publish -> deliver alerts. The Airflow DAG calls each step from its own task; `carepulse run` calls them in
order in one process. Steps take and return only paths, ids and counts (what XCom carries).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from carepulse import paths
from carepulse.config import LoadedConfig
from carepulse.publish import hash_candidate, published_path, record_gate

log = logging.getLogger("carepulse.nightly")


def folder_name(run_id: str) -> str:
    """A run id (ours or Airflow's, e.g. `manual__2026-11-28T01:05:27+00:00`) as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


def new_run_id(label: str) -> str:
    """A pipeline run id safe as a folder name, unique even for two runs started in the same
    second: `<label>__<utc time>-<random>`."""
    return folder_name(f"{label}__{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}")


def audit_dir(home: Path, run_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", run_id):
        raise ValueError(f"run id {run_id!r} is not safe as a folder name")
    target = paths.audit_dir(home) / run_id
    target.mkdir(parents=True, exist_ok=True)
    return target


def nights_to_process(night: date, history_days: int, home: Path) -> list[date]:
    """The interval's night; on a first run (nothing published yet) the history before it too."""
    if published_path(home).exists() or history_days <= 1:
        return [night]
    return [night - timedelta(days=i) for i in reversed(range(history_days))]


# -- extraction ---------------------------------------------------------------------------------


def plan_extraction(loaded: LoadedConfig, nights: Iterable[date], home: Path) -> list[dict]:
    """Open (or resume, or continue) one extraction run per night.

    Returns [{"night": "YYYY-MM-DD", "run_id": ...}, ...]; each platform then fetches its
    unfinished shards of each run (a continuation run holds only the partial ones).
    """
    from extract.base import Night
    from extract.runner import open_run

    jobs = []
    nights = sorted(nights)
    for night in nights:
        # review APIs serve reviews as they stand now: only the newest night of a batch walks
        run, shards = open_run(paths.raw_dir(home), loaded, Night(night),
                               walk_reviews=night == nights[-1])
        jobs.append({"night": night.isoformat(), "run_id": run.run_id})
        log.info("night %s: run %s with %d shard(s)", night, run.run_id, len(shards))
    return jobs


def extract_platform_night(loaded: LoadedConfig, home: Path, platform: str, job: dict,
                           policy_factory=None) -> dict[str, Any]:
    """Fetch every unfinished shard of one platform in one night's run (its own worker pool);
    its request statistics are left in the run for `finalize_extraction`."""
    from extract.manifest import ExtractionRun
    from extract.runner import extract_platform

    run = ExtractionRun(paths.raw_dir(home), date.fromisoformat(job["night"]), job["run_id"])
    results = extract_platform(run, platform, loaded, policy_factory=policy_factory)
    return {"platform": platform, **job, "shards": len(results),
            "complete": sum(r.status == "complete" for r in results),
            "pages": sum(r.pages for r in results), "records": sum(r.records for r in results)}


def finalize_extraction(home: Path, jobs: list[dict]) -> list[dict[str, Any]]:
    """Write each night's manifest (shards never started are recorded as not complete), with
    the request statistics the platform tasks recorded in the run."""
    from extract.manifest import ExtractionRun
    from extract.runner import finalize_run

    out = []
    for night, run_id in sorted({(j["night"], j["run_id"]) for j in jobs}):
        run = ExtractionRun(paths.raw_dir(home), date.fromisoformat(night), run_id)
        manifest = run.manifest() if run.finished else finalize_run(run)
        out.append({"night": night, "run_id": run_id, "status": manifest["status"],
                    "manifest": str(run.manifest_path)})
    return out


def _platform_reasons(manifest: dict) -> dict[str, list[str]]:
    """Per platform, why its shards of a manifest did not complete (a skipped shard's reason
    without the "skipped (...)" wrapper: it is the platform's)."""
    reasons: dict[str, set[str]] = {}
    for shard in manifest["shards"].values():
        if shard["status"] != "complete":
            reason = (shard["reason"] or "no items").removeprefix("skipped (").removesuffix(")")
            reasons.setdefault(shard["platform"], set()).add(reason)
    return {platform: sorted(texts) for platform, texts in sorted(reasons.items())}


def partial_platforms(runs: list[dict]) -> list[str]:
    """One line per night and platform that did not deliver everything, with the reasons
    (skipped for a missing credential, quota, auth...)."""
    return [f"{run['night']} {platform}: partial: {'; '.join(texts)}"
            for run in runs
            for platform, texts in _platform_reasons(json.loads(Path(run["manifest"]).read_text())).items()]


# -- quality gate, transform, publish -------------------------------------------------------------


def validate_raw(loaded: LoadedConfig, home: Path, nights: Iterable[date], audit: Path) -> dict:
    """GX raw landing contracts for each night; when any night fails, gate.json records every
    failure (so nothing can be published) and ValidationFailed names the first failed night."""
    from expectations import ValidationFailed
    from transform.build import candidate_path

    reports = _raw_reports(loaded, home, sorted(set(nights)), audit)
    failed = [r for r in reports if not r.success]
    if failed:
        record_gate(audit, candidate_path(home), {"raw": {
            "success": False, "failures": [f"{r.night}: {f}" for r in failed for f in r.failures]}})
        raise ValidationFailed(failed[0])
    return {"success": True, "suites": sum(len(r.suites) for r in reports), "failures": []}


def _raw_reports(loaded: LoadedConfig, home: Path, nights: list[date], audit: Path) -> list:
    """Each night's raw gate report. A backfill's nights are independent files and GX is CPU
    bound (~5 s a night), so they spread over a pool of fresh processes (carepulse.workers)."""
    if len(nights) < 2 or (os.cpu_count() or 1) < 2:
        return [_raw_report(loaded, home, night, audit) for night in nights]
    workers = min(len(nights), os.cpu_count() or 1, 4)
    from carepulse.workers import ProcessPool

    with ProcessPool(workers) as pool:
        reports = list(pool.map(_raw_report, *zip(*[(loaded, home, n, audit) for n in nights],
                                                 strict=True)))
    for report in reports:  # the workers' own log lines go nowhere the task log sees
        log.info("raw gate %s: %s (%d suites)", report.night, "passed" if report.success else "FAILED",
                 len(report.suites))
    return reports


def undelivered(home: Path, night: date) -> str | None:
    """"no platform delivered data for night D: <platform>: <reasons>; ..." when every finished
    extraction run of the night landed nothing; None otherwise."""
    from extract.manifest import ExtractionRun

    runs = [r for r in ExtractionRun.all_runs(paths.raw_dir(home), night) if r.finished]
    manifests = [r.manifest() for r in runs]
    if not manifests or any(m["totals"]["records"] for m in manifests):
        return None
    reasons = _platform_reasons(manifests[-1])
    platforms = sorted({s["platform"] for s in manifests[-1]["shards"].values()})
    listed = "; ".join(f"{p}: {', '.join(reasons.get(p, ['no items']))}" for p in platforms)
    return f"no platform delivered data for night {night}: {listed}"


def _raw_report(loaded: LoadedConfig, home: Path, night: date, audit: Path):
    """One night's gate report, failed or not (a report pickles; ValidationFailed does not)."""
    from expectations import GateReport, ValidationFailed
    from expectations import validate_raw as gx_validate_raw

    failure = undelivered(home, night)
    if failure:  # nothing for the contracts to check: say so in words, not as an expectation
        return GateReport("raw", False, {"raw__delivery": False}, [failure], audit / f"raw-{night}", None,
                          night=night)
    try:
        return gx_validate_raw(home, night, audit / f"raw-{night}", loaded)
    except ValidationFailed as exc:
        return exc.report


def refresh_benchmarks(loaded: LoadedConfig, home: Path, today: date | None = None) -> dict:
    """Land CMS's HCAHPS results when due (a new calendar quarter, or other hospitals in the
    config). Never fails the night: a failure is logged and recorded in audit/alerts.jsonl,
    and the marts keep the last complete landing (fct_hcahps_benchmarks.fetched_on says which)."""
    from extract import hcahps

    cfg = loaded.config.benchmarks.hcahps
    ccns = loaded.config.benchmark_ccns()
    if cfg is None or not cfg.enabled or not ccns:
        return {"hcahps": "not configured (benchmarks.hcahps and a location ccn)"}
    today = today or datetime.now(UTC).date()
    latest = hcahps.latest_landing(home)
    current = latest is not None and set(hcahps.HcahpsLanding.read(latest).ccns) == set(ccns)
    if current and not hcahps.due(home, today):
        return {"hcahps": f"current: {latest.name}"}
    try:
        landing = hcahps.fetch_hcahps(cfg.endpoint, ccns, home, dataset=cfg.dataset, today=today)
    except (hcahps.HcahpsFetchError, ValueError, OSError) as exc:
        from carepulse.alerts import record_alert

        record_alert(home, "refresh_benchmarks", exc)
        log.warning("HCAHPS benchmarks not refreshed (the last complete landing stays): %s", exc)
        return {"hcahps": f"failed: {exc}"}
    return {"hcahps": f"landed {landing.rows} rows for {len(landing.ccns)} hospital(s) "
                      f"in {landing.folder.name}"}


def prepare_candidate(loaded: LoadedConfig, home: Path) -> dict:
    """What precedes dbt when Airflow runs each model as a task: config.json + candidate copy."""
    from transform.build import start_candidate, write_config_json

    write_config_json(loaded, home)
    return {"candidate": str(start_candidate(home, loaded))}


def transform(loaded: LoadedConfig, home: Path, night: date | None) -> dict:
    from transform.build import build_candidate

    result = build_candidate(loaded, home, night=night)
    return {"candidate": str(result.candidate), "invocation_id": result.invocation_id,
            "nodes": len(result.nodes), "seconds": round(result.seconds, 1)}


def validate_marts(loaded: LoadedConfig, home: Path, audit: Path, night: date | None,
                   raw_gate: dict | None = None) -> dict:
    """GX publish-time checks on the candidate; the verdict goes to gate.json either way.

    The candidate's dbt docs are generated first (both DAG modes pass here), before the gate
    binds the candidate's hash."""
    from expectations import ValidationFailed
    from transform.build import candidate_path, drop_parse_scratch, generate_docs

    stages = {"raw": raw_gate or {"success": True, "failures": []}}
    candidate = candidate_path(home)
    try:
        generate_docs(home, loaded)
    finally:  # the per-model (Cosmos) build left its scratch database; docs attached it again
        drop_parse_scratch(home)
    # the whole-file hash the gate binds grows with the warehouse: it runs on the second core
    # while GX runs (hashlib releases the GIL), not after it
    with ThreadPoolExecutor(1, thread_name_prefix="candidate-sha256") as pool:
        hashing = pool.submit(hash_candidate, candidate)
        try:
            report = _gate_marts(loaded, home, candidate, audit, night)
        except ValidationFailed as exc:
            stages["marts"] = {"success": False, "failures": list(exc.report.failures)}
            record_gate(audit, candidate, stages, hashing.result())
            raise
    stages["marts"] = {"success": True, "failures": [], "suites": len(report.suites)}
    record_gate(audit, candidate, stages, hashing.result())
    return stages["marts"]


def _gate_marts(loaded: LoadedConfig, home: Path, candidate: Path, audit: Path, night: date | None):
    """The marts gate on the engine's own frames: DuckDB's candidate file, or on Spark the candidate's
    tables as Spark DataFrames (the snapshot the pointer names holds the same files)."""
    from expectations import validate_marts, validate_marts_spark
    from transform.build import engine

    if engine(loaded) != "spark":
        return validate_marts(candidate, audit, loaded, night)
    from transform import spark_engine

    spark = spark_engine.configured_session(home, loaded.config.warehouse.spark)
    return validate_marts_spark(spark, paths.raw_dir(home), audit, loaded, night)


def publish(home: Path, audit: Path, nights: Iterable[date] = ()) -> dict:
    """Seal the run's evidence of the validated candidate, then swap it in (one recoverable
    transaction: carepulse.publish)."""
    from carepulse.audit import seal
    from carepulse.evidence import collect
    from carepulse.publish import publish as swap_in
    from carepulse.publish import published_state, record_published
    from transform.build import candidate_path, published_path

    sealed: dict = {}
    known = published_state(home).get("mart_parts")

    def seal_evidence() -> None:
        sealed.update(collect(home, audit, [n.isoformat() for n in nights], candidate_path(home), known,
                              published_path(home) if known else None))
        sealed["bundle_sha256"] = seal(home, audit)["sha256"]

    result = swap_in(home, audit, seal_evidence)
    record_published(home, result.sha256, sealed["mart_parts"])
    return {"published": str(result.published), "sha256": result.sha256,
            "previous_sha256": result.previous_sha256, "bundle_sha256": sealed["bundle_sha256"],
            "manifests": sealed["manifests"]}


def deliver_alerts(loaded: LoadedConfig, home: Path, night: date, say=log.info) -> dict:
    """After publish: send the night's alerts once per channel (notify/). Reads the published
    file only, and never raises: a failure is kept in the delivery ledger and audit/alerts.jsonl,
    and the alerts wait for the next run; the night stays published."""
    try:
        from notify.deliver import deliver

        return deliver(loaded.config.alerts, home, night, say=say).as_dict()
    except Exception as exc:  # deliver() catches its own errors; this is a broken install
        from carepulse.alerts import record_alert
        from carepulse.secrets import mask

        record_alert(home, "deliver_alerts", exc)
        say(f"alerts: not delivered: {mask(exc)}")
        return {"enabled": loaded.config.alerts.enabled, "error": mask(f"{type(exc).__name__}: {exc}")}


def recover(home: Path, say=log.warning) -> None:
    """Before a writer starts: finish or undo a publish that a dead process left half done."""
    from carepulse.publish import recover as recover_publish

    done = recover_publish(home)
    if done:
        say(done)


# -- the whole chain in one process (`carepulse run`) ---------------------------------------------


def run_chain(loaded: LoadedConfig, home: Path, nights: list[date], run_id: str, *,
              policy_factory=None, say=log.info) -> dict[str, Any]:
    """extract -> validate raw -> transform -> validate marts -> publish -> deliver alerts, as
    the DAG does.

    Platforms extract in parallel threads (each over the nights in order); any gate failure
    raises with the published warehouse untouched.
    """
    from carepulse import space

    space.check_extract(home, len(nights))
    audit = audit_dir(home, run_id)
    jobs = plan_extraction(loaded, nights, home)
    platforms = list(loaded.config.platforms.enabled())
    say(f"extracting {len(nights)} night(s) on {len(platforms)} platform(s)")

    def platform_nights(platform: str) -> list[dict]:
        return [extract_platform_night(loaded, home, platform, job, policy_factory) for job in jobs]

    with ThreadPoolExecutor(len(platforms), thread_name_prefix="extract") as pool:
        extracted = [r for rs in pool.map(platform_nights, platforms) for r in rs]
    runs = finalize_extraction(home, jobs)
    say("extraction: " + ", ".join(f"{r['night']} {r['status']}" for r in runs))
    for line in partial_platforms(runs):
        say(f"  {line}")
    say(f"benchmarks: {refresh_benchmarks(loaded, home)['hcahps']}")
    raw_gate = validate_raw(loaded, home, nights, audit)
    say(f"raw gate passed ({raw_gate['suites']} suite runs)")
    space.check_transform(home)
    built = transform(loaded, home, nights[-1])
    say(f"candidate built: {built['nodes']} dbt nodes in {built['seconds']}s")
    space.check_gate_and_publish(home)
    marts_gate = validate_marts(loaded, home, audit, nights[-1], raw_gate)
    say(f"marts gate passed ({marts_gate['suites']} suites)")
    published = publish(home, audit, nights)
    say(f"published {published['published']} (sha256 {published['sha256'][:12]}); evidence sealed")
    delivered = deliver_alerts(loaded, home, nights[-1], say=say)
    return {"run_id": run_id, "audit": str(audit), "extraction": runs,
            "records": sum(r["records"] for r in extracted), "transform": built,
            "published": published, "alerts": delivered}
