"""Numbers as people read them: thousands separators, percentages, signed changes, durations.

Every figure the dashboard prints goes through here, so a page and its test agree on how a
number looks, and a missing value always reads the same ("–") instead of `nan` or `None`.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from numbers import Number

MISSING = "–"


def is_missing(value: object) -> bool:
    """None, NaN, pandas NA: anything that is not a finite number."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def count(value: Number | None) -> str:
    """A whole number with thousands separators: 12345 -> '12,345'."""
    return MISSING if is_missing(value) else f"{round(float(value)):,}"


def compact(value: Number | None) -> str:
    """Large counts shortened: 1234 -> '1.2k', 2500000 -> '2.5M' (reach, followers)."""
    if is_missing(value):
        return MISSING
    number = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:.1f}{suffix}"
    return count(number)


def percent(value: Number | None, digits: int = 1) -> str:
    """A share or rate in [0, 1] as a percentage: 0.1234 -> '12.3%'."""
    return MISSING if is_missing(value) else f"{float(value) * 100:,.{digits}f}%"


def signed(value: Number | None, digits: int = 2) -> str:
    """A score in [-1, 1] with its sign: 0.25 -> '+0.25' (net sentiment)."""
    return MISSING if is_missing(value) else f"{float(value):+.{digits}f}"


def money(value: Number | None, currency: str = "", digits: int = 2) -> str:
    """An amount with its currency code: '1,234.50 USD' (digits=0: '1,235 USD')."""
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f} {currency}".strip()


def change(current: Number | None, previous: Number | None) -> str | None:
    """Relative change for st.metric: '+12.5%'; None when there is nothing to compare with."""
    if is_missing(current) or is_missing(previous) or float(previous) == 0:
        return None
    return f"{(float(current) - float(previous)) / float(previous) * 100:+,.1f}%"


def point_change(current: Number | None, previous: Number | None, *, scale: float = 100,
                 unit: str = " pp", digits: int = 1) -> str | None:
    """Absolute change of a share ('+1.5 pp') or score (scale=1, unit='': '+0.05')."""
    if is_missing(current) or is_missing(previous):
        return None
    return f"{(float(current) - float(previous)) * scale:+.{digits}f}{unit}"


def duration(minutes: Number | None) -> str:
    """Minutes as '45m', '6h 38m' or '3d 4h' (response times, waiting times)."""
    if is_missing(minutes):
        return MISSING
    total = round(float(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


def hours(value: Number | None) -> str:
    """Hours as duration() reads them: 30.5 -> '1d 6h' (reply times are kept in hours)."""
    return MISSING if is_missing(value) else duration(float(value) * 60)


def hours_between(low: Number | None, high: Number | None) -> str:
    """A time known only to within bounds: 'between 10h 00m and 1d 22h'."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"between {hours(low)} and {hours(high)}"


def rating(value: Number | None, digits: int = 2) -> str:
    """An average star rating out of 5: 4.256 -> '4.26 ★'."""
    return MISSING if is_missing(value) else f"{float(value):.{digits}f} ★"


def day(value: date | None) -> str:
    """A date as '26 Nov 2026'."""
    return MISSING if value is None else f"{value.day} {value:%b %Y}"


def instant(iso: str | None) -> str:
    """An ISO timestamp (as the audit records write them) as '28 Nov 2026 04:40 UTC'."""
    if not iso:
        return MISSING
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return f"{day(moment.date())} {moment:%H:%M} UTC"


def period(start: date, end: date) -> str:
    """A date range as '13 Nov 2026 – 26 Nov 2026 (14 days)'."""
    days = (end - start).days + 1
    return f"{day(start)} – {day(end)} ({days} day{'s' if days != 1 else ''})"


# ISO 639-1 codes the language detector is configured with by default, and 'und'
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "pl": "Polish", "ru": "Russian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
    "vi": "Vietnamese", "tl": "Tagalog", "ar": "Arabic", "hi": "Hindi", "und": "Undetermined",
}


def language(code: str) -> str:
    """An ISO 639-1 code as its English name ('es' -> 'Spanish'); a code not listed as itself."""
    return LANGUAGE_NAMES.get(code, code)


_MARKDOWN = "\\`*_{}[]()<>#+-.!|~$:"


def text(value: object) -> str:
    """Text from the config (brand, campaign, topic names) inside a Streamlit markdown string:
    every markdown character escaped, so `**Clinics**` shows its stars and `[c](javascript:...)`
    stays text, never a link."""
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in str(value))


def gate_failures(failures: tuple[str, ...] | list[str]) -> str:
    """A gate's failures as an executive reads them: sentences written for people are kept
    (no platform delivering, a damaged raw file); check names are counted, not shown."""
    kept = [f for f in failures if f.startswith("no platform delivered data")]
    damaged = sum(f.startswith("raw/") for f in failures)
    checks = len(failures) - len(kept) - damaged
    parts = [*kept]
    if damaged:
        parts.append(f"{damaged} raw data file(s) damaged")
    if checks:
        parts.append(f"{checks} data check{'s' if checks != 1 else ''} failed")
    return "; ".join(parts) or "see the run's gate.json"
