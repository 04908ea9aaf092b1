"""The alerts section of the config: defaults, and errors that name the key at fault."""

from __future__ import annotations

import pytest
import yaml

from carepulse.config import ConfigError, parse_config
from tests.conftest import CONFIG


def parse_with_alerts(alerts: dict):
    doc = yaml.safe_load(CONFIG.read_text())
    doc["alerts"] = alerts
    return parse_config(yaml.safe_dump(doc), "monitoring.yml")


def test_the_shipped_config_keeps_delivery_off_with_three_days_of_alerts(loaded_config):
    alerts = loaded_config.config.alerts
    assert not alerts.enabled and alerts.max_age_days == 3 and alerts.max_attempts == 5


def test_an_email_channel_without_anyone_to_tell_or_half_a_login_is_refused_by_key():
    with pytest.raises(ConfigError) as err:
        parse_with_alerts({"enabled": True, "max_age_days": -1,
                           "email": {"host": "smtp.example.org", "sender": "a@example.org",
                                     "username_env": "CAREPULSE_SMTP_USER"}})
    assert err.value.problems == [
        "alerts.email: no recipients and no digest_recipients: the channel would send nothing; "
        "username_env and password_env go together (SMTP login needs both)",
        "alerts.max_age_days: Input should be greater than or equal to 0"]


def test_a_webhook_url_pasted_where_its_variable_name_belongs_is_refused_unechoed():
    url_token = "T0001B0002XK9ASDFQWER1234567"
    with pytest.raises(ConfigError) as err:
        parse_with_alerts({"enabled": True, "webhooks": [{"id": "team", "url_env": url_token}]})
    assert url_token not in str(err.value)
    assert "alerts.webhooks.0.url_env" in str(err.value)
