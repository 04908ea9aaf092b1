"""The scheduler stack's parts that need no running stack: compose interpolation and
localisation, each component's environment, `carepulse airflow-init`'s refusals, the
Postgres/Redis discovery errors. The stacks themselves run in test_scheduler_*.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import compose, services
from deploy.init import Admin
from deploy.stack import SchedulerStack
from tests.conftest import ROOT


def test_interpolation_follows_compose():
    values = {"SET": "x", "EMPTY": ""}
    assert compose.interpolate("${SET}/${UNSET:-d}/${EMPTY:-d}/${EMPTY-d}/$${SET}", values) == "x/d/d//${SET}"
    with pytest.raises(compose.ComposeError, match=r"here: EMPTY is required: fill it in"):
        compose.interpolate("${EMPTY:?fill it in}", values, "here")
    assert compose.interpolate("${EMPTY?no}", values) == ""


def test_a_required_secret_missing_from_env_names_service_and_key():
    with pytest.raises(compose.ComposeError, match=r"airflow-scheduler: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: "
                                                   r"POSTGRES_PASSWORD is required"):
        compose.service_env("airflow-scheduler", "local", {})


def test_localize_maps_container_paths_and_refuses_unmapped_ones():
    env = {"A": "/opt/carepulse/data/x", "B": "postgresql://u:p@postgres/airflow"}
    out = compose.localize(env, {"/opt/carepulse/data": "/srv/home", "@postgres/": "@127.0.0.1:5/"})
    assert out == {"A": "/srv/home/x", "B": "postgresql://u:p@127.0.0.1:5/airflow"}
    with pytest.raises(compose.ComposeError, match=r"C='/opt/airflow/x' points at a container path"):
        compose.localize({"C": "/opt/airflow/x"}, {})


def test_each_component_gets_its_compose_environment_and_only_that(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPULSE_X_BEARER_TOKEN", "callers-own-token-must-not-leak")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "SequentialExecutor")
    stack = SchedulerStack(tmp_path / "stack", tmp_path / "home", {"CAREPULSE_PSEUDONYM_KEY": "k" * 20,
                                                                   "CAREPULSE_X_BEARER_TOKEN": "from-dotenv"},
                           executor="celery", extra_env={"CAREPULSE_DBT_TASKS": "single"})
    stack.postgres.port, stack.api_port = 5999, 8999
    stack.redis.port = 6999
    scheduler, api = stack.env_for("airflow-scheduler"), stack.env_for("airflow-apiserver")
    assert scheduler["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "@127.0.0.1:5999/airflow" in scheduler["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert scheduler["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6999/0"
    assert scheduler["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8999/execution/"
    assert scheduler["AIRFLOW__CORE__DAGS_FOLDER"] == str(ROOT / "dags")
    assert scheduler["CAREPULSE_HOME"] == str(tmp_path / "home")
    assert scheduler["CAREPULSE_X_BEARER_TOKEN"] == "from-dotenv"
    assert scheduler["CAREPULSE_DBT_TASKS"] == api["CAREPULSE_DBT_TASKS"] == "single"
    assert scheduler["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"
    # credentials only where tasks run, as in compose
    assert "CAREPULSE_X_BEARER_TOKEN" not in api and "CAREPULSE_PSEUDONYM_KEY" not in api
    assert not any("/opt/" in v for v in scheduler.values())


def test_admin_comes_from_the_official_images_variables():
    assert Admin.from_env({}) is None
    admin = Admin.from_env({"_AIRFLOW_WWW_USER_PASSWORD": "pw"})
    assert (admin.username, admin.email) == ("admin", "admin@example.org")


def test_airflow_init_stops_on_a_broken_config_before_touching_the_database(tmp_path):
    bad = tmp_path / "monitoring.yml"
    bad.write_text("organisation: [not, a, mapping\n")
    env = dict(os.environ, CAREPULSE_HOME=str(tmp_path / "home"), CAREPULSE_CONFIG=str(bad),
               AIRFLOW_HOME=str(tmp_path / "airflow"),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'never' / 'airflow.db'}")
    proc = subprocess.run([sys.executable, "-m", "carepulse.cli", "airflow-init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    said = (proc.stdout + proc.stderr).replace("\n", "")  # the console wraps long paths
    assert proc.returncode == 2, said
    assert str(bad) in said and "YAML syntax error" in said
    assert "migrating" not in said
    assert not (tmp_path / "never").exists()


def test_missing_postgres_and_redis_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    monkeypatch.setattr(services.glob, "glob", lambda pattern: [])
    with pytest.raises(services.ServiceError, match=r"apt-get install -y postgresql"):
        services.postgres_bin()
    with pytest.raises(services.ServiceError, match=r"apt-get install -y redis-server"):
        services.PrivateRedis(tmp_path).start()


def test_a_private_postgres_starts_on_a_free_port_and_leaves_nothing(tmp_path):
    import psycopg2

    pg = services.PrivatePostgres(tmp_path / "postgres.log", password="pw-123").start()
    folder = pg.folder
    try:
        with psycopg2.connect(host="127.0.0.1", port=pg.port, user="airflow", password="pw-123",
                              dbname="airflow") as con, con.cursor() as cur:
            cur.execute("select 1")
            assert cur.fetchone() == (1,)
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(host="127.0.0.1", port=pg.port, user="airflow", password="wrong",
                             dbname="airflow")
    finally:
        pg.stop()
    assert not Path(folder).exists()
    assert "database system is shut down" in (tmp_path / "postgres.log").read_text()


def test_a_new_stack_stops_what_a_killed_one_left_running(tmp_path):
    """A stack process killed without `stop()` leaves its components (own sessions) and its
    Postgres running; the next start in the same folder stops them and removes the files."""
    crashed = SchedulerStack(tmp_path / "stack", tmp_path / "home", {}, say=lambda m: None)
    crashed.postgres.start()
    orphan = subprocess.Popen(["sleep", "600"], start_new_session=True)
    crashed._procs["scheduler"] = orphan
    crashed._record()
    folder = crashed.postgres.folder
    # ... and the process that owned them dies here, without stop()
    fresh = SchedulerStack(tmp_path / "stack", tmp_path / "home", {}, say=lambda m: None)
    fresh._reap_leftovers()
    assert orphan.wait(10) == -9
    assert not folder.exists()
    assert not fresh._leftovers.exists()


def test_airflow_init_passes_a_password_that_begins_with_a_dash(monkeypatch, tmp_path):
    """A generated password such as '-xY...' once made `airflow users create` fail: argparse read
    it as an option. Every value now travels as `--opt=value`."""
    from deploy import init

    seen = []
    monkeypatch.setattr(init, "_airflow", lambda args, say, what: seen.append(args))
    monkeypatch.setattr(init, "ensure_pools", lambda slots: {})
    monkeypatch.setenv("CAREPULSE_HOME", str(tmp_path))
    init.airflow_init(tmp_path, Admin("admin", "-starts-with-a-dash", "a@example.org"))
    users = next(args for args in seen if args[:2] == ["users", "create"])
    assert "--password=-starts-with-a-dash" in users
    assert all(a.startswith("--") and "=" in a for a in users[2:])
