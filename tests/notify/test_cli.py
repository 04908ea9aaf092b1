"""`carepulse alerts deliver` and `carepulse alerts status`, as an operator runs them."""

from __future__ import annotations

from datetime import timedelta

import yaml
from typer.testing import CliRunner

from carepulse.cli import app
from tests.conftest import CONFIG
from tests.notify.conftest import ENV_PASSWORD, ENV_URL, ENV_USER, NIGHT, expected_ids, publish_warehouse


def write_config(tmp_path, smtp) -> str:
    """The project's config with delivery switched on against the loopback sinks."""
    doc = yaml.safe_load(CONFIG.read_text())
    doc["alerts"] = {"enabled": True, "max_attempts": 3, "timeout_s": 5,
                     "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                               "username_env": ENV_USER, "password_env": ENV_PASSWORD,
                               "sender": "carepulse@example.org", "recipients": ["comms@example.org"],
                               "digest_recipients": ["board@example.org"]},
                     "webhooks": [{"id": "comms", "url_env": ENV_URL}]}
    path = tmp_path / "monitoring.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_deliver_prints_a_line_per_channel_and_status_shows_the_ledger(home, smtp, hook, env, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("CAREPULSE_CONFIG", write_config(tmp_path, smtp))
    publish_warehouse(home, [NIGHT])
    runner = CliRunner()
    n = len(expected_ids(NIGHT))

    first = runner.invoke(app, ["alerts", "deliver"])  # the newest night published
    assert first.exit_code == 0, first.output
    assert f"alerts for night {NIGHT}:" in first.output
    assert f"email: {n + 1} sent, 0 to retry, 0 given up" in first.output
    assert f"webhook:comms: {n} sent, 0 to retry, 0 given up" in first.output

    again = runner.invoke(app, ["alerts", "deliver", "--night", NIGHT.isoformat()])
    assert again.exit_code == 0 and "email: nothing due" in again.output
    assert len(hook.requests) == n

    smtp.stop()
    later = NIGHT + timedelta(days=1)
    publish_warehouse(home, [NIGHT, later])
    down = runner.invoke(app, ["alerts", "deliver"])
    assert down.exit_code == 3, down.output  # done, but something is still undelivered
    assert "email: 0 sent" in down.output and "ConnectionRefusedError" in down.output

    status = runner.invoke(app, ["alerts", "status"])
    assert status.exit_code == 0
    # the later night's new alerts (all but the history's, which stays sent) and its digest wait
    assert f"email: {n} pending, 0 sending, {n + 1} sent, 0 failed" in status.output
    assert f"  pending email  digest:{later}  attempts 1  last error:" in status.output


def test_status_before_any_delivery_creates_nothing(home):
    result = CliRunner().invoke(app, ["alerts", "status"])
    assert result.exit_code == 0 and "no delivery recorded yet" in result.output
    assert not (home / "audit").exists()
