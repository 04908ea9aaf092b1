"""docker-compose.yml (and the Celery override) read as data.

The local scheduler stack takes each Airflow component's environment from here, so what it
runs is what the compose files say, down to every `AIRFLOW__*` setting; the structural tests
in tests/deploy read the same files through the same functions. PyYAML resolves the
`x-airflow-common` anchors and merge keys the way Compose does.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
CELERY_OVERRIDE = ROOT / "docker-compose.celery.yml"

# The container paths and service addresses a local stack replaces (see `localize`).
DATA_PATH = "/opt/carepulse/data"
DAGS_PATH = "/opt/carepulse/dags"
CONFIG_DIR = "/opt/carepulse/config"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $$ is a literal $.
_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class ComposeError(ValueError):
    """A compose file cannot be used as asked; the message names the file, service and key."""


def load(path: Path) -> dict:
    if not path.is_file():
        raise ComposeError(f"{path.name} is missing")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_of(service: dict) -> dict[str, str]:
    """A service's `environment` as a mapping, whichever of Compose's two syntaxes it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def merge_override(base: dict, override: dict) -> dict:
    """Compose's merge for the keys an override uses: mappings merge, other values replace."""
    merged = copy.deepcopy(base)
    for name, patch in (override.get("services") or {}).items():
        service = merged["services"].setdefault(name, {})
        for key, value in patch.items():
            if key == "environment":
                service[key] = {**env_of(service), **env_of(patch)}
            elif isinstance(value, dict) and isinstance(service.get(key), dict):
                service[key] = {**service[key], **value}
            else:
                service[key] = copy.deepcopy(value)
    return merged


def services(executor: str = "local") -> dict[str, dict]:
    """The services as Compose runs them: `local` is docker-compose.yml alone, `celery` adds
    docker-compose.celery.yml (the scale-out layout)."""
    if executor not in ("local", "celery"):
        raise ComposeError(f"executor must be 'local' or 'celery', not {executor!r}")
    compose = load(COMPOSE)
    if executor == "celery":
        compose = merge_override(compose, load(CELERY_OVERRIDE))
    return compose["services"]


def interpolate(value: str, variables: Mapping[str, str], where: str = "") -> str:
    """Compose's variable interpolation; `${VAR:?message}` with VAR unset or empty raises."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("var"), match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        missing = value is None or (value == "" and op and op.startswith(":"))
        if op and op.endswith("?") and missing:
            raise ComposeError(f"{where}: {name} is required: {arg or 'not set'}")
        if op and op.endswith("-") and missing:
            return arg
        return value or ""

    return _INTERPOLATION.sub(replace, value)


def service_env(service: str, executor: str, variables: Mapping[str, str]) -> dict[str, str]:
    """One service's environment with `.env`-style variables filled in, as Compose would."""
    svc = services(executor).get(service)
    if svc is None:
        raise ComposeError(f"{COMPOSE.name}: no service {service!r} for executor {executor!r}")
    return {key: interpolate(value, variables, f"{COMPOSE.name}: {service}: {key}")
            for key, value in env_of(svc).items()}


def localize(env: Mapping[str, str], replacements: Mapping[str, str]) -> dict[str, str]:
    """Replace container paths and service addresses (`@postgres/`, `//redis:6379/`, ...) with
    local ones; refuse a value that still points into a container, naming its key."""
    out = {}
    for key, value in env.items():
        for old, new in replacements.items():
            value = value.replace(old, new)
        if "/opt/" in value:
            raise ComposeError(f"{COMPOSE.name}: {key}={value!r} points at a container path the local "
                               "stack does not map")
        out[key] = value
    return out
