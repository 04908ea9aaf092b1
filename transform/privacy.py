"""Patient-privacy functions shared by the warehouse (as DuckDB functions) and by tests.

One list of identifier patterns drives both: `redact()` in Python and the SQL macro
`redact_phi(text)` that staging applies. After redaction `phi_residue()` runs stricter,
broader detectors; a text where any still fires is quarantined rather than loaded (fail
closed: a pattern gap shows up as a quarantined record, not as a leaked identifier).
Patterns stay within RE2 syntax (no look-behind) so DuckDB runs the same expressions.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Characters that may not touch a number for it to count as a standalone identifier: this
# keeps digits inside URLs, handles and ids (".../status/2126103627208322142") out.
_EDGE = r"(^|[^0-9A-Za-z/_.@#-])"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_STREET = (r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
           r"terrace|circle|cir|parkway|pkwy)")

# (placeholder, pattern, replacement) applied in order; group 1 is the kept edge character.
PATTERNS: list[tuple[str, str, str]] = [
    ("EMAIL", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
    ("MRN", r"(?i)\b(?:mrn|medical record(?: number| no\.?)?|record no\.?|chart)"
            r"\s*(?:#|:|no\.?)?\s*\d{5,12}\b", "[MRN]"),
    ("DOB", r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|born(?: on)?)\s*:?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
            r"|\d{4}-\d{1,2}-\d{1,2}|" + _MONTH + r"\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+" + _MONTH + r"\s+\d{4})",
     "[DOB]"),
    ("SSN", _EDGE + r"\d{3}-\d{2}-\d{4}\b", r"\1[SSN]"),
    ("PHONE", _EDGE + r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}\b", r"\1[PHONE]"),
    ("ADDRESS", r"(?i)\b\d{1,6}\s+(?:[a-z]+\s+){1,3}" + _STREET
     + r"\b\.?(?:,?\s*(?:apt|apartment|unit|suite|#)\.?\s*#?\w+)?", "[ADDRESS]"),
]

# Broader detectors run on redacted text with URLs removed: any hit means "not safe to load".
RESIDUE = [
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}",  # an email the redactor missed
    r"(^|[^0-9A-Za-z/_.@#])\d(?:[\s.()-]?\d){6,}",  # 7+ digits, separators allowed: phone/MRN/SSN
    r"(?i)\b(?:mrn|medical record|dob|date of birth)\b.{0,8}\d",
    r"(?i)\b\d{1,6}\s+(?:[a-z]+\s+){1,3}" + _STREET + r"\b",
]
# Removed before the residue check: links (ids in URLs) and calendar dates (event notices),
# which are not identifiers on their own; a date next to "DOB"/"born" is caught above.
NOT_IDENTIFIERS = r"https?://\S+|\b\d{4}-\d{2}-\d{2}\b"
PLACEHOLDERS = tuple(f"[{name}]" for name, _, _ in PATTERNS)


def _py(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_COMPILED = [(_py(p), r) for _, p, r in PATTERNS]
_RESIDUE = [_py(p) for p in RESIDUE]


def redact(text: str | None) -> str | None:
    """Replace identifiers with typed placeholders (the Python twin of SQL `redact_phi`)."""
    if text is None:
        return None
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text


def phi_residue(text: str | None) -> bool:
    """True when redacted text still looks like it holds an identifier."""
    if text is None:
        return False
    stripped = re.sub(NOT_IDENTIFIERS, " ", text)
    return any(p.search(stripped) for p in _RESIDUE)


def pseudonym(key: bytes, platform: str | None, author_id: str | None) -> str | None:
    """Keyed HMAC-SHA256 pseudonym: stable per key, useless without it."""
    if platform is None or author_id is None:
        return None
    digest = hmac.new(key, f"{platform}:{author_id}".encode(), hashlib.sha256).hexdigest()
    return f"anon_{digest[:16]}"


def _scoped(pattern: str) -> str:
    """The pattern as a group, a leading (?i) kept inside it, for use in an alternation."""
    return f"(?i:{pattern[4:]})" if pattern.startswith("(?i)") else f"(?:{pattern})"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def sql_macros() -> list[str]:
    """DuckDB TEMP macros for redaction and the residue check (per connection, not stored)."""
    expr = "t"
    for _, pattern, repl in PATTERNS:
        expr = f"regexp_replace({expr}, {_sql_str(pattern)}, {_sql_str(repl)}, 'g')"
    stripped = f"regexp_replace(t, {_sql_str(NOT_IDENTIFIERS)}, ' ', 'g')"
    # one pass: the detectors as one alternation, each with its own flags (RE2 group flags)
    residue = f"regexp_matches({stripped}, {_sql_str('|'.join(_scoped(p) for p in RESIDUE))})"
    return [
        f"CREATE OR REPLACE TEMP MACRO redact_phi(t) AS {expr}",
        f"CREATE OR REPLACE TEMP MACRO phi_residue(t) AS coalesce({residue}, false)",
    ]
