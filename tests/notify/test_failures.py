"""Delivery never fails the night, never leaks a secret, and says what it could not do."""

from __future__ import annotations

import json
import logging

import pytest

from carepulse.alerts import alerts_file
from carepulse.config import LoadedConfig
from carepulse.nightly import deliver_alerts
from notify.deliver import deliver
from notify.outbox import Outbox, delivery_lock, ledger_path
from tests.notify.conftest import (
    NIGHT,
    SMTP_PASSWORD,
    WEBHOOK_TOKEN,
    alerts_config,
    expected_ids,
    publish_warehouse,
)
from transform.build import published_path


def ledger(home) -> dict[tuple[str, str], dict]:
    with Outbox(home) as outbox:
        return {(r["alert_id"], r["channel"]): r for r in outbox.rows()}


def recorded_alerts(home) -> list[dict]:
    path = alerts_file(home)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def with_alerts(loaded: LoadedConfig, alerts) -> LoadedConfig:
    return LoadedConfig(path=loaded.path, sha256=loaded.sha256,
                        config=loaded.config.model_copy(update={"alerts": alerts}))


def test_the_webhook_url_and_smtp_password_never_reach_the_ledger_logs_or_alerts(home, smtp, hook, env,
                                                                                 caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    # httpx logs each request with its URL; an earlier test in the same worker (Airflow's
    # logging config) may have switched its logger off: switch it on, or the check sees nothing
    httpx_log = logging.getLogger("httpx")
    monkeypatch.setattr(httpx_log, "disabled", False)
    monkeypatch.setattr(httpx_log, "propagate", True)
    caplog.set_level(logging.DEBUG, logger="httpx")
    publish_warehouse(home, [NIGHT])
    hook.statuses = [404]  # its error page echoes the request path, which holds the token
    smtp.reject_auth_with = f"535 5.7.8 credentials {SMTP_PASSWORD} refused"  # a server echoing it
    summary = deliver(alerts_config(smtp), home, NIGHT)

    rows = ledger(home)
    errors = {ch: r["last_error"] for (_, ch), r in rows.items() if r["last_error"]}
    assert "credentials *** refused" in errors["email"]
    assert "no webhook at ***" in errors["webhook:comms"]
    assert any(r.name == "httpx" for r in caplog.records), "httpx logged its requests (with the URL masked)"
    places = {
        "ledger file": ledger_path(home).read_bytes().decode("latin-1"),
        "ledger rows": json.dumps(list(rows.values())),
        "logs": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
        "alerts.jsonl": alerts_file(home).read_text(),
        "summary": json.dumps(summary.as_dict()),
    }
    for where, text in places.items():
        assert WEBHOOK_TOKEN not in text, where
        assert SMTP_PASSWORD not in text, where
    assert {a["task_id"] for a in recorded_alerts(home)} == {"deliver_alerts email",
                                                             "deliver_alerts webhook:comms"}


def test_without_the_aspect_mart_the_other_kinds_are_still_delivered(home, smtp, hook, env, caplog):
    publish_warehouse(home, [NIGHT], aspects=False)
    with caplog.at_level(logging.WARNING, logger="carepulse.notify"):
        summary = deliver(alerts_config(smtp), home, NIGHT)

    assert summary.skipped == {
        "aspect_spike": "marts.fct_aspect_sentiment_daily is not in the published warehouse"}
    assert "alert kinds aspect_spike skipped" in caplog.text
    assert summary.error is None
    delivered = {r["headers"]["idempotency-key"] for r in hook.delivered()}
    assert delivered == expected_ids(NIGHT, aspects=False)


def test_an_aspect_mart_of_another_shape_skips_its_kind_only(home, smtp, hook, env):
    import duckdb

    publish_warehouse(home, [NIGHT], aspects=False)
    with duckdb.connect(str(published_path(home))) as con:  # the mart as first drafted, a column short
        con.execute("create table marts.fct_aspect_sentiment_daily "
                    "(aspect_day_key varchar, is_spike boolean)")
    summary = deliver(alerts_config(smtp), home, NIGHT)
    assert summary.skipped["aspect_spike"].startswith(
        "marts.fct_aspect_sentiment_daily could not be read: BinderException")
    assert {r["headers"]["idempotency-key"] for r in hook.delivered()} == expected_ids(NIGHT, aspects=False)


def test_disabled_delivery_sends_nothing_and_creates_nothing(home, smtp, hook, env, loaded_config):
    publish_warehouse(home, [NIGHT])
    assert not loaded_config.config.alerts.enabled  # the shipped config: off
    said: list[str] = []
    result = deliver_alerts(loaded_config, home, NIGHT, say=said.append)
    summary = deliver(alerts_config(smtp, enabled=False), home, NIGHT, say=said.append)

    assert result["enabled"] is False and summary.enabled is False
    assert said == ["alerts: delivery off (alerts.enabled is false)"] * 2
    assert not smtp.messages and not hook.requests
    assert not ledger_path(home).exists() and not alerts_file(home).exists()


@pytest.mark.parametrize("published", ["nothing", "not a warehouse"])
def test_the_nightly_step_never_raises_and_records_why(home, smtp, hook, env, loaded_config, published):
    if published == "not a warehouse":
        published_path(home).parent.mkdir(parents=True)
        published_path(home).write_bytes(b"this is not a DuckDB file")
    result = deliver_alerts(with_alerts(loaded_config, alerts_config(smtp)), home, NIGHT)

    assert result["error"] and result["enabled"] is True
    assert [a["task_id"] for a in recorded_alerts(home)] == ["deliver_alerts"]
    assert not smtp.messages and not hook.requests


def test_a_run_killed_between_send_and_record_is_detected_and_resent_in_doubt(home, smtp, hook, env,
                                                                             monkeypatch):
    class Killed(BaseException):  # not an Exception: nothing in delivery may swallow it, as with SIGKILL
        pass

    def die(*args, **kwargs):
        raise Killed

    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp)
    recorded = Outbox.sent
    monkeypatch.setattr(Outbox, "sent", die)
    with pytest.raises(Killed):
        deliver(cfg, home, NIGHT)
    (claimed,) = [key for key, r in ledger(home).items() if r["state"] == "sending"]
    assert len(smtp.messages) == 1  # the server had accepted it

    monkeypatch.setattr(Outbox, "sent", recorded)  # the next night's run, in a new process
    said: list[str] = []
    again = deliver(cfg, home, NIGHT, say=said.append)
    assert again.in_doubt == 1
    assert f"  in doubt: {claimed[0]} on {claimed[1]}" in "\n".join(said)
    row = ledger(home)[claimed]
    assert row["state"] == "sent" and row["attempts"] == 2 and row["last_error"].startswith("in doubt")
    # at least once: the in-doubt message went twice, with the same Message-ID; the rest once
    ids = [m["X-CarePulse-Alert-Id"] for m in smtp.messages]
    assert ids.count(claimed[0]) == 2 and len({m["Message-ID"] for m in smtp.messages if
                                               m["X-CarePulse-Alert-Id"] == claimed[0]}) == 1
    assert sorted(set(ids)) == sorted(expected_ids(NIGHT) | {f"digest:{NIGHT}"})
    assert len(ids) == len(set(ids)) + 1


def test_a_second_delivery_run_waits_for_the_first_and_sends_nothing_twice(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp)
    with delivery_lock(home):  # another run (the DAG's task, or the command) is sending
        busy = deliver(cfg, home, NIGHT, lock_wait_s=0.3)
    assert "another delivery run holds" in busy.error
    assert not smtp.messages and not hook.requests
    assert {(r["state"], r["attempts"]) for r in ledger(home).values()} == {("pending", 0)}  # queued

    deliver(cfg, home, NIGHT)
    assert sorted(r["headers"]["idempotency-key"] for r in hook.delivered()) == sorted(expected_ids(NIGHT))


def test_starttls_is_required_when_configured_never_a_plain_login(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    summary = deliver(alerts_config(smtp, email={"security": "starttls"}), home, NIGHT)  # sink has no TLS

    email = next(r for r in summary.channels if r.channel == "email")
    assert email.sent == 0 and "SMTPNotSupportedError" in email.error and "STARTTLS" in email.error
    assert not smtp.logins and not smtp.messages


def test_a_missing_credential_variable_is_named(home, smtp, hook, env, monkeypatch):
    from tests.notify.conftest import ENV_PASSWORD, ENV_URL

    monkeypatch.delenv(ENV_PASSWORD)
    monkeypatch.delenv(ENV_URL)
    publish_warehouse(home, [NIGHT])
    summary = deliver(alerts_config(smtp), home, NIGHT)
    errors = {r.channel: r.error for r in summary.channels}
    assert f"environment variable {ENV_PASSWORD} is not set" in errors["email"]
    assert f"environment variable {ENV_URL} is not set" in errors["webhook:comms"]
    assert {r["state"] for r in ledger(home).values()} == {"pending"}


def test_a_progress_printer_that_raises_does_not_stop_delivery(home, smtp, hook, env):
    def printer(line: str) -> None:  # as a rich console does with "[x]" in a line
        raise ValueError(f"cannot print {line!r}")

    publish_warehouse(home, [NIGHT])
    summary = deliver(alerts_config(smtp), home, NIGHT, say=printer)
    assert summary.error is None
    assert {r["headers"]["idempotency-key"] for r in hook.delivered()} == expected_ids(NIGHT)
