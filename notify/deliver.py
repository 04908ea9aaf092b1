"""Delivery of a published night's alerts: read them, record them in the ledger, send what is
due, channel by channel.

Once per alert and channel: the ledger (notify.outbox) remembers every (alert_id, channel) it
has seen, so a rerun of the night finds them sent and sends nothing again; a failed send stays
pending and is tried again by the next run (the next night, or `carepulse alerts deliver`)
until `alerts.max_attempts`, then it is marked failed and left alone.

`deliver` never raises: the night is published whatever happens here. Every error is stored
(masked) in the ledger row it concerns, recorded in `audit/alerts.jsonl` (one line per channel
and run, not per message) and named in the returned summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from carepulse.alerts import record_alert
from carepulse.config import ALERT_KINDS, Alerts, EmailChannel, WebhookChannel
from carepulse.secrets import install_log_masking, mask
from notify import email, webhook
from notify.alerts import Alert, Collected, collect, latest_night
from notify.digest import KIND as DIGEST_KIND
from notify.digest import digest_email, digest_id, digest_payload
from notify.errors import ChannelUnavailable, MessageRefused
from notify.outbox import Message, Outbox, delivery_lock
from transform.build import published_path

log = logging.getLogger("carepulse.notify")
STEP = "deliver_alerts"  # the step name in audit/alerts.jsonl
OFF = "alerts: delivery off (alerts.enabled is false)"

Send = Callable[[Message], "str | None"]


@dataclass(frozen=True)
class Channel:
    """A configured destination: its ledger name, the alert kinds it takes, and how to open a
    session on it (a context manager yielding `send(message) -> note or None`)."""

    name: str
    kinds: tuple[str, ...]
    open: Callable[[float], AbstractContextManager[Send]]


@dataclass
class ChannelResult:
    channel: str
    sent: int = 0
    retrying: int = 0  # attempted by this run without success, pending for a later run
    gave_up: int = 0  # reached max_attempts in this run: failed, never tried again
    error: str | None = None  # the last error this run met on the channel (masked)

    def line(self) -> str:
        if not (self.sent or self.retrying or self.gave_up):
            return f"{self.channel}: nothing due"
        text = f"{self.channel}: {self.sent} sent, {self.retrying} to retry, {self.gave_up} given up"
        return text + (f" ({self.error})" if self.error else "")


@dataclass
class Delivery:
    """What a delivery run did; `as_dict()` is what the Airflow task returns (XCom)."""

    enabled: bool
    night: date | None = None
    alerts: dict[str, int] = field(default_factory=dict)  # kind -> alerts in the window
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it was not read
    queued: int = 0  # new (message, channel) rows this run
    in_doubt: int = 0  # rows an interrupted run left between claim and outcome
    channels: list[ChannelResult] = field(default_factory=list)
    error: str | None = None

    def header(self) -> str:
        found = ", ".join(f"{k} {n}" for k, n in self.alerts.items() if n) or "none"
        return f"alerts for night {self.night}: {found}; {self.queued} new deliveries queued"

    def as_dict(self) -> dict:
        return {"enabled": self.enabled, "night": self.night.isoformat() if self.night else None,
                "alerts": self.alerts, "skipped": self.skipped, "queued": self.queued,
                "in_doubt": self.in_doubt, "error": self.error,
                "channels": {r.channel: {"sent": r.sent, "retrying": r.retrying, "gave_up": r.gave_up,
                                         "error": r.error} for r in self.channels}}


def deliver(cfg: Alerts, home: Path, night: date | None = None, *, say: Callable[[str], None] = log.info,
            lock_wait_s: float = 60.0) -> Delivery:
    """Deliver the alerts of `night` (default: the newest night published), saying one line per
    channel as it goes. Never raises."""
    say = _never_raising(say)
    if not cfg.enabled:
        say(OFF)
        return Delivery(enabled=False)
    summary = Delivery(enabled=True)
    try:
        install_log_masking()  # httpx logs each URL it posts to: the webhook's URL is a secret
        _deliver(cfg, home, night, summary, say, lock_wait_s)
    except Exception as exc:  # the night is published: delivery reports, it never fails it
        summary.error = mask(f"{type(exc).__name__}: {exc}")
        record_alert(home, STEP, exc)
        say(f"alerts: not delivered: {summary.error}")
    return summary


def _never_raising(say: Callable[[str], None]) -> Callable[[str], None]:
    """A progress printer must not stop delivery (a rich console reads "[x]" in an error text as
    markup and can raise): a line it cannot print goes to the log instead."""
    def safe(line: str) -> None:
        try:
            say(line)
        except Exception:
            log.warning("%s", line)

    return safe


def _deliver(cfg: Alerts, home: Path, night: date | None, summary: Delivery, say, lock_wait_s: float) -> None:
    warehouse = published_path(home)
    if not warehouse.exists():
        raise FileNotFoundError(f"nothing is published yet ({warehouse.name} is missing)")
    summary.night = night = night or latest_night(warehouse)
    if night is None:
        raise LookupError("the published warehouse has no night in marts.fct_data_health_nightly")
    collected = collect(warehouse, night, cfg.max_age_days)
    summary.alerts = {k: sum(a.kind == k for a in collected.alerts) for k in ALERT_KINDS}
    summary.skipped = collected.skipped
    channels = configured_channels(cfg)
    with Outbox(home) as outbox:
        summary.queued = _record(outbox, collected, channels, cfg.email)
        say(summary.header())
        for kind, why in summary.skipped.items():
            say(f"  {kind} skipped: {why}")
        with delivery_lock(home, lock_wait_s):
            interrupted = outbox.recover_interrupted(cfg.max_attempts)
            summary.in_doubt = len(interrupted)
            for alert_id, channel in interrupted:
                say(f"  in doubt: {alert_id} on {channel}: an earlier run died during its attempt, which "
                    "may have been delivered; sending it again")
            outbox.give_up_beyond(cfg.max_attempts)
            for channel in channels:
                result = _send_due(outbox, channel, cfg.timeout_s, cfg.max_attempts, home)
                summary.channels.append(result)
                say(result.line())


# -- channels ---------------------------------------------------------------------------------------


def configured_channels(cfg: Alerts) -> list[Channel]:
    channels = [_email_channel(cfg.email)] if cfg.email else []
    return channels + [_webhook_channel(w) for w in cfg.webhooks]


def _email_channel(cfg: EmailChannel) -> Channel:
    @contextmanager
    def open_session(timeout_s: float) -> Iterator[Send]:
        with email.smtp_session(cfg, timeout_s) as send:
            yield lambda message: send(_email_for(message, cfg))

    # per-alert messages only when someone takes them; the digest goes by its own list
    kinds = tuple(cfg.kinds) if cfg.recipients else ()
    return Channel(email.CHANNEL, kinds, open_session)


def _email_for(message: Message, cfg: EmailChannel):
    if message.kind == DIGEST_KIND:
        return digest_email(message.payload, cfg)
    return email.alert_email(Alert.from_payload(message.payload), cfg, message.night)


def _webhook_channel(cfg: WebhookChannel) -> Channel:
    @contextmanager
    def open_session(timeout_s: float) -> Iterator[Send]:
        with webhook.webhook_session(cfg, timeout_s) as post:
            yield lambda message: post(message.alert_id,
                                       webhook.payload(Alert.from_payload(message.payload), message.night))

    return Channel(webhook.channel_name(cfg), tuple(cfg.kinds), open_session)


# -- recording and sending ------------------------------------------------------------------------------


def _record(outbox: Outbox, collected: Collected, channels: list[Channel],
            email_cfg: EmailChannel | None) -> int:
    """Every alert into the ledger (with no channel it still counts as seen, for the digest), a
    row per channel that takes its kind, then the night's digest; returns the new rows."""
    night = collected.night
    queued = 0
    for alert in collected.alerts:
        targets = [c.name for c in channels if alert.kind in c.kinds]
        message = Message(alert.alert_id, alert.kind, alert.day, night, alert.to_payload())
        queued += outbox.add(message, targets)
    if email_cfg and email_cfg.digest_recipients:
        firsts = [Alert.from_payload(m.payload) for m in outbox.first_seen_for(night, list(email_cfg.kinds))]
        queued += outbox.add(Message(digest_id(night), DIGEST_KIND, night, night,
                                     digest_payload(night, firsts)), [email.CHANNEL])
    return queued


def _send_due(outbox: Outbox, channel: Channel, timeout_s: float, max_attempts: int,
              home: Path) -> ChannelResult:
    """One attempt at each message due on the channel. When the channel proves unusable, the
    messages not yet tried count this run's attempt with the channel's error, untried."""
    result = ChannelResult(channel.name)
    due = outbox.due(channel.name)
    if not due:
        return result
    tried: set[str] = set()
    try:
        with channel.open(timeout_s) as send:
            for message in due:
                tried.add(message.alert_id)
                _attempt(outbox, channel.name, send, message, max_attempts, result)
    except ChannelUnavailable as exc:
        result.error = mask(str(exc))
        for message in due:
            if message.alert_id not in tried and outbox.claim(message.alert_id, channel.name):
                _tally(result, outbox.attempt_failed(message.alert_id, channel.name,
                                                     f"not tried: channel unavailable: {exc}", max_attempts))
    if result.error:
        record_alert(home, f"{STEP} {channel.name}", RuntimeError(result.error))
    return result


def _attempt(outbox: Outbox, channel: str, send: Send, message: Message, max_attempts: int,
             result: ChannelResult) -> None:
    """Claim (committed), send, record the outcome (committed) at once: the at-least-once window
    is only the time between the server's acceptance and the `sent` commit."""
    if not outbox.claim(message.alert_id, channel):
        return  # no longer pending (cannot happen under the delivery lock; harmless if it does)
    try:
        note = send(message)
    except ChannelUnavailable as exc:
        _tally(result, outbox.attempt_failed(message.alert_id, channel, str(exc), max_attempts))
        raise
    except Exception as exc:  # MessageRefused, or this message could not be rendered: the others go on
        error = str(exc) if isinstance(exc, MessageRefused) else f"{type(exc).__name__}: {exc}"
        result.error = mask(error)
        _tally(result, outbox.attempt_failed(message.alert_id, channel, error, max_attempts))
        return
    outbox.sent(message.alert_id, channel, note)
    result.sent += 1


def _tally(result: ChannelResult, state: str) -> None:
    if state == "failed":
        result.gave_up += 1
    else:
        result.retrying += 1
