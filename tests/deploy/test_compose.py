"""The production deployment files, checked by structure (there is no Docker engine in CI).

docker-compose.yml is loaded with PyYAML, which resolves the `x-airflow-common` anchors and
merge keys the way Compose does, so the tests see each service as Compose would. The Celery
override is merged on top with Compose's rules for the keys it uses (mappings merge). The
parts that must agree across files (image, environment, volumes, pools, queues, secrets,
the lock file) are checked against each other and against config/monitoring.yml.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from carepulse.config import PLATFORMS
from deploy.compose import env_of, merge_override
from deploy.compose import load as load_yaml
from deploy.init import data_dirs
from deploy.pools import WRITER_POOL, pool_specs

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CELERY_OVERRIDE = ROOT / "docker-compose.celery.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

DATA_VOLUME = "carepulse-data"
DATA_PATH = "/opt/carepulse/data"
DAGS_PATH = "/opt/carepulse/dags"
CONFIG_DIR = "/opt/carepulse/config"

AIRFLOW_SERVICES = (
    "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
    "airflow-worker", "airflow-init", "flower",
)
LONG_RUNNING = (
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker", "flower", "dashboard",
)
LONG_RUNNING_AIRFLOW = tuple(s for s in AIRFLOW_SERVICES if s != "airflow-init")
CELERY_ONLY = ("redis", "airflow-worker", "flower")
TASK_RUNNERS = ("airflow-scheduler", "airflow-worker")  # LocalExecutor / CeleryExecutor
REQUIRED_SERVICES = {*LONG_RUNNING, "airflow-init"}

SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|CREDENTIALS)$")
# A secret may only be a reference to a variable, with no default that could hold a value.
SECRET_REF = re.compile(r"\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::?-|:?\?[^}]*)?\}")
URL_CREDENTIALS = re.compile(r"://(?P<user>[^:/@\s]+):(?P<password>[^@\s]*)@")
INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


# ------------------------------------------------------------------ helpers


def mounts_of(service: dict) -> set[tuple]:
    """(source, target, read_only, subpath) for every volume, short or long syntax."""
    out = set()
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            parts = vol.split(":")
            source, target = parts[0], parts[1]
            mode = parts[2] if len(parts) > 2 else "rw"
            out.add((source, target, "ro" in mode.split(","), None))
        else:
            subpath = (vol.get("volume") or {}).get("subpath")
            out.add((vol["source"], vol["target"], bool(vol.get("read_only")), subpath))
    return out


def command_text(service: dict) -> str:
    cmd = service.get("command") or ""
    text = " ".join(cmd) if isinstance(cmd, list) else cmd
    return text.replace("$$", "$")  # Compose unescapes $$ before the shell sees it


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test") or []
    return " ".join(test) if isinstance(test, list) else test


def container_ports(service: dict) -> set[int]:
    ports = set()
    for spec in service.get("ports") or []:
        if isinstance(spec, dict):
            ports.add(int(spec["target"]))
        else:
            ports.add(int(str(spec).rsplit(":", 1)[-1].split("/")[0]))
    return ports


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not current:
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            if current.strip():
                logical.append(current.strip())
            current = ""
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in logical]


def strings_in(node) -> list[str]:
    """Every string value of a parsed YAML document (what Compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(node, list):
        return [s for v in node for s in strings_in(v)]
    return [node] if isinstance(node, str) else []


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def common(compose) -> dict:
    return compose["x-airflow-common"]


@pytest.fixture(scope="module")
def celery_override() -> dict:
    return load_yaml(CELERY_OVERRIDE)


@pytest.fixture(scope="module")
def celery_services(compose, celery_override) -> dict[str, dict]:
    return merge_override(compose, celery_override)["services"]


@pytest.fixture(scope="module")
def credential_envs(loaded_config) -> list[str]:
    cfg = loaded_config.config
    names = [getattr(cfg.platforms, p).credential_env for p in PLATFORMS if getattr(cfg.platforms, p)]
    assert names, "config/monitoring.yml names no platform credentials"
    return names


# ------------------------------------------------------------------ services and the common anchor


def test_required_services_exist(services):
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"docker-compose.yml lacks services {sorted(missing)}"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_service_uses_the_common_settings(services, common, name):
    service = services[name]
    assert service["image"] == common["image"]
    assert service.get("build") == common["build"]
    env, common_env = env_of(service), env_of(common)
    missing = set(common_env) - set(env)
    assert not missing, f"{name} drops common environment keys {sorted(missing)}"
    changed = {k for k in common_env if env[k] != common_env[k]}
    assert not changed, f"{name} overrides common environment keys {sorted(changed)}"
    assert mounts_of(service) == mounts_of(common), f"{name} does not mount exactly the common volumes"


def test_common_environment_wires_executor_db_and_carepulse_paths(common):
    env = env_of(common)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert re.fullmatch(r"postgresql\+psycopg2://airflow:\$\{[^}]+\}@postgres/airflow",
                        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == DAGS_PATH
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    assert env["CAREPULSE_HOME"] == DATA_PATH
    assert env["CAREPULSE_CONFIG"] == f"{CONFIG_DIR}/monitoring.yml"
    # the JWT secret must be one value for every component, so it lives in the common env
    assert "AIRFLOW__API_AUTH__JWT_SECRET" in env


def test_common_volumes_mount_dags_config_and_the_data_volume(common):
    mounts = mounts_of(common)
    assert ("./dags", DAGS_PATH, True, None) in mounts
    assert ("./config", CONFIG_DIR, True, None) in mounts
    assert (DATA_VOLUME, DATA_PATH, False, None) in mounts, "the data volume must be read-write"
    assert (ROOT / "dags").is_dir() and (ROOT / "config" / "monitoring.yml").is_file()


def test_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    assert DATA_VOLUME in declared
    for name, service in services.items():
        for source, *_ in mounts_of(service):
            if not source.startswith((".", "/", "$")):
                assert source in declared, f"{name} mounts undeclared volume {source}"


# ------------------------------------------------------------------ health and start-up order


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_service_has_a_healthcheck_and_restarts(services, name):
    service = services[name]
    check = service.get("healthcheck") or {}
    assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test must be CMD/CMD-SHELL"
    assert service.get("restart") == "always"


@pytest.mark.parametrize(("name", "probe"), [
    ("postgres", "pg_isready"),
    ("redis", "redis-cli ping"),
    ("airflow-apiserver", "http://localhost:8080/api/v2/monitor/health"),
    ("airflow-scheduler", "http://localhost:8974/health"),
    ("airflow-dag-processor", "airflow jobs check --job-type DagProcessorJob"),
    ("airflow-triggerer", "airflow jobs check --job-type TriggererJob"),
    ("airflow-worker", "inspect ping"),
    ("flower", "http://localhost:5555/"),
    ("dashboard", "http://localhost:8501/_stcore/health"),
])
def test_healthcheck_probes_the_right_thing(services, name, probe):
    assert probe in healthcheck_text(services[name])


def test_scheduler_health_server_is_enabled(common):
    assert env_of(common)["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"].lower() == "true"


@pytest.mark.parametrize("name", LONG_RUNNING_AIRFLOW)
def test_airflow_services_wait_for_postgres_and_init(services, name):
    deps = services[name].get("depends_on") or {}
    assert deps.get("postgres", {}).get("condition") == "service_healthy"
    assert deps.get("airflow-init", {}).get("condition") == "service_completed_successfully"


def test_init_waits_for_postgres_and_dashboard_for_init(services):
    assert services["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["airflow-init"].get("restart") in (None, "no")
    assert services["dashboard"]["depends_on"]["airflow-init"]["condition"] == \
        "service_completed_successfully"


def test_images_with_curl_healthchecks_install_curl(services, common):
    uses_curl = [n for n, s in services.items()
                 if s.get("image") == common["image"] and "curl" in healthcheck_text(s)]
    assert uses_curl
    runs = " ".join(args for instr, args in dockerfile_instructions() if instr == "RUN")
    assert re.search(r"apt-get install[^&]*\bcurl\b", runs), "python:3.11-slim has no curl"


# ------------------------------------------------------------------ airflow-init: DB, user, pools


def test_init_runs_the_shared_init_command(services):
    """airflow-init runs `carepulse airflow-init` (deploy/init.py), the code the scheduler tests
    run: data folders, config check, migration, admin user, pools."""
    assert services["airflow-init"]["command"] == ["carepulse", "airflow-init"]
    env = env_of(services["airflow-init"])
    assert SECRET_REF.fullmatch(env["_AIRFLOW_WWW_USER_PASSWORD"]).group("var")
    assert "CAREPULSE_PLATFORM_POOL_SLOTS" in env


def test_pools_cover_every_platform_with_one_duckdb_writer(loaded_config):
    specs = pool_specs(3)
    assert specs[WRITER_POOL][0] == 1, "one DuckDB writer: 1 slot"
    for platform in PLATFORMS:
        assert specs[f"platform_{platform}"][0] == 3
    for platform in loaded_config.config.platforms.enabled():
        assert f"platform_{platform}" in specs, f"no pool for enabled platform {platform}"
    with pytest.raises(ValueError):
        pool_specs(0)


def test_openlineage_writes_file_events_under_the_data_volume(common, services):
    transport = json.loads(env_of(common)["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert transport["type"] == "file"
    path = transport["log_file_path"]
    assert path.startswith(f"{DATA_PATH}/lineage/")
    assert transport.get("append", False) is False, "per-event files: parallel tasks must not interleave"
    created = [str(d) for d in data_dirs(Path(DATA_PATH))]
    assert str(Path(path).parent) in created, "airflow-init must create the lineage directory"
    assert env_of(common)["AIRFLOW__OPENLINEAGE__NAMESPACE"]


# ------------------------------------------------------------------ the celery scale-out


@pytest.mark.parametrize("name", sorted(REQUIRED_SERVICES))
def test_celery_services_are_only_in_the_celery_profile(services, name):
    expected = ["celery"] if name in CELERY_ONLY else None
    assert services[name].get("profiles") == expected


def test_celery_override_only_patches_existing_services(services, celery_override):
    unknown = set(celery_override["services"]) - set(services)
    assert not unknown, f"override would create services {sorted(unknown)}"
    assert set(AIRFLOW_SERVICES) <= set(celery_override["services"]), \
        "every Airflow service must agree on the executor"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_celery_override_switches_the_executor(services, celery_services, name):
    assert env_of(services[name])["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    env = env_of(celery_services[name])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    # the override adds to the common environment, it does not replace it
    assert env_of(services[name]).items() - {("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")} <= env.items()
    if name != "airflow-init":
        assert celery_services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert celery_services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_worker_consumes_extraction_and_default_queues(services, celery_services):
    script = command_text(services["airflow-worker"])
    match = re.search(r"airflow celery worker\b.*--queues[ =](\S+)", script)
    assert match, "worker must name its queues"
    queues = set(match.group(1).split(","))
    worker_env = env_of(celery_services["airflow-worker"])
    default_queue = worker_env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "default")
    assert {"extraction", default_queue} <= queues
    # started without the override (LocalExecutor), the worker refuses instead of idling
    guard = script.index("CeleryExecutor")
    assert guard < script.index("exec airflow celery worker") and "exit 1" in script


def test_duckdb_writer_stays_single_under_celery(services, celery_services):
    # the override switches the executor but leaves init (and so the pools) as they are
    assert celery_services["airflow-init"]["command"] == services["airflow-init"]["command"]
    assert pool_specs()[WRITER_POOL][0] == 1


# ------------------------------------------------------------------ secrets


def _all_services(services, celery_override):
    yield from services.items()
    yield from (celery_override.get("services") or {}).items()


def test_no_secret_is_hard_coded(services, celery_override):
    for name, service in _all_services(services, celery_override):
        assert "env_file" not in service, f"{name}: env_file would hand every secret to the container"
        for key, value in env_of(service).items():
            if SECRET_NAME.search(key):
                assert SECRET_REF.fullmatch(value), f"{name}: {key} must be a bare ${{VAR}} reference"
            for creds in URL_CREDENTIALS.finditer(value):
                assert SECRET_REF.fullmatch(creds.group("password")), \
                    f"{name}: {key} has a password in its URL that is not a ${{VAR}} reference"
    # belt and braces over the raw text: any `...PASSWORD/SECRET/TOKEN/KEY: value` line
    for path in (COMPOSE, CELERY_OVERRIDE):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*([A-Z0-9_]*(?:KEY|SECRET|TOKEN|PASSWORD|CREDENTIALS))\s*:\s*(\S.*)$", line)
            if m:
                assert SECRET_REF.fullmatch(m.group(2).strip("'\"")), f"{path.name}: {line.strip()}"


def test_pseudonym_key_is_required(services, loaded_config):
    key_env = loaded_config.config.privacy.pseudonym_key_env
    for name in TASK_RUNNERS:
        value = env_of(services[name])[key_env]
        assert re.fullmatch(rf"\$\{{{key_env}:\?[^}}]+\}}", value), \
            f"{name}: {key_env} must be required with ${{VAR:?message}}"


def test_credentials_reach_only_the_services_that_run_tasks(services, credential_envs, loaded_config):
    secrets = [*credential_envs, loaded_config.config.privacy.pseudonym_key_env]
    for name, service in services.items():
        env = env_of(service)
        for var in secrets:
            if name in TASK_RUNNERS:
                assert var in env, f"{name} runs tasks but lacks {var}"
                assert SECRET_REF.fullmatch(env[var]).group("var") == var, f"{name}: {var} maps another var"
            else:
                assert var not in env, f"{name} does not run tasks and must not see {var}"


# ------------------------------------------------------------------ dashboard


def test_dashboard_serves_streamlit_read_only_without_the_raw_zone(services, common):
    dash = services["dashboard"]
    assert 8501 in container_ports(dash)
    assert dash["image"] == common["image"]
    assert "carepulse dashboard" in command_text(dash)
    env = env_of(dash)
    assert env["CAREPULSE_HOME"] == DATA_PATH
    assert env["STREAMLIT_SERVER_PORT"] == "8501"
    assert env.get("STREAMLIT_BROWSER_GATHER_USAGE_STATS") == "false", "no network calls at run time"
    data_mounts = [m for m in mounts_of(dash) if m[0] == DATA_VOLUME]
    assert data_mounts
    for _source, target, read_only, subpath in data_mounts:
        assert read_only, f"dashboard mounts {target} read-write"
        assert subpath and subpath.split("/")[0] != "raw", "the dashboard must not see the raw zone"
        assert target == f"{DATA_PATH}/{subpath}", "sub-paths must keep CAREPULSE_HOME's layout"
    assert any(m[3] == "warehouse" for m in data_mounts)


# ------------------------------------------------------------------ Dockerfile, lock, context


def test_dockerfile_installs_the_lock_with_compiled_bytecode():
    instructions = dockerfile_instructions()
    arg_lines = "\n".join(args for instr, args in instructions if instr == "ARG")
    args_defaults = dict(re.findall(r"^(\w+)=(\S+)$", arg_lines, re.M))
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args_defaults.get(m.group(1), m.group(0)), a.split()[0])
             for i, a in instructions if i == "FROM"]
    assert bases and bases[-1] == "python:3.11-slim", f"runtime stage is based on {bases[-1:]}"
    syncs = [i for i, (instr, args) in enumerate(instructions) if instr == "RUN" and "uv sync" in args]
    assert syncs, "the image must install with uv sync"
    for i in syncs:
        args = instructions[i][1]
        assert "--frozen" in args and "--no-dev" in args, f"uv sync without --frozen --no-dev: {args}"
    copy_lock = [i for i, (instr, args) in enumerate(instructions) if instr == "COPY" and "uv.lock" in args]
    assert copy_lock and copy_lock[0] < syncs[0], "uv.lock must be in the image before uv sync runs"
    bytecode = [i for i, (instr, args) in enumerate(instructions)
                if instr == "ENV" and re.search(r"\bUV_COMPILE_BYTECODE=1\b", args)]
    assert bytecode and bytecode[0] < syncs[0]


def test_dockerfile_runs_as_an_unprivileged_user():
    users = [args.strip() for instr, args in dockerfile_instructions() if instr == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")


def _dockerfile_extras() -> list[str]:
    runs = " ".join(args for instr, args in dockerfile_instructions() if instr == "RUN")
    return sorted(set(re.findall(r"--extra[ =]([A-Za-z0-9_-]+)", runs)))


def _declared_extras() -> dict:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"].get("optional-dependencies") or {}


def test_image_extras_are_declared_and_locked():
    extras = _dockerfile_extras()
    declared = _declared_extras()
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    project = next(p for p in lock["package"] if p["name"] == "carepulse")
    locked = project.get("optional-dependencies") or {}
    for extra in extras:
        assert extra in declared, f"Dockerfile installs --extra {extra}, pyproject.toml does not declare it"
        assert extra in locked, f"uv.lock is stale: extra {extra} is not locked (run `uv lock`)"
    # the compose file needs these at run time: psycopg2 DB URL, CeleryExecutor, FabAuthManager
    installed = {d["name"] for extra in extras for d in locked.get(extra, [])}
    needed = {"apache-airflow-providers-postgres", "apache-airflow-providers-celery",
              "apache-airflow-providers-fab"}
    assert needed <= installed, f"image extras lack {sorted(needed - installed)}"


def test_dockerignore_keeps_data_and_secrets_out_of_the_build_context():
    patterns = {ln.strip().rstrip("/") for ln in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if ln.strip() and not ln.startswith("#")}
    for must in ("data", ".venv", ".git", ".env", "**/__pycache__"):
        assert must in patterns, f".dockerignore does not exclude {must}"
    for needed in ("uv.lock", "pyproject.toml", "README.md", "dbt_project", "config", "dags"):
        assert needed not in patterns, f".dockerignore excludes {needed}, which the image needs"


# ------------------------------------------------------------------ .env.example


def test_env_example_lists_every_credential_and_the_pseudonym_key(credential_envs, loaded_config):
    example = env_example()
    for var in [*credential_envs, loaded_config.config.privacy.pseudonym_key_env]:
        assert var in example, f".env.example lacks {var}"
        assert example[var] == "", f".env.example must not carry a value for {var}"


def test_env_example_covers_every_interpolated_variable():
    example = env_example()
    for path in (COMPOSE, CELERY_OVERRIDE):
        for var in {v for text in strings_in(load_yaml(path)) for v in INTERPOLATED.findall(text)}:
            assert var in example, f"{path.name} uses ${{{var}}}, .env.example does not list it"
    for key, value in example.items():
        if SECRET_NAME.search(key):
            assert value == "", f".env.example carries a value for secret {key}"


def test_env_file_is_git_ignored():
    lines = {ln.strip() for ln in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()}
    assert lines & {".env", "/.env"}, ".env holds the deployment secrets and must never be committed"
