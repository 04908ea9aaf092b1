"""E-mail over SMTP (stdlib `smtplib`): one message per alert to `alerts.email.recipients`.

One connection per delivery run. `security: starttls` never falls back to a plain-text login:
a server that does not offer STARTTLS makes the channel unavailable. SMTP has no idempotency
key, so the ledger's at-least-once window applies (notify.outbox); a repeat carries the same
Message-ID, derived from the alert id, which lets mail systems and people recognise it.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from carepulse.config import EmailChannel
from carepulse.secrets import MissingSecret, get_secret
from notify.alerts import Alert
from notify.errors import ChannelUnavailable, MessageRefused

CHANNEL = "email"  # the ledger's channel name
SUBJECT_PREFIX = "[CarePulse]"
# headers on one line (SMTP allows 998 characters): a folded X-CarePulse-Alert-Id, which has no
# space to fold at, comes back from some parsers with the fold's whitespace in it
POLICY = policy.default.clone(max_line_length=998)

Send = Callable[[EmailMessage], "str | None"]


def message_id(alert_id: str) -> str:
    """The same for every attempt at the same alert: a repeat is recognisable as one."""
    return f"<{hashlib.sha256(alert_id.encode()).hexdigest()[:32]}@carepulse.alerts>"


def new_message(cfg: EmailChannel, to: list[str], subject: str, body: str, alert_id: str) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = f"{SUBJECT_PREFIX} {subject}"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(alert_id)
    msg["X-CarePulse-Alert-Id"] = alert_id
    msg.set_content(body)
    return msg


def alert_email(alert: Alert, cfg: EmailChannel, night: date) -> EmailMessage:
    width = max(len(label) for label, _ in alert.facts)
    lines = [alert.title, "", *(f"{label:<{width}}  {value}" for label, value in alert.facts), "",
             f"Published night {night}; alert {alert.alert_id}.",
             "Figures come from the published CarePulse warehouse; the dashboard shows the days around it."]
    return new_message(cfg, cfg.recipients, alert.title, "\n".join(lines) + "\n", alert.alert_id)


@contextmanager
def smtp_session(cfg: EmailChannel, timeout_s: float) -> Iterator[Send]:
    """Connect, secure and log in once; yields `send(message)`, which returns a note when some
    recipients were refused (the others got it). ChannelUnavailable when the server cannot be
    used at all, MessageRefused when it refuses one message."""
    smtp = _connect(cfg, timeout_s)
    try:
        yield lambda msg: _send(smtp, msg)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the server went away: nothing left to say to it


def _credentials(cfg: EmailChannel) -> tuple[str, str] | None:
    if cfg.username_env is None or cfg.password_env is None:
        return None
    username = os.environ.get(cfg.username_env, "").strip()
    if not username:
        raise MissingSecret(f"environment variable {cfg.username_env} is not set (alerts.email.username_env)")
    return username, get_secret(cfg.password_env, purpose="alerts.email.password_env")


def _connect(cfg: EmailChannel, timeout_s: float) -> smtplib.SMTP:
    where = f"SMTP {cfg.host}:{cfg.port} ({cfg.security})"
    smtp = None
    try:
        login = _credentials(cfg)
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout_s,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout_s)
        if cfg.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if login:
            smtp.login(*login)
        return smtp
    except (MissingSecret, smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        if smtp is not None:
            smtp.close()
        raise ChannelUnavailable(f"{where}: {type(exc).__name__}: {exc}") from None


def _send(smtp: smtplib.SMTP, msg: EmailMessage) -> str | None:
    try:
        refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MessageRefused(f"every recipient refused: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPSenderRefused as exc:  # the same sender on every message: none would go
        raise ChannelUnavailable(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        text = f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:  # transient: the server asks us to come back later
            raise ChannelUnavailable(text) from None
        raise MessageRefused(text) from None
    except (smtplib.SMTPException, OSError) as exc:  # disconnected, timed out
        raise ChannelUnavailable(f"{type(exc).__name__}: {exc}") from None
    return f"sent, but refused for {_refusals(refused)}" if refused else None


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _refusals(recipients: dict) -> str:
    return "; ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in sorted(recipients.items()))
