"""Each alert reaches each channel once across reruns; failures are retried on the next run
until max_attempts; the digest goes once per night; history is not sent."""

from __future__ import annotations

from datetime import timedelta

from notify.deliver import deliver
from notify.outbox import Outbox
from tests.notify.conftest import DIGEST_TO, NIGHT, RECIPIENTS, alerts_config, expected_ids, publish_warehouse


def ledger(home) -> dict[tuple[str, str], dict]:
    with Outbox(home) as outbox:
        return {(r["alert_id"], r["channel"]): r for r in outbox.rows()}


def per_alert_mail(smtp) -> list[str]:
    return [m["X-CarePulse-Alert-Id"] for m in smtp.messages if m["To"] == ", ".join(RECIPIENTS)]


def digests(smtp) -> list:
    return [m for m in smtp.messages if m["To"] == ", ".join(DIGEST_TO)]


def test_each_alert_reaches_each_channel_once_across_three_runs_of_a_night(home, smtp, hook, env):
    cfg = alerts_config(smtp)
    runs = []
    for _ in range(3):  # each rerun of the night publishes its warehouse again, then delivers
        publish_warehouse(home, [NIGHT])
        runs.append(deliver(cfg, home, NIGHT))

    ids = expected_ids(NIGHT)
    assert sorted(per_alert_mail(smtp)) == sorted(ids)
    assert len(digests(smtp)) == 1
    assert sorted(r["headers"]["idempotency-key"] for r in hook.requests) == sorted(ids)
    assert all(r["status"] == 200 for r in hook.requests)
    assert {(r.channel, r.sent) for r in runs[0].channels} == {("email", len(ids) + 1),
                                                               ("webhook:comms", len(ids))}
    assert [r.line() for r in runs[2].channels] == ["email: nothing due", "webhook:comms: nothing due"]
    assert runs[1].queued == runs[2].queued == 0
    assert {row["state"] for row in ledger(home).values()} == {"sent"}
    assert all(row["attempts"] == 1 for row in ledger(home).values())


def test_messages_say_what_happened_with_the_figures(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    deliver(alerts_config(smtp), home, NIGHT)

    drop = f"sentiment:lakemont:reddit:{NIGHT}:net_sentiment_drop"
    mail = next(m for m in smtp.messages if m["X-CarePulse-Alert-Id"] == drop)
    assert mail["Subject"] == f"[CarePulse] Lakemont Health: net sentiment dropped on Reddit, {NIGHT}"
    assert "z -3.2" in mail.get_content() and "baseline +0.20 over 20 days" in mail.get_content()
    post = next(r["json"] for r in hook.requests if r["headers"]["idempotency-key"] == drop)
    assert post["text"] == mail["Subject"].removeprefix("[CarePulse] ")
    assert [b["type"] for b in post["blocks"]] == ["header", "section", "context"]
    subjects = set(smtp.subjects())
    assert (f"[CarePulse] Lakemont Health: negative mentions of communication with nurses spiked at "
            f"Lakemont Main Campus, {NIGHT}") in subjects  # one site's reviews
    assert f"[CarePulse] Lakemont Health: negative mentions of wait times spiked, {NIGHT}" in subjects  # all
    news = next(r["json"] for r in hook.requests if r["headers"]["idempotency-key"].endswith(":news_spike"))
    assert "7 (baseline 1.4/day, no spread in the baseline)" in news["blocks"][1]["fields"][3]["text"]


def test_a_mail_server_down_for_a_night_gets_the_alerts_the_next_night_once(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp)
    smtp.stop()
    down = deliver(cfg, home, NIGHT)

    assert down.error is None  # the run itself went fine
    email = next(r for r in down.channels if r.channel == "email")
    assert (email.sent, email.retrying) == (0, len(expected_ids(NIGHT)) + 1)
    assert "ConnectionRefusedError" in email.error
    rows = ledger(home)
    assert {r["state"] for (_, ch), r in rows.items() if ch == "email"} == {"pending"}
    assert all(r["attempts"] == 1 and f"127.0.0.1:{smtp.port}" in r["last_error"]
               for (_, ch), r in rows.items() if ch == "email")
    assert {r["state"] for (_, ch), r in rows.items() if ch == "webhook:comms"} == {"sent"}

    smtp.start()
    deliver(cfg, home, NIGHT)
    deliver(cfg, home, NIGHT)
    assert sorted(per_alert_mail(smtp)) == sorted(expected_ids(NIGHT))
    assert len(digests(smtp)) == 1
    assert {r["state"] for r in ledger(home).values()} == {"sent"}


def test_a_webhook_answering_500_then_200_gets_each_alert_once(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp)
    hook.statuses = [500]
    first = deliver(cfg, home, NIGHT)

    webhook = next(r for r in first.channels if r.channel == "webhook:comms")
    assert len(hook.requests) == 1, "a 5xx makes the channel unavailable: the others are not tried tonight"
    assert (webhook.sent, webhook.retrying) == (0, len(expected_ids(NIGHT)))
    assert webhook.error.startswith("HTTP 500")

    deliver(cfg, home, NIGHT)
    deliver(cfg, home, NIGHT)
    keys = [r["headers"]["idempotency-key"] for r in hook.delivered()]
    assert sorted(keys) == sorted(expected_ids(NIGHT))
    assert hook.requests[0]["headers"]["idempotency-key"] == hook.requests[1]["headers"]["idempotency-key"]
    assert {r["attempts"] for (_, ch), r in ledger(home).items() if ch == "webhook:comms"} == {2}


def test_a_webhook_refusing_one_message_does_not_hold_back_the_others(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp)
    hook.statuses = [422]
    first = deliver(cfg, home, NIGHT)

    webhook = next(r for r in first.channels if r.channel == "webhook:comms")
    assert (webhook.sent, webhook.retrying) == (len(expected_ids(NIGHT)) - 1, 1)
    refused = [r for (_, ch), r in ledger(home).items() if ch == "webhook:comms" and r["state"] == "pending"]
    assert len(refused) == 1 and refused[0]["last_error"].startswith("HTTP 422")

    deliver(cfg, home, NIGHT)
    assert sorted(r["headers"]["idempotency-key"] for r in hook.delivered()) == sorted(expected_ids(NIGHT))


def test_max_attempts_reached_marks_failed_and_stops_trying(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp, max_attempts=2)
    hook.default_status = 503
    first, second = deliver(cfg, home, NIGHT), deliver(cfg, home, NIGHT)
    webhook = [next(r for r in run.channels if r.channel == "webhook:comms") for run in (first, second)]
    assert (webhook[0].retrying, webhook[0].gave_up) == (len(expected_ids(NIGHT)), 0)
    assert (webhook[1].retrying, webhook[1].gave_up) == (0, len(expected_ids(NIGHT)))

    hook.default_status = 200  # the endpoint is back, but these were given up
    third = deliver(cfg, home, NIGHT)
    assert len(hook.requests) == 2 and not hook.delivered()
    webhook = next(r for r in third.channels if r.channel == "webhook:comms")
    assert webhook.line() == "webhook:comms: nothing due"
    rows = [r for (_, ch), r in ledger(home).items() if ch == "webhook:comms"]
    assert {(r["state"], r["attempts"]) for r in rows} == {("failed", 2)}


def test_the_digest_goes_once_per_night_with_that_nights_new_alerts(home, smtp, hook, env):
    cfg = alerts_config(smtp)
    publish_warehouse(home, [NIGHT])
    deliver(cfg, home, NIGHT)
    deliver(cfg, home, NIGHT)
    (first,) = digests(smtp)
    assert first["Subject"] == (f"[CarePulse] alerts digest for {NIGHT}: 7 new (sentiment 3, news spikes 1, "
                                f"patient-experience aspects 2, data health 1)")
    body = first.get_content()
    assert "Lakemont Health: net sentiment dropped on Reddit" in body and "z -3.2" in body

    later = NIGHT + timedelta(days=1)
    publish_warehouse(home, [NIGHT, later])
    deliver(cfg, home, later)
    deliver(cfg, home, later)
    assert [m["Subject"].split(":")[0] for m in digests(smtp)] == [
        f"[CarePulse] alerts digest for {NIGHT}", f"[CarePulse] alerts digest for {later}"]
    second = digests(smtp)[1].get_content()
    assert str(later) in second and str(NIGHT) not in second, "each alert is in the digest of its first night"
    new_tonight = {i for i in expected_ids(later) if str(later) in i}
    assert sorted(per_alert_mail(smtp)) == sorted(expected_ids(NIGHT) | new_tonight)


def test_a_night_without_alerts_still_gets_its_digest(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    deliver(alerts_config(smtp), home, NIGHT + timedelta(days=30))  # nothing within max_age_days
    (digest,) = digests(smtp)
    assert digest["Subject"].endswith("no new alerts")
    assert not per_alert_mail(smtp) and not hook.requests


def test_alerts_older_than_max_age_days_are_never_sent(home, smtp, hook, env):
    publish_warehouse(home, [NIGHT])
    deliver(alerts_config(smtp, max_age_days=0), home, NIGHT)

    tonight_only = {i for i in expected_ids(NIGHT) if str(NIGHT) in i}
    assert sorted(per_alert_mail(smtp)) == sorted(tonight_only)
    assert {alert_id for alert_id, _ in ledger(home)} == tonight_only | {f"digest:{NIGHT}"}
    # max_age_days 3 (the default): night - 3 is in, night - 4 (one sentiment, one data-health alert) out
    deliver(alerts_config(smtp), home, NIGHT)
    assert not [i for i in per_alert_mail(smtp) if str(NIGHT - timedelta(days=4)) in i]
    assert f"sentiment:riverside:x:{NIGHT - timedelta(days=3)}:net_sentiment_drop" in per_alert_mail(smtp)


def test_a_channel_gets_only_the_kinds_it_asks_for(home, smtp, hook, env):
    from carepulse.config import WebhookChannel
    from tests.notify.conftest import ENV_URL

    publish_warehouse(home, [NIGHT])
    cfg = alerts_config(smtp, email={"recipients": []},
                        webhooks=[WebhookChannel(id="ops", url_env=ENV_URL, kinds=["data_health"])])
    deliver(cfg, home, NIGHT)
    assert [r["headers"]["idempotency-key"] for r in hook.requests] == [f"data_health:{NIGHT}:x"]
    assert not per_alert_mail(smtp) and len(digests(smtp)) == 1  # e-mail: the digest only
