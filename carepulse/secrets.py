"""Secrets come from the environment and are masked wherever text leaves the process.

Every secret read through `get_secret` is registered; `mask()` replaces registered
values and well-known credential shapes, and `install_log_masking()` applies it to
every log record (including third-party loggers such as googleapiclient's).
"""

from __future__ import annotations

import logging
import os
import re
import threading

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
# Credential shapes masked even when not registered (defence in depth).
_PATTERNS = [
    re.compile(r"(?i)([?&](?:key|access_token|oauth_token|token|client_secret)=)[^&\s'\"]+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)(x-goog-api-key['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+"),
    re.compile(r"()AIza[0-9A-Za-z_-]{20,}"),
]


class MissingSecret(RuntimeError):
    pass


def register_secret(value: str | None) -> None:
    """Mask `value` from now on.

    Composite credentials ("client_id:secret", "handle:app-password") are registered whole;
    the connector that splits one registers its secret half itself, so that public parts
    such as a login handle are not masked out of landed evidence.
    """
    if not value:
        return
    with _lock:
        _secrets.add(value)


def get_secret(env_name: str, *, purpose: str = "") -> str:
    """Read a secret from the environment, register it for masking, or fail naming the variable."""
    value = os.environ.get(env_name, "")
    if not value.strip():
        what = f" ({purpose})" if purpose else ""
        raise MissingSecret(f"environment variable {env_name} is not set{what}")
    register_secret(value)
    return value


def mask(text: object) -> str:
    s = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for value in secrets:
        if value in s:
            s = s.replace(value, MASK)
    for pat in _PATTERNS:
        s = pat.sub(lambda m: m.group(1) + MASK, s)
    return s


class MaskingFilter(logging.Filter):
    """Rewrites a record's message (with its args and exception text) through `mask`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the log line
            message = str(record.msg)
        record.msg = mask(message)
        record.args = None
        if record.exc_info:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_FILTER = MaskingFilter()
_installed = False


def install_log_masking() -> None:
    """Mask every log record from now on, whichever logger or handler it goes through.

    A record factory covers loggers and handlers created later (Airflow task handlers,
    googleapiclient's retry warnings); the handler filter covers records made before.
    """
    global _installed
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if _installed:
        return
    base_factory = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
