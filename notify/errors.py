"""How a send can fail, as the delivery loop needs to know it.

Both count as an attempt (the ledger's `attempts`); they differ in what the rest of the run does:
the channel as a whole is unusable tonight (unreachable, rate-limited, 5xx, login refused: every
message still due for it would fail the same way, so none is tried), or the server refused this
one message (the others go on).
"""

from __future__ import annotations


class ChannelUnavailable(Exception):
    """The channel cannot take messages now; retry it on a later run."""


class MessageRefused(Exception):
    """The server refused this message; it is retried on a later run, the others go on now."""
