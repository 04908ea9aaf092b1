"""One e-mail per published night to `alerts.email.digest_recipients`: the alerts first seen
for that night, by kind, the largest departures from normal first.

Keyed `digest:<night>` in the ledger, so a rerun of the night does not send it again. Each
alert is in one digest only (the night it was first seen), however many nights it stays within
`max_age_days`. A night without alerts still gets its digest: a silent inbox would not tell
"nothing happened" from "delivery is broken".
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from email.message import EmailMessage

from carepulse.config import ALERT_KINDS, EmailChannel
from notify.alerts import Alert
from notify.email import new_message

KIND = "digest"  # the ledger's message kind
TOP = 5  # alerts listed per kind; the count says how many more
HEADINGS = {"sentiment": "Sentiment", "news_spike": "News spikes",
            "aspect_spike": "Patient-experience aspects", "data_health": "Data health"}


def digest_id(night: date) -> str:
    return f"digest:{night.isoformat()}"


def digest_payload(night: date, alerts: list[Alert]) -> dict:
    """What the digest says, frozen when first recorded (a retry sends the same text)."""
    return {"night": night.isoformat(), "alerts": [a.to_payload() for a in alerts]}


def digest_email(payload: dict, cfg: EmailChannel) -> EmailMessage:
    night = payload["night"]
    alerts = [Alert.from_payload(doc) for doc in payload["alerts"]]
    counts = Counter(a.kind for a in alerts)
    if alerts:
        parts = ", ".join(f"{HEADINGS[k].lower()} {counts[k]}" for k in ALERT_KINDS if counts[k])
        subject = f"alerts digest for {night}: {len(alerts)} new ({parts})"
    else:
        subject = f"alerts digest for {night}: no new alerts"
    return new_message(cfg, cfg.digest_recipients, subject, _body(night, alerts, counts), digest_id(
        date.fromisoformat(night)))


def _body(night: str, alerts: list[Alert], counts: Counter) -> str:
    lines = [f"CarePulse alerts first seen for the night of {night}."]
    if not alerts:
        lines += ["", "No sentiment, news, patient-experience or data-health alert fired. This daily "
                      "message confirms that the night was published and delivery ran."]
    for kind in ALERT_KINDS:
        if not counts[kind]:
            continue
        ranked = sorted((a for a in alerts if a.kind == kind), key=lambda a: (-a.severity, a.day, a.alert_id))
        lines += ["", f"{HEADINGS[kind]} ({counts[kind]})"]
        for alert in ranked[:TOP]:
            lines += [f"  - {alert.title}", f"    {alert.headline}"]
        if counts[kind] > TOP:
            lines.append(f"  ... and {counts[kind] - TOP} more (the dashboard shows every alert)")
    return "\n".join(lines) + "\n"
