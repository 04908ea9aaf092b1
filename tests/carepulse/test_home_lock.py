"""One writer per home: commands exclude each other and an Airflow run; refusals name the holder."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from carepulse import home_lock
from tests.conftest import ROOT

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from carepulse import home_lock
    with home_lock.exclusive(Path(sys.argv[1]), "carepulse run", ["2026-12-05"]):
        print("holding", flush=True)
        time.sleep(600)
""")


@pytest.fixture
def holder(tmp_path):
    """Another process holding the home exclusively, as `carepulse run` does."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "holding"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_command_is_refused_naming_the_holder(tmp_path, holder):
    with pytest.raises(home_lock.HomeBusy) as info, home_lock.exclusive(tmp_path, "carepulse extract"):
        pass
    text = str(info.value)
    assert f"pid {holder.pid}" in text and "`carepulse run`" in text and "2026-12-05" in text
    assert "started 20" in text and "wait until it finishes" in text


def test_an_airflow_task_is_refused_beside_a_command(tmp_path, holder):
    with pytest.raises(home_lock.HomeBusy, match=rf"task plan: .*`carepulse run` \(pid {holder.pid}"), \
            home_lock.shared(tmp_path, "plan"):
        pass


def test_the_lock_dies_with_its_holder(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with home_lock.exclusive(tmp_path, "carepulse run"):
        pass


def test_airflow_tasks_share_the_home_and_keep_commands_out(tmp_path):
    with home_lock.shared(tmp_path, "extract.x"), home_lock.shared(tmp_path, "extract.reddit"), \
            pytest.raises(home_lock.HomeBusy, match="Airflow tasks"), home_lock.exclusive(tmp_path, "run"):
        pass


def test_a_leased_home_refuses_commands_between_the_runs_tasks(tmp_path):
    home_lock.take_lease(tmp_path, "scheduled__2026-12-06T02:00:00+00:00")
    leased = r"leased to Airflow run scheduled__2026-12-06T02:00:00\+00:00 \(started 20.*delete .*lease.json"
    with pytest.raises(home_lock.HomeBusy, match=leased), home_lock.exclusive(tmp_path, "carepulse run"):
        pass
    home_lock.release_lease(tmp_path, "some other run")  # only the run's own release counts
    assert home_lock.read_lease(tmp_path)
    home_lock.release_lease(tmp_path, "scheduled__2026-12-06T02:00:00+00:00")
    with home_lock.exclusive(tmp_path, "carepulse run"):
        pass


def test_commands_run_one_after_another(tmp_path):
    for _ in range(3):
        with home_lock.exclusive(tmp_path, "carepulse run"):
            assert (tmp_path / home_lock.LOCK).read_text().startswith("{")
        assert (tmp_path / home_lock.LOCK).read_text() == ""
