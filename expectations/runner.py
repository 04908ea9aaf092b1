"""The quality gate: run a stage's suites through GX checkpoints, keep the evidence, raise on failure.

validate_raw checks a night's raw landing before the warehouse is built; validate_marts checks
the candidate warehouse before it is published. Both write `gx_<stage>_results.json` and a
Data Docs site (`data_docs/<stage>/index.html`) under the run's audit folder, and raise
ValidationFailed, naming every failed suite and expectation, when anything failed. Messages,
results and docs carry counts, never row values.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from carepulse import paths
from carepulse.config import LoadedConfig

log = logging.getLogger("expectations.runner")


@dataclass
class GateReport:
    stage: str  # "raw" or "marts"
    success: bool
    suites: dict[str, bool]  # suite name -> success
    failures: list[str]  # "suite: expectation_type(column=...): observed summary" (no row values)
    results_path: Path  # JSON results under the audit dir
    docs_index: Path | None  # Data Docs index.html under the audit dir
    night: date | None = None
    notes: list[str] = field(default_factory=list)  # volume bands, malformed pages, reconciled night


class ValidationFailed(RuntimeError):
    """A quality gate failed; the message names every failed suite and expectation."""

    def __init__(self, report: GateReport):
        self.report = report
        failed = [name for name, ok in report.suites.items() if not ok]
        night = f", night {report.night}" if report.night else ""
        lines = [f"quality gate failed ({report.stage}{night}): {len(failed)} suite(s) failed: "
                 f"{', '.join(failed)}", *(f"  - {f}" for f in report.failures),
                 f"  results: {report.results_path}"]
        super().__init__("\n".join(lines))


def validate_raw(home: Path, night: date, audit_dir: Path, config: LoadedConfig) -> GateReport:
    """Raw landing contracts of one night (files only; the warehouse is not opened)."""
    from expectations.raw_frames import read_raw

    raw = read_raw(paths.raw_dir(home), night, config)
    try:
        return run_gate("raw", raw.frames, audit_dir, config, parameters=raw.parameters,
                        night=night, notes=raw.notes)
    except ValidationFailed as exc:  # name the damaged files first, in words, not as an expectation
        exc.report.failures[:0] = raw.damaged
        raise ValidationFailed(exc.report) from None


def validate_marts(candidate: Path, audit_dir: Path, config: LoadedConfig, night: date | None = None,
                   *, raw_root: Path | None = None, window_days: int | None = 7) -> GateReport:
    """Publish-time checks of the candidate warehouse, read through a read-only connection.

    raw_root defaults to the raw zone beside the candidate's warehouse folder
    ($CAREPULSE_HOME/raw); the reconciliation suite counts the night's raw items there.
    Growing facts are checked row by row over the last window_days days before the night
    (marts_frames.WINDOW_DAYS; None: whole tables, e.g. after a full refresh).
    """
    from expectations.marts_frames import read_marts

    raw_root = raw_root or paths.raw_dir(Path(candidate).resolve().parent.parent)
    marts = read_marts(Path(candidate), raw_root, config, night, window_days)
    return run_gate("marts", marts.frames, audit_dir, config, parameters=marts.parameters,
                    night=marts.night, notes=marts.notes)


def validate_marts_spark(spark: Any, raw_root: Path, audit_dir: Path, config: LoadedConfig,
                         night: date | None = None, *, window_days: int | None = 7) -> GateReport:
    """The same publish-time checks on the Spark engine: the candidate's tables are read from
    the SparkSession's metastore (marts, intermediate, staging, build) and validated as Spark
    DataFrames by GX's Spark datasource. raw_root: the raw zone ($CAREPULSE_HOME/raw) the
    reconciliation counts the night's items in. Same suites, rows, results and evidence as
    validate_marts on a DuckDB candidate of the same content."""
    from expectations.marts_frames import read_marts_spark

    marts = read_marts_spark(spark, Path(raw_root), config, night, window_days)
    return run_gate("marts", marts.frames, audit_dir, config, parameters=marts.parameters,
                    night=marts.night, notes=marts.notes)


def run_gate(stage: str, frames: dict[str, Any], audit_dir: Path, config: LoadedConfig, *,
             parameters: dict[str, dict[str, Any]] | None = None, night: date | None = None,
             notes: list[str] | None = None, docs: bool = True) -> GateReport:
    """Validate each frame with the suite of the same name; write evidence; raise on failure."""
    from expectations import evidence
    from expectations.checkpoints import run_checkpoints

    started = time.perf_counter()
    audit_dir = Path(audit_dir)
    docs_dir = audit_dir / "data_docs" / stage if docs else None
    run_name = f"{stage}-{audit_dir.name}"
    outcome = run_checkpoints(frames, config, parameters or {}, docs_dir, run_name)
    failures = [line for name, result in outcome.results.items()
                for line in evidence.failures(name, result)]
    report = GateReport(stage=stage, success=all(outcome.suites.values()), suites=outcome.suites,
                        failures=failures, results_path=audit_dir / f"gx_{stage}_results.json",
                        docs_index=outcome.docs_index, night=night, notes=list(notes or []))
    evidence.write_results(report.results_path, _document(report, outcome, parameters or {}))
    log.info("quality gate %s: %s (%d suites, %.1fs)", stage, "passed" if report.success else "FAILED",
             len(report.suites), time.perf_counter() - started)
    if not report.success:
        raise ValidationFailed(report)
    return report


def _document(report: GateReport, outcome: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "stage": report.stage,
        "night": report.night.isoformat() if report.night else None,
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "success": report.success,
        "suites": report.suites,
        "failures": report.failures,
        "notes": report.notes,
        "parameters": parameters,
        "result_format": outcome.result_format,
        "great_expectations_version": metadata.version("great_expectations"),
        "docs_index": str(report.docs_index) if report.docs_index else None,
        "results": {name: result.to_json_dict() for name, result in outcome.results.items()},
    }
