"""Private Postgres and Redis servers from Debian's packages, as plain processes.

Each lives in a folder of its own on a free loopback port and is gone after `stop()`: the
scheduler stack needs a metadata DB and a Celery broker, not the machine's services. Postgres
refuses to run as root, so as root it runs as the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "install Debian's {pkg} (`make services` does: apt-get install -y {pkg})"


class ServiceError(RuntimeError):
    """A server could not be found, started or reached; the message says which and why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"{what} exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def postgres_bin() -> Path:
    """Debian keeps initdb/pg_ctl under /usr/lib/postgresql/<major>/bin, off the PATH."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # a link on the PATH: its siblings are in the real folder
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise ServiceError("no PostgreSQL server binaries (initdb): " + INSTALL_HINT.format(pkg="postgresql"))
    return Path(candidates[-1]).parent


def _postgres_account() -> str:
    """The account a root caller runs the server as (initdb refuses root)."""
    import pwd

    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        raise ServiceError("running as root, and there is no `postgres` account to run the server as: "
                           + INSTALL_HINT.format(pkg="postgresql") + ", or run as another user") from None


class PrivatePostgres:
    """`initdb` + `pg_ctl start` in a fresh temporary folder, one database and owner, password
    auth; `stop()` removes the folder and leaves the server log at `log`.

    The cluster lives under the system temp folder, not under `root`: as root the server runs
    as `postgres`, which may not be able to reach a folder inside a private one (pytest's).
    """

    def __init__(self, log: Path, user: str = "airflow", password: str = "airflow",
                 database: str = "airflow") -> None:
        self.log, self.user, self.password, self.database = log, user, password, database
        self.port = 0
        self.folder: Path | None = None
        self._bin = postgres_bin()
        self._run_as = _postgres_account() if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, env: dict | None = None) -> None:
        cmd = [str(self._bin / args[0]), *args[1:]]
        proc = subprocess.run(cmd, capture_output=True, text=True, user=self._run_as, cwd=self.folder,
                              env=env)
        if proc.returncode:
            raise ServiceError(f"{args[0]} failed (exit {proc.returncode}): "
                               f"{(proc.stdout + proc.stderr)[-2000:]}")

    def start(self) -> PrivatePostgres:
        self.folder = Path(tempfile.mkdtemp(prefix="carepulse-postgres-"))
        if self._run_as:  # the server's files belong to the account that runs it
            shutil.chown(self.folder, self._run_as)
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._run_as:
            shutil.chown(pwfile, self._run_as)
        pwfile.chmod(0o600)
        try:
            self._run("initdb", "-D", str(self.folder / "data"), "-U", self.user, f"--pwfile={pwfile}",
                      "--auth=scram-sha-256", "-E", "UTF8", "--no-instructions")
        finally:
            pwfile.unlink()
        self.port = free_port()
        # A throwaway DB: no fsync. Listens on loopback TCP only; its socket stays in its folder.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "postgres.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database,
                  env=dict(os.environ, PGPASSWORD=self.password))
        return self

    @classmethod
    def reap(cls, folder: Path) -> None:
        """Stop a server an earlier, killed process left running in `folder`, and remove it."""
        data = folder / "data"
        if (data / "postmaster.pid").exists():
            server = cls(folder / "postgres.log")
            server.folder = folder
            with contextlib.suppress(ServiceError):
                server._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        if self.folder is None:
            return
        if (self.folder / "data" / "postmaster.pid").exists():
            with contextlib.suppress(ServiceError):
                self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        with contextlib.suppress(OSError):
            self.log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.folder / "postgres.log", self.log)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


class PrivateRedis:
    """`redis-server` on a free loopback port, no persistence."""

    def __init__(self, root: Path):
        self.root = root
        self.port = 0
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> PrivateRedis:
        server = shutil.which("redis-server")
        if not server:
            raise ServiceError("no redis-server: " + INSTALL_HINT.format(pkg="redis-server"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log = (self.root / "redis.log").open("ab")
        self._proc = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for_port(self.port, 30, "redis-server", self._proc)
        return self

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
