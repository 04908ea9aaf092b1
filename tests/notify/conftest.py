"""Alert delivery fixtures: a loopback SMTP server, a loopback webhook receiver, and a small
published warehouse holding the marts (and columns, with their types) that notify/ reads."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from carepulse.config import Alerts, EmailChannel, WebhookChannel
from transform.build import published_path

NIGHT = date(2026, 11, 25)
SMTP_USER, SMTP_PASSWORD = "alerts-bot", "smtp-pw-Quokka-Harbour-Lantern"
WEBHOOK_TOKEN = "Xk9TopSecretWebhookToken"
ENV_USER, ENV_PASSWORD = "CAREPULSE_TEST_SMTP_USER", "CAREPULSE_TEST_SMTP_PASSWORD"
ENV_URL = "CAREPULSE_TEST_HOOK_URL"
RECIPIENTS, DIGEST_TO = ["comms@example.org"], ["board@example.org"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- SMTP ------------------------------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on 127.0.0.1 that keeps every message it accepted; can be stopped and started
    again on the same port (a mail server that was down for a night)."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.reject_auth_with: str | None = None  # a 535 reply text, e.g. one echoing the password
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if self.reject_auth_with:
            return AuthResult(success=False, handled=False, message=self.reject_auth_with)
        ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     authenticator=self._authenticate, auth_require_tls=False)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# -- webhook -----------------------------------------------------------------------------------------


@dataclass
class HttpSink:
    """A Slack-like receiver on 127.0.0.1: records every POST; answers from `statuses` in turn,
    then `default_status`. Its error pages echo the request path, as careless servers do."""

    server: ThreadingHTTPServer
    requests: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T0001/B0002/{WEBHOOK_TOKEN}"

    def delivered(self) -> list[dict]:
        return [r for r in self.requests if 200 <= r["status"] < 300]


def _handler(sink_ref: list[HttpSink]):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            sink = sink_ref[0]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = sink.statuses.pop(0) if sink.statuses else sink.default_status
            sink.requests.append({"path": self.path, "json": body, "status": status,
                                  "headers": {k.lower(): v for k, v in self.headers.items()}})
            reply = b"ok" if status < 300 else f"no webhook at {self.path}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):  # quiet
            pass

    return Handler


@pytest.fixture
def hook():
    ref: list[HttpSink] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(HttpSink(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()


# -- config ----------------------------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch, hook):
    monkeypatch.setenv(ENV_USER, SMTP_USER)
    monkeypatch.setenv(ENV_PASSWORD, SMTP_PASSWORD)
    monkeypatch.setenv(ENV_URL, hook.url)


def alerts_config(smtp: SmtpSink, email: dict | None = None, **overrides) -> Alerts:
    """Both channels on: e-mail (plain SMTP with login, per alert and digest) and one webhook."""
    mail = {"host": "127.0.0.1", "port": smtp.port, "security": "none", "username_env": ENV_USER,
            "password_env": ENV_PASSWORD, "sender": "carepulse@example.org", "recipients": RECIPIENTS,
            "digest_recipients": DIGEST_TO, **(email or {})}
    fields = {"enabled": True, "email": EmailChannel(**mail),
              "webhooks": [WebhookChannel(id="comms", url_env=ENV_URL)], "max_attempts": 3, "timeout_s": 5.0,
              **overrides}
    return Alerts(**fields)


# -- the published warehouse -----------------------------------------------------------------------------

# the columns notify/ reads, with the types the dbt models give them (sum() of integers is HUGEINT)
TABLES = {
    "dim_brands": "brand_id varchar, brand_name varchar, is_panel_member boolean",
    "fct_sentiment_alerts_daily": """
        sentiment_day_key varchar, date_day date, brand_id varchar, platform varchar, mentions bigint,
        positive_mentions hugeint, negative_mentions hugeint, net_sentiment decimal(18, 10),
        baseline_days bigint, baseline_net_sentiment decimal(18, 10), net_sentiment_z decimal(18, 4),
        baseline_negative_mentions decimal(18, 4), negative_volume_z decimal(18, 4),
        baseline_news_articles decimal(18, 4), news_volume_z decimal(18, 4), is_alert boolean,
        alert_kind varchar""",
    "fct_data_health_nightly": """
        health_key varchar, night date, platform varchar, runs bigint, latest_run_id varchar, shards bigint,
        shards_complete bigint, shards_partial bigint, partial_reason_kinds varchar[],
        pages_fetched hugeint, records_fetched hugeint, malformed_pages hugeint, posts_staged bigint,
        mentions bigint, quarantined_records bigint, last_extracted_at timestamp,
        hours_after_interval decimal(18, 2), health_status varchar""",
    "dim_locations": "location_id varchar, brand_id varchar, location_name varchar",
    "fct_aspect_sentiment_daily": """
        aspect_day_key varchar, activity_date date, brand_id varchar, location_id varchar,
        aspect_id varchar, aspect_name varchar, mentions bigint, negative_mentions bigint,
        net_sentiment decimal(18, 10), baseline_negative_mean decimal(18, 4), is_spike boolean""",
}


def _sentiment(day: date, brand: str, platform: str, kind: str | None, **figures) -> dict:
    return {"sentiment_day_key": f"{brand}:{platform}:{day}", "date_day": day, "brand_id": brand,
            "platform": platform, "mentions": 40, "positive_mentions": 5, "negative_mentions": 30,
            "net_sentiment": -0.71, "baseline_days": 20, "baseline_net_sentiment": 0.2,
            "is_alert": kind is not None, "alert_kind": kind, **figures}


def _health(night: date, platform: str, status: str, reasons: list[str]) -> dict:
    return {"health_key": f"{night}:{platform}", "night": night, "platform": platform, "runs": 1,
            "latest_run_id": f"{night}T0205Z-abc123", "shards": 4, "shards_complete": 4 - len(reasons),
            "shards_partial": len(reasons), "partial_reason_kinds": reasons, "records_fetched": 120,
            "health_status": status}


def night_rows(day: date) -> dict[str, list[dict]]:
    """A night with one alert of each kind, plus rows that are not alerts."""
    return {
        "fct_sentiment_alerts_daily": [
            _sentiment(day, "lakemont", "reddit", "net_sentiment_drop", net_sentiment_z=-3.2),
            _sentiment(day, "lakemont", "all", "negative_volume_spike", negative_volume_z=4.1,
                       baseline_negative_mentions=8.1),
            _sentiment(day, "riverside", "news", "news_spike", mentions=7, news_volume_z=9999,
                       baseline_news_articles=1.4),
            _sentiment(day, "lakemont", "youtube", None),
        ],
        "fct_data_health_nightly": [
            _health(day, "x", "partial", ["quota_exhausted"]),
            _health(day, "reddit", "ok", []),
            _health(day, "gbp", "missing", []),
        ],
        "fct_aspect_sentiment_daily": [
            {"aspect_day_key": f"lakemont:lakemont_main:nurse_communication:{day}", "activity_date": day,
             "brand_id": "lakemont", "location_id": "lakemont_main", "aspect_id": "nurse_communication",
             "aspect_name": "Communication with nurses", "mentions": 9, "negative_mentions": 7,
             "net_sentiment": -0.55, "baseline_negative_mean": 1.2, "is_spike": True},
            {"aspect_day_key": f"lakemont:all:wait_times:{day}", "activity_date": day,
             "brand_id": "lakemont", "location_id": "all", "aspect_id": "wait_times",
             "aspect_name": "Wait times", "mentions": 25, "negative_mentions": 15,
             "net_sentiment": -0.8, "baseline_negative_mean": 3.0, "is_spike": True},
            {"aspect_day_key": f"lakemont:lakemont_main:billing:{day}", "activity_date": day,
             "brand_id": "lakemont", "location_id": "lakemont_main", "aspect_id": "billing",
             "aspect_name": "Billing", "mentions": 3, "negative_mentions": 1, "net_sentiment": 0.1,
             "baseline_negative_mean": 0.9, "is_spike": False},
        ],
    }


def history_rows(night: date) -> dict[str, list[dict]]:
    """Alerts on the edge of max_age_days (3): one on night - 3 (sent), two on night - 4 (not)."""
    return {
        "fct_sentiment_alerts_daily": [
            _sentiment(night - timedelta(days=3), "riverside", "x", "net_sentiment_drop",
                       net_sentiment_z=-2.9),
            _sentiment(night - timedelta(days=4), "lakemont", "x", "net_sentiment_rise", net_sentiment_z=3.3),
        ],
        "fct_data_health_nightly": [_health(night - timedelta(days=4), "youtube", "failed", ["auth_failed"])],
    }


def expected_ids(night: date, aspects: bool = True) -> set[str]:
    """The alert ids of `night` with max_age_days 3 (the history's night - 3 alert included)."""
    ids = {f"sentiment:lakemont:reddit:{night}:net_sentiment_drop",
           f"sentiment:lakemont:all:{night}:negative_volume_spike",
           f"sentiment:riverside:news:{night}:news_spike",
           f"sentiment:riverside:x:{night - timedelta(days=3)}:net_sentiment_drop",
           f"data_health:{night}:x"}
    return ids | ({f"aspect_spike:lakemont:lakemont_main:nurse_communication:{night}",
                   f"aspect_spike:lakemont:all:wait_times:{night}"} if aspects else set())


def publish_warehouse(home: Path, nights: list[date], *, aspects: bool = True,
                      history: bool = True) -> Path:
    """Write the published warehouse (replacing it, as a publish does) with the nights' rows."""
    target = published_path(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".tmp.duckdb")
    scratch.unlink(missing_ok=True)
    tables = {name: [] for name in TABLES if aspects or name != "fct_aspect_sentiment_daily"}
    tables["dim_locations"] = [
        {"location_id": "lakemont_main", "brand_id": "lakemont", "location_name": "Lakemont Main Campus"}]
    tables["dim_brands"] = [
        {"brand_id": "lakemont", "brand_name": "Lakemont Health", "is_panel_member": True},
        {"brand_id": "riverside", "brand_name": "Riverside Clinic", "is_panel_member": True}]
    for part in [night_rows(n) for n in nights] + ([history_rows(nights[0])] if history else []):
        for name, rows in part.items():
            if name in tables:
                tables[name] += rows
    with duckdb.connect(str(scratch)) as con:
        con.execute("create schema marts")
        for name, rows in tables.items():
            con.execute(f"create table marts.{name} ({TABLES[name]})")
            for row in rows:
                con.execute(f"insert into marts.{name} ({', '.join(row)}) values "
                            f"({', '.join('?' * len(row))})", list(row.values()))
    scratch.replace(target)
    return target
