"""Slack-compatible incoming webhooks: `{"text": ..., "blocks": [...]}` POSTed with httpx.

The URL is the credential (anyone holding it can post), so it comes from the variable the
config names, is registered for masking before the first request, and never appears in an
error, the ledger or a log line. Each POST carries `Idempotency-Key: <alert_id>`, the same on
every attempt, so a receiver that honours it drops the repeat a retry after a lost reply sends.

Outcomes: 2xx sent; 429, 5xx and network errors make the channel unavailable for this run
(retry later: the endpoint is down or asks us to slow down); any other status refuses this
one message (recorded, retried later, the others go on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import httpx

from carepulse.config import WebhookChannel
from carepulse.secrets import MissingSecret, get_secret, register_secret
from notify.alerts import Alert
from notify.errors import ChannelUnavailable, MessageRefused

HEADER_LIMIT = 150  # Slack's limit on a header block's text
FIELDS_LIMIT = 10  # ... and on a section's fields

Post = Callable[[str, dict], None]


def channel_name(cfg: WebhookChannel) -> str:
    return f"webhook:{cfg.id}"


def payload(alert: Alert, night: date) -> dict:
    """The alert as Slack blocks; `text` is the fallback (notifications, clients without blocks)."""
    title = alert.title if len(alert.title) <= HEADER_LIMIT else alert.title[:HEADER_LIMIT - 3] + "..."
    return {
        "text": alert.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"}
                                           for label, value in alert.facts[:FIELDS_LIMIT]]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"CarePulse, published night "
                                              f"{night} · alert `{alert.alert_id}`"}]},
        ],
    }


@contextmanager
def webhook_session(cfg: WebhookChannel, timeout_s: float) -> Iterator[Post]:
    """Yields `post(alert_id, body)`; raises ChannelUnavailable or MessageRefused (texts without the URL)."""
    try:
        url = get_secret(cfg.url_env, purpose=f"alerts.webhooks {cfg.id} URL")
        parsed = httpx.URL(url)
        register_secret(str(parsed))  # the normalised form httpx's own messages print
        # the token sits in the path (Slack: /services/T../B../<token>); receivers' error pages
        # often echo the path without the host
        if len(parsed.path) > 1:
            register_secret(parsed.raw_path.decode())
            register_secret(parsed.path)
    except (MissingSecret, httpx.InvalidURL) as exc:
        raise ChannelUnavailable(f"{channel_name(cfg)}: {type(exc).__name__}: {exc}") from None
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        yield lambda alert_id, body: _post(client, url, alert_id, body)


def _post(client: httpx.Client, url: str, alert_id: str, body: dict) -> None:
    try:
        response = client.post(url, json=body, headers={"Idempotency-Key": alert_id})
    except httpx.HTTPError as exc:  # connect, read, timeout, protocol errors
        raise ChannelUnavailable(f"{type(exc).__name__}: {exc}") from None
    if response.is_success:
        return
    text = f"HTTP {response.status_code}: {response.text[:200].strip()}"
    if response.status_code == 429 or response.status_code >= 500:
        wait = response.headers.get("Retry-After")
        raise ChannelUnavailable(text + (f" (Retry-After {wait})" if wait else ""))
    raise MessageRefused(text)
