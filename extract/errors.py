"""Outcomes a connector can hit, as exceptions the runner knows how to record.

The runner turns each into a shard state: QuotaExhausted stops the platform for the night
(partial, resumable), AuthFailed stops the platform, ShardFailed leaves one shard partial.
Messages are masked before they are raised, so they are safe to log and to store.
"""

from __future__ import annotations

from carepulse.secrets import mask


class ExtractError(Exception):
    """Base class; message is masked."""

    def __init__(self, message: str):
        super().__init__(mask(message))


class QuotaExhausted(ExtractError):
    """The platform's quota or budget for the night is spent; waiting will not help."""


class AuthFailed(ExtractError):
    """The credential is missing, invalid or expired and could not be refreshed."""


class ShardFailed(ExtractError):
    """A request for this shard kept failing after retries (5xx, timeouts, malformed bodies, 4xx)."""


class RateLimitTooLong(ExtractError):
    """The platform asked us to wait longer than the configured max_wait_s."""
