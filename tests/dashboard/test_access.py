"""Login to the dashboard (st.login / st.user): who is let in, and that a reader who is not sees
no figure and causes no warehouse query. AppTest cannot run an OpenID Connect flow, so the
signed-in reader is simulated with AppTest.user (what the app reads as st.user)."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from carepulse.config import DashboardAccess
from dashboard import access, data, launch
from dashboard.access import Verdict, decide, missing_auth_secrets
from tests.conftest import CONFIG
from tests.dashboard.conftest import open_app, page, texts

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "carepulse-dashboard", "client_secret": "test-client-secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}
ON = DashboardAccess(login=True, allowed_users=["Exec@Lakemont.example"], allowed_groups=["cp-readers"],
                     groups_claim="roles")


NURSE, EXEC = "nurse@lakemont.example", "exec@lakemont.example"


@pytest.mark.parametrize("user, access_config, verdict", [
    ({"email": "anyone@example.org"}, DashboardAccess(), Verdict.OPEN),
    ({}, ON, Verdict.LOGIN),
    ({"is_logged_in": False, "email": "exec@lakemont.example"}, ON, Verdict.LOGIN),
    ({"is_logged_in": True, "email": "EXEC@lakemont.EXAMPLE"}, ON, Verdict.ALLOWED),
    ({"is_logged_in": True, "email": " exec@lakemont.example ", "email_verified": True}, ON, Verdict.ALLOWED),
    # an address the provider did not verify may have been typed by anyone
    ({"is_logged_in": True, "email": EXEC, "email_verified": False}, ON, Verdict.REFUSED),
    ({"is_logged_in": True, "email": EXEC, "email_verified": "false"}, ON, Verdict.REFUSED),
    ({"is_logged_in": True, "email": NURSE, "roles": ["staff", "cp-readers"]}, ON, Verdict.ALLOWED),
    ({"is_logged_in": True, "email": NURSE, "roles": "cp-readers"}, ON, Verdict.ALLOWED),
    # groups are identifiers: another claim, or another case, is another group
    ({"is_logged_in": True, "email": NURSE, "groups": ["cp-readers"]}, ON, Verdict.REFUSED),
    ({"is_logged_in": True, "email": NURSE, "roles": ["CP-Readers"]}, ON, Verdict.REFUSED),
    ({"is_logged_in": True, "sub": "a1b2"}, ON, Verdict.REFUSED),
])
def test_decide_lets_in_the_listed_addresses_and_groups_only(user, access_config, verdict):
    assert decide(user, access_config) is verdict


def test_missing_auth_secrets_names_every_absent_or_blank_key():
    assert missing_auth_secrets(AUTH) == ()
    assert missing_auth_secrets(None) == access.AUTH_KEYS
    assert missing_auth_secrets({**AUTH, "client_secret": " ", "cookie_secret": None}) == (
        "cookie_secret", "client_secret")


# -- the app with login on -----------------------------------------------------------------------


@pytest.fixture
def login_on(tmp_path, monkeypatch):
    """The project's config with login on (one address, one group), and spies on the two ways
    into the warehouse: finding the published file and running a query batch."""
    raw = yaml.safe_load(CONFIG.read_text())
    raw["dashboard"] = {"access": {"login": True, "allowed_users": ["exec@lakemont.example"],
                                   "allowed_groups": ["cp-readers"]}}
    path = tmp_path / "monitoring.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    monkeypatch.setenv("CAREPULSE_CONFIG", str(path))
    calls = []
    snapshot, fetch = data.snapshot, data._fetch
    monkeypatch.setattr(data, "snapshot", lambda *a, **k: calls.append("snapshot") or snapshot(*a, **k))
    monkeypatch.setattr(data, "_fetch", lambda *a, **k: calls.append("query") or fetch(*a, **k))
    return calls


def _no_data(at) -> None:
    assert not (at.metric or at.dataframe or at.get("arrow_vega_lite_chart") or at.date_input
                or at.multiselect or at.selectbox or at.radio)
    assert not at.sidebar.children  # not even the newest night's date


def test_a_reader_not_signed_in_sees_a_login_button_and_no_query_runs(login_on, world, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    for spec in (page("overview"), page("sentiment")):
        at = open_app(page("overview"), secrets={"auth": AUTH})
        if not spec.is_default:
            at.switch_page(spec.script).run()
        assert [b.label for b in at.button] == ["Log in"]
        assert "Sign in with your organisation account" in texts(at)
        _no_data(at)
    assert login_on == []


def test_login_on_without_auth_secrets_names_the_missing_keys(login_on, world, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    partial = {"redirect_uri": AUTH["redirect_uri"], "client_id": "x"}
    at = open_app(page("overview"), secrets={"auth": partial}, user={"is_logged_in": True, "email": EXEC})
    shown = " ".join(e.value for e in at.error)
    assert "`cookie_secret`, `client_secret`, `server_metadata_url`" in shown
    assert "`redirect_uri`" not in shown and "no data is shown" in shown
    assert not at.button
    _no_data(at)
    assert login_on == []


def test_a_signed_in_reader_not_on_the_list_is_refused(login_on, world, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    at = open_app(page("overview"), secrets={"auth": AUTH},
                  user={"is_logged_in": True, "email": "visitor@example.org", "groups": ["staff"]})
    assert "visitor@example" in " ".join(e.value for e in at.error)
    assert [b.label for b in at.button] == ["Log out"]
    _no_data(at)
    assert login_on == []


@pytest.mark.slow
def test_an_allowed_reader_sees_the_dashboard_and_can_log_out(login_on, world, oracle, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    at = open_app(page("overview"), secrets={"auth": AUTH},
                  user={"is_logged_in": True, "email": "Nurse@Lakemont.example", "groups": ["cp-readers"]})
    expected = oracle.headline("overview", oracle.default_period(), oracle.organisation())
    assert {m.label: m.value for m in at.metric}["Mentions"] == expected["Mentions"]
    assert "snapshot" in login_on and "query" in login_on and at.sidebar.children
    logout = at.sidebar.button(key="logout")
    assert "Nurse@Lakemont" in " ".join(c.value for c in at.sidebar.caption)
    logout.click().run()  # AppTest's st.logout: the next runs read a reader signed out
    login_on.clear()
    at.run()
    assert [b.label for b in at.button] == ["Log in"]
    _no_data(at)
    assert login_on == []


def test_a_config_that_cannot_be_read_shows_no_data(tmp_path, world, monkeypatch):
    monkeypatch.setenv("CAREPULSE_HOME", str(world))
    monkeypatch.setenv("CAREPULSE_CONFIG", str(tmp_path / "nowhere.yml"))
    at = open_app(page("overview"))
    assert "cannot read its config" in texts(at) and "file not found" in texts(at)
    _no_data(at)


# -- the secrets a container gets from its environment -------------------------------------------


def test_launch_writes_the_auth_secrets_from_the_environment_before_streamlit_starts(tmp_path):
    environ = {name: AUTH[key] for key, name in launch.AUTH_ENV.items()}
    environ["CAREPULSE_DASHBOARD_AUTH_CLIENT_SECRET"] = 'with "quotes" and \\ backslash'
    argv = launch.streamlit_argv(["--server.port", "8765"], environ, tmp_path)
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(launch.APP)]
    assert argv[5:7] == ["--server.port", "8765"] and argv[7] == "--secrets.files"
    written = Path(argv[8])
    assert written.is_relative_to(tmp_path)
    secrets = tomllib.loads(written.read_text())
    assert secrets == {"auth": {**AUTH, "client_secret": 'with "quotes" and \\ backslash'}}
    assert missing_auth_secrets(secrets["auth"]) == ()
    if os.name == "posix":
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


def test_launch_leaves_secrets_alone_without_the_variables(tmp_path):
    argv = launch.streamlit_argv(["--server.port", "8765"], {"HOME": str(tmp_path)}, tmp_path)
    assert "--secrets.files" not in argv and not list(tmp_path.iterdir())
    partial = launch.auth_secrets_toml({"CAREPULSE_DASHBOARD_AUTH_CLIENT_ID": "abc"})
    assert tomllib.loads(partial) == {"auth": {"client_id": "abc"}}  # the app names the rest
