"""Who may see the dashboard: login through Streamlit's OpenID Connect support.

`dashboard.access` in config/monitoring.yml turns login on and lists the allowed e-mail
addresses and identity-provider groups. The rule is `decide()`, a pure function of the
ID-token claims Streamlit exposes as `st.user` and that config, so it is tested on its own;
`gate()` draws what a reader who may not see data sees instead of the dashboard. The entry
script calls `gate()` before anything else runs: no warehouse query, no sidebar filter, not
even the newest night's date reaches a reader who is not let in.

Fails closed: a config that cannot be read, or login switched on without Streamlit's `[auth]`
secrets, shows an error naming the problem and no data (the config is what says who may read).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import streamlit as st

from carepulse.config import ConfigError, DashboardAccess, config_path, load_config
from dashboard import format as fmt

# the [auth] keys of .streamlit/secrets.toml st.login needs for the one (default) provider
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
OPERATIONS_DOC = "docs/operations.md, section \"Dashboard login (OpenID Connect)\""


class Verdict(enum.Enum):
    OPEN = "open"  # login is off (the local demo, on loopback)
    LOGIN = "login"  # login is on and nobody is signed in yet
    REFUSED = "refused"  # signed in, but neither the e-mail nor a group is allowed
    ALLOWED = "allowed"


@dataclass(frozen=True)
class Admitted:
    """A reader let in; `who` is set when they signed in (login on)."""

    who: str | None

    def sign_out_control(self) -> None:
        """Who is signed in and a logout button, at the foot of the sidebar."""
        if self.who is None:
            return
        with st.sidebar:
            st.divider()
            st.caption(f"Signed in as **{fmt.text(self.who)}**")
            st.button("Log out", on_click=st.logout, key="logout", icon=":material/logout:")


def _is_false(value: object) -> bool:
    """An `email_verified` claim that says no (providers send a bool, a few the string)."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _groups(claim: object) -> set[str]:
    """The groups claim as a set: providers send a list, a few a single string."""
    if isinstance(claim, str):
        return {claim}
    if isinstance(claim, (list, tuple, set)):
        return {str(group) for group in claim}
    return set()


def decide(user: Mapping[str, object], access: DashboardAccess) -> Verdict:
    """The verdict for the ID-token claims in `user` (what `st.user` holds).

    E-mails compare case-insensitively (providers differ in case, mailboxes do not), and an
    e-mail the provider marks unverified (`email_verified: false`) is not trusted: some
    providers let a user type any address. Groups compare exactly: they are identifiers.
    """
    if not access.login:
        return Verdict.OPEN
    if user.get("is_logged_in") is not True:
        return Verdict.LOGIN
    email = str(user.get("email") or "").strip().lower()
    allowed_users = {address.strip().lower() for address in access.allowed_users}
    if email and not _is_false(user.get("email_verified")) and email in allowed_users:
        return Verdict.ALLOWED
    if _groups(user.get(access.groups_claim)) & set(access.allowed_groups):
        return Verdict.ALLOWED
    return Verdict.REFUSED


def missing_auth_secrets(auth: Mapping[str, object] | None) -> tuple[str, ...]:
    """The AUTH_KEYS the `[auth]` secrets section lacks or leaves blank (all of them without one)."""
    auth = auth or {}
    return tuple(key for key in AUTH_KEYS if not str(auth.get(key) or "").strip())


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> DashboardAccess:
    return load_config(path).config.dashboard.access


def settings() -> DashboardAccess:
    """`dashboard.access` of the config (`$CAREPULSE_CONFIG` or config/monitoring.yml), read again
    when the file changes, so adding a reader to the list needs no restart."""
    path = config_path()
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def _auth_secrets() -> Mapping[str, object]:
    """The `[auth]` section of Streamlit's secrets, empty when there is no secrets file."""
    if not st.secrets.load_if_toml_exists():
        return {}
    auth = st.secrets.get("auth")
    return auth if isinstance(auth, Mapping) else {}


def _who(user: Mapping[str, object]) -> str:
    return str(user.get("email") or user.get("name") or user.get("sub") or "an unnamed account")


def _login_screen() -> None:
    st.title("CarePulse")
    st.markdown("Sign in with your organisation account to see the dashboard.")
    st.button("Log in", on_click=st.login, key="login", type="primary", icon=":material/login:")


def _refusal(user: Mapping[str, object]) -> None:
    st.title("CarePulse")
    st.error(f"You are signed in as **{fmt.text(_who(user))}**, who is not on the dashboard's access "
             "list. Ask the analytics team to add your e-mail address or one of your groups to "
             "`dashboard.access` in the config.", icon=":material/block:")
    st.button("Log out", on_click=st.logout, key="logout", icon=":material/logout:")


def _unavailable(message: str) -> None:
    st.title("CarePulse")
    st.error(message, icon=":material/lock:")


def gate() -> Admitted | None:
    """Let the reader in (returns who), or draw the login, refusal or error screen (returns None)."""
    try:
        access = settings()
    except ConfigError as exc:
        _unavailable(f"The dashboard cannot read its config, which says who may see it, so it shows "
                     f"no data: {fmt.text(exc)}")
        return None
    if not access.login:
        return Admitted(None)
    missing = missing_auth_secrets(_auth_secrets())
    if missing:
        keys = ", ".join(f"`{key}`" for key in missing)
        _unavailable(f"Login is on (`dashboard.access.login` in the config) but Streamlit's `[auth]` "
                     f"secrets lack {keys}, so nobody can sign in and no data is shown. Set them in "
                     f"`.streamlit/secrets.toml` (see {OPERATIONS_DOC}).")
        return None
    user = st.user.to_dict()
    verdict = decide(user, access)
    if verdict is Verdict.LOGIN:
        _login_screen()
        return None
    if verdict is Verdict.REFUSED:
        _refusal(user)
        return None
    return Admitted(_who(user))
