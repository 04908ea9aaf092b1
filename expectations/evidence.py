"""What the gate keeps: validation results without row values, and one-line failure summaries.

RESULT_FORMAT already keeps no sample of unexpected values; `scrub` is the second lock: it
drops every key that can carry row values in any result format, and withholds exception
messages and tracebacks (a pandas or GX error message can quote the offending value). What
stays: counts, the expectation and its configuration (our code, not data), and numeric or
date observations of aggregates.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from extract.landing import atomic_write

VALUE_KEYS = (
    "partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
    "unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows",
    "unexpected_index_column_names", "details",
)
SAFE_OBSERVATIONS = (int, float, bool, date, datetime)


def _exception_kind(info: dict[str, Any]) -> str:
    """The exception's class name, from the last line of its traceback, without its message."""
    lines = [ln for ln in (info.get("exception_traceback") or "").splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return last.split(":", 1)[0].rsplit(".", 1)[-1] or "Exception"


def _scrub_exception_info(info: Any) -> Any:
    """Exception info is flat, or one entry per metric; keep whether and what, not the message."""
    if not isinstance(info, dict):
        return info
    if "raised_exception" not in info:
        return {k: _scrub_exception_info(v) for k, v in info.items()}
    if not info.get("raised_exception"):
        return {"raised_exception": False, "exception_traceback": None, "exception_message": None}
    kind = _exception_kind(info)
    return {"raised_exception": True, "exception_traceback": None,
            "exception_message": f"{kind} (message withheld: it may quote data values)"}


def scrub(validation_result: Any) -> Any:
    """Remove row values from an ExpectationSuiteValidationResult in place; returns it."""
    for r in validation_result.results:
        for key in VALUE_KEYS:
            r.result.pop(key, None)
        observed = r.result.get("observed_value")
        if observed is not None and not isinstance(observed, SAFE_OBSERVATIONS):
            r.result["observed_value"] = "(withheld)"
        r.exception_info = _scrub_exception_info(r.exception_info)
    return validation_result


def _raised(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return info["exception_message"].split(" ", 1)[0] if info.get("raised_exception") else None
    return next((kind for v in info.values() if (kind := _raised(v))), None)


def _target(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        return f"column={kwargs['column']}"
    if "column_A" in kwargs:
        return f"column_A={kwargs['column_A']}, column_B={kwargs['column_B']}"
    return ""


def _observed(result: dict[str, Any], kwargs: dict[str, Any]) -> str:
    if "unexpected_count" in result:
        return f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected"
    observed = result.get("observed_value")
    if isinstance(observed, SAFE_OBSERVATIONS):
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return f"observed {observed}, expected [{_bound(low)}, {_bound(high)}]"
    return "failed"


def _bound(value: Any) -> str:
    return "-" if value is None else str(value)


def failures(suite: str, validation_result: Any) -> list[str]:
    """'suite: expectation_type(column=...): summary' for each failed expectation (scrubbed input)."""
    lines = []
    for r in validation_result.results:
        if r.success:
            continue
        config = r.expectation_config
        kwargs = dict(config.kwargs)
        raised = _raised(r.exception_info)
        summary = f"raised {raised}" if raised else _observed(r.result, kwargs)
        lines.append(f"{suite}: {config.type}({_target(kwargs)}): {summary}")
    return lines


def write_results(path: Path, document: dict[str, Any]) -> Path:
    """The stage's results as one JSON file in the run's evidence folder (owner-only)."""
    data = json.dumps(document, indent=1, sort_keys=True, default=str).encode("utf-8")
    atomic_write(path, data, mode=0o600)
    return path
