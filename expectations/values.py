"""Typed reads of raw API values for the raw frames: a value of the wrong type becomes None.

None is what the suites count as "missing", so a field that is absent, null or of the wrong
type fails the same not-null expectation. Nothing here keeps text: text fields are reduced
to "present" booleans by the dataset modules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def dig(obj: Any, *path: str | int) -> Any:
    """obj[path[0]][path[1]]..., or None where any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            obj = obj[step] if isinstance(obj, list) and -len(obj) <= step < len(obj) else None
        else:
            obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def as_int(value: Any) -> int | None:
    """A JSON integer (not a bool, not a float with a fraction)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def uint_string(value: Any) -> int | None:
    """YouTube sends counts as decimal strings (uint64); anything else is None."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def iso_utc(value: Any) -> datetime | None:
    """An ISO-8601 timestamp with an offset, in UTC; a naive or unparseable one is None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def epoch_utc(value: Any) -> datetime | None:
    seconds = as_float(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def has_text(value: Any) -> bool:
    """The field holds a string (possibly empty): only this fact leaves the raw zone."""
    return isinstance(value, str)
