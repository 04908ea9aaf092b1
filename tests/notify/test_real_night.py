"""Alert delivery on a real night: `carepulse run` with the mail server down stays green.

The shared published world (two simulator nights built by `carepulse run`) gets its third
night from `carepulse run` again, now with delivery on: e-mail to a loopback SMTP server that
is down, a webhook to a loopback receiver that is up. The night must publish and exit 0; the
e-mails wait in the ledger with the error; the webhook gets the night's alerts. Then, with the
mail server up, `carepulse alerts deliver` sends the waiting e-mails, and a second call sends
nothing: once per alert and channel.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from carepulse.config import load_config
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG, PUBLISHED_SEED, PUBLISHED_VOLUME
from tests.dbt.test_marts import night_clock
from tests.notify.conftest import (
    DIGEST_TO,
    ENV_PASSWORD,
    ENV_URL,
    ENV_USER,
    RECIPIENTS,
    SMTP_PASSWORD,
    SMTP_USER,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def ledger(home: Path) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    with sqlite3.connect(home / "audit" / "deliveries.sqlite") as con:
        columns = {row[1] for row in con.execute("pragma table_info(deliveries)")}
        assert {"alert_id", "channel", "state", "attempts", "last_error"} <= columns, columns
        rows = con.execute("select alert_id, channel, state, attempts, last_error from deliveries").fetchall()
    return {(a, c): (s, n, e) for a, c, s, n, e in rows}


def cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carepulse.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def test_a_mail_server_down_leaves_the_night_green_and_the_alerts_waiting(published_world, smtp, hook,
                                                                          tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published_world["home"], home, symlinks=True)
    doc = yaml.safe_load(CONFIG.read_text())
    doc["alerts"] = {
        "enabled": True, "max_attempts": 5, "timeout_s": 5, "max_age_days": 3,
        "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "username_env": ENV_USER,
                  "password_env": ENV_PASSWORD, "sender": "carepulse@example.org", "recipients": RECIPIENTS,
                  "digest_recipients": DIGEST_TO},
        "webhooks": [{"id": "comms", "url_env": ENV_URL}],
    }
    config = tmp_path / "monitoring.yml"
    config.write_text(yaml.safe_dump(doc))
    night = published_world["nights"][-1] + timedelta(days=1)
    env = dict(published_world["env"], CAREPULSE_HOME=str(home), CAREPULSE_CONFIG=str(config),
               **{ENV_USER: SMTP_USER, ENV_PASSWORD: SMTP_PASSWORD, ENV_URL: hook.url})
    smtp.stop()  # the mail server is down all night
    with SimulatorServer(load_config(config).config, seed=PUBLISHED_SEED,
                         mentions_per_night=PUBLISHED_VOLUME, port=0) as sim:
        sim.set_clock(night_clock(night))
        env["CAREPULSE_SIMULATOR_URL"] = sim.url
        proc = cli(["run", "--date", night.isoformat()], env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    state = json.loads((home / "warehouse" / "published_state.json").read_text())
    assert state  # published

    rows = ledger(home)
    mail = {k: v for k, v in rows.items() if k[1] == "email"}
    webhook = {k: v for k, v in rows.items() if k[1].startswith("webhook")}
    assert mail and all(s == "pending" and n == 1 and e for s, n, e in mail.values()), mail
    assert any(alert.startswith("digest:") for alert, _ in mail)  # the digest goes out every night
    assert all(s == "sent" for s, _, _ in webhook.values()), webhook
    assert len(hook.delivered()) == len(webhook)
    assert smtp.messages == []

    smtp.start()
    first = cli(["alerts", "deliver", "--night", night.isoformat()], env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert all(ledger(home)[k][0] == "sent" for k in mail)
    sent = len(smtp.messages)
    assert sent >= len(mail)  # the per-alert e-mails and the digest (one message each)
    again = cli(["alerts", "deliver", "--night", night.isoformat()], env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(smtp.messages) == sent and len(hook.delivered()) == len(webhook)
    assert SMTP_PASSWORD not in proc.stdout + proc.stderr + first.stdout + again.stdout
