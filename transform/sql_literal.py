"""A generated string (a version, a build id, a timestamp) quoted for the SQL the dbt Python
models send to DuckDB: they are ours, not data, but anything odd is refused, never escaped."""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9_.:+\- ]+")


def literal(value: str) -> str:
    if not _SAFE.fullmatch(value):
        raise ValueError(f"unexpected characters in {value!r}")
    return f"'{value}'"
