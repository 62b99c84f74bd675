"""The whole platform on one machine: PostgreSQL, NATS JetStream, Keycloak and every service.

State lives under `.run/` (git-ignored; ZGOV_RUN_DIR moves it): one folder per server,
`services/<name>/` with each service's pid file and log, `nats/credentials/<name>.nk` with each
service's NATS user seed (mode 600, made once and kept: NATS admits only those users, each with the
permissions of deploy/local/nats_auth.py), and `endpoints.json`. Ports are
fixed defaults, each overridable by an environment variable (see PORTS), so that what
`make up` prints stays the same from one day to the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.local import nats_auth
from deploy.local.keycloak import REALM, SERVICE_CLIENTS, Keycloak, KeycloakInfo, check_java
from deploy.local.servers import Nats, Postgres, PrerequisiteError, pid_alive, port_is_taken, stop_pid
from shared.https import trust

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO_ROOT / "services"
RUN_DIR = Path(os.environ.get("ZGOV_RUN_DIR") or REPO_ROOT / ".run")
HOST = "127.0.0.1"

# Default ports and the variable that overrides each.
PORTS = {
    "postgres": ("ZGOV_PG_PORT", 55432),
    "nats": ("ZGOV_NATS_PORT", 4222),
    "keycloak": ("ZGOV_KEYCLOAK_PORT", 8080),
    # Keycloak's own default (9000) collides too often with other tools.
    "keycloak-management": ("ZGOV_KEYCLOAK_MANAGEMENT_PORT", 9001),
}
# gRPC port of each service: org 50051, meetings 50052, ... (ZGOV_<NAME>_GRPC_PORT overrides).
GRPC_PORTS = {name: 50051 + i for i, name in enumerate(SERVICE_CLIENTS)}
# Services that answer HTTP instead of gRPC (the citizens' portal): default port, overridden by
# ZGOV_<NAME>_HTTP_PORT; up means GET /healthz answers 200.
HTTP_PORTS = {"portal": 8000}
# Second ports of gRPC services that also answer HTTP: the meetings calendar feeds that calendar apps
# poll (ZGOV_<NAME>_FEED_PORT overrides).
FEED_PORTS = {"meetings": 8052, "supervision": 8054}
# Every service's database is created, whether its code exists yet or not, so a new service finds it.
DATABASES = SERVICE_CLIENTS
# Passed through to every service when set in the caller's environment (besides every non-ZGOV_ variable,
# such as the OpenTelemetry SDK's OTEL_*; ZGOV_OTLP_ENDPOINT is their deprecated alias).
PASSED_THROUGH = (
    "ZGOV_OTLP_ENDPOINT",
    "ZGOV_CALENDAR_DIR",
    "ZGOV_LOG_LEVEL",
    # the portal behind a reverse proxy: the visitor's address from X-Forwarded-For (services/portal/config.py)
    "ZGOV_TRUST_FORWARDED_FOR",
    # the notify service's channels (services/notify/README.md): none unless set
    "ZGOV_SMTP_HOST",
    "ZGOV_SMTP_PORT",
    "ZGOV_SMTP_FROM",
    "ZGOV_SMTP_USERNAME",
    "ZGOV_SMTP_PASSWORD",
    "ZGOV_SMTP_STARTTLS",
    "ZGOV_SMTP_TLS",
    "ZGOV_SMTP_CONNECTIONS",
    "ZGOV_SMTP_IDLE_SECONDS",
    "ZGOV_SMTP_MESSAGES_PER_CONNECTION",
    "ZGOV_SMS_URL",
    "ZGOV_SMS_TEMPLATE",
    "ZGOV_SMS_TOKEN",
    "ZGOV_WECOM_ROBOT_URL",
    "ZGOV_WECOM_API_BASE",
    "ZGOV_WECOM_CORP_ID",
    "ZGOV_WECOM_AGENT_ID",
    "ZGOV_WECOM_SECRET",
    "ZGOV_DINGTALK_ROBOT_URL",
    "ZGOV_DINGTALK_SECRET",
    "ZGOV_LINK_BASE",
)


def port(env: str, default: int) -> int:
    value = os.environ.get(env)
    if value and not value.isdigit():
        raise PrerequisiteError(
            f"{env}={value!r} is not a port number: set it to a free port such as {default}."
        )
    return int(value) if value else default


def server_port(name: str) -> int:
    return port(*PORTS[name])


def http_port(service: str) -> int | None:
    if service not in HTTP_PORTS:
        return None
    return port(f"ZGOV_{service.upper().replace('-', '_')}_HTTP_PORT", HTTP_PORTS[service])


def feed_port(service: str) -> int | None:
    if service not in FEED_PORTS:
        return None
    return port(f"ZGOV_{service.upper().replace('-', '_')}_FEED_PORT", FEED_PORTS[service])


def grpc_port(service: str) -> int:
    default = GRPC_PORTS.get(service, 50051 + len(GRPC_PORTS) + sorted(existing_services()).index(service))
    return port(f"ZGOV_{service.upper().replace('-', '_')}_GRPC_PORT", default)


def keycloak_url_default(run_dir: Path = RUN_DIR) -> str:
    """The Keycloak that `make up` started (from .run/endpoints.json), else the default port."""
    endpoints = run_dir / "endpoints.json"
    if endpoints.exists():
        url = json.loads(endpoints.read_text()).get("keycloak", {}).get("url")
        if url:
            return url
    return f"http://{HOST}:{server_port('keycloak')}"


def existing_services() -> list[str]:
    """Services whose code exists: services/<name>/__main__.py."""
    if not SERVICES_DIR.is_dir():
        return []
    return sorted(
        p.parent.name for p in SERVICES_DIR.glob("*/__main__.py") if not p.parent.name.startswith("_")
    )


# ---------------------------------------------------------------- services as processes


@dataclass
class ServiceProcess:
    """`python -m services.<name>` with the ZGOV_* environment of the brief."""

    name: str
    state_dir: Path
    grpc_port: int
    http_port: int | None = None
    feed_port: int | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.grpc_port}"

    @property
    def url(self) -> str | None:
        return f"http://{HOST}:{self.http_port}" if self.http_port else None

    @property
    def listen_port(self) -> int:
        return self.http_port or self.grpc_port

    def endpoint(self) -> str:
        return self.url if self.http_port else f"grpc {self.address}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "service.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "service.log"

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        text = self.pid_file.read_text().strip()
        pid = int(text) if text.isdigit() else 0
        return pid if pid and pid_alive(pid) else None

    def environment(
        self, database_url: str, nats_url: str, keycloak: KeycloakInfo, nats_seed: str = ""
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZGOV_") or k in PASSED_THROUGH}
        env.update(
            {
                "ZGOV_SERVICE_NAME": self.name,
                "ZGOV_DATABASE_URL": database_url,
                "ZGOV_NATS_URL": nats_url,
                # its own NATS user; empty for a service that does not use the event bus (the portal)
                "ZGOV_NATS_NKEY_SEED": nats_seed,
                "ZGOV_KEYCLOAK_URL": keycloak.url,
                "ZGOV_KEYCLOAK_REALM": keycloak.realm,
                "ZGOV_CLIENT_ID": self.name,
                "ZGOV_CLIENT_SECRET": keycloak.client_secrets.get(self.name, ""),
                "ZGOV_GRPC_HOST": HOST,
                "ZGOV_GRPC_PORT": str(self.grpc_port),
                # Where services that ask org (who may act, A10/A59) find it.
                "ZGOV_ORG_ADDRESS": f"{HOST}:{grpc_port('org')}",
                # Where the portal finds the services it calls.
                "ZGOV_PETITIONS_ADDRESS": f"{HOST}:{grpc_port('petitions')}",
                "ZGOV_DISCLOSURE_ADDRESS": f"{HOST}:{grpc_port('disclosure')}",
                "ZGOV_NOTIFY_ADDRESS": f"{HOST}:{grpc_port('notify')}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.http_port:
            env.update({"ZGOV_HTTP_PORT": str(self.http_port), "ZGOV_PUBLIC_URL": self.url})
        if self.feed_port:
            env["ZGOV_HTTP_PORT"] = str(self.feed_port)
        return env

    def start(self, env: dict[str, str]) -> None:
        if self.running_pid():
            return
        kind = "HTTP" if self.http_port else "GRPC"
        for taken, what in ((self.listen_port, kind), (self.feed_port, "FEED")):
            if taken and port_is_taken(taken):
                variable = f"ZGOV_{self.name.upper().replace('-', '_')}_{what}_PORT"
                raise PrerequisiteError(
                    f"Port {taken} for the {self.name} service is taken: stop what uses it"
                    f" or set {variable} to a free port."
                )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def serving(self) -> bool:
        """The gRPC health check (overall status, service name "") says SERVING; for an HTTP
        service, GET /healthz answers 200."""
        if self.http_port:
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1, verify=trust()).status_code == 200
            except httpx.HTTPError:
                return False
        try:
            with grpc.insecure_channel(self.address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=1
                )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False

    def wait_serving(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.serving():
                return
            if not self.running_pid():
                tail = self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
                raise RuntimeError(
                    f"The {self.name} service stopped while starting; its log: {self.log_file}\n{tail}"
                )
            time.sleep(0.3)
        raise RuntimeError(
            f"The {self.name} service is not SERVING after {timeout:.0f} s; its log: {self.log_file}"
        )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            # SIGTERM: the service reports NOT_SERVING, finishes in-flight calls, then stops.
            stop_pid(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)


# ---------------------------------------------------------------- the stack


@dataclass
class Stack:
    run_dir: Path = RUN_DIR
    services: list[str] = field(default_factory=existing_services)

    @property
    def postgres(self) -> Postgres:
        return Postgres(self.run_dir / "postgres", server_port("postgres"))

    @property
    def nats(self) -> Nats:
        return Nats(self.run_dir / "nats", server_port("nats"))

    @property
    def keycloak(self) -> Keycloak:
        return Keycloak(
            self.run_dir / "keycloak", server_port("keycloak"), server_port("keycloak-management")
        )

    @property
    def nats_credentials(self) -> Path:
        return self.run_dir / "nats" / "credentials"

    def nats_seeds(self) -> dict[str, str]:
        """The seed of each service that uses the event bus, made on first use and kept."""
        return {
            name: nats_auth.read_seed(nats_auth.seed_file(self.nats_credentials, name))
            for name in self.services
            if name in nats_auth.bus_users()
        }

    def nats_users(self, seeds: dict[str, str]) -> list[nats_auth.NatsUser]:
        return [nats_auth.service_user(name, nats_auth.public_key(seed)) for name, seed in seeds.items()]

    def service(self, name: str) -> ServiceProcess:
        return ServiceProcess(
            name, self.run_dir / "services" / name, grpc_port(name), http_port(name), feed_port(name)
        )

    @property
    def endpoints_file(self) -> Path:
        return self.run_dir / "endpoints.json"

    def databases(self) -> list[str]:
        return sorted(set(DATABASES) | set(self.services))

    def up(self, report=lambda message: None) -> dict:
        """Start what is not running; what runs is left alone. Returns the endpoints."""
        check_java()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        keycloak = self.keycloak
        # Keycloak takes longest: it starts first and boots while the others come up.
        report("Keycloak: starting" if not keycloak.running_pid() else "Keycloak: already running")
        keycloak.launch()
        postgres = self.postgres
        report("PostgreSQL: starting" if not postgres.running_pid() else "PostgreSQL: already running")
        postgres.start()
        dsns = {name: postgres.ensure_database(name) for name in self.databases()}
        nats = self.nats
        seeds = self.nats_seeds()
        nats.users = self.nats_users(seeds)
        if nats.running_pid() and not nats.runs_as_configured():
            # e.g. started open by an older `make up`: its running services have no NATS user either
            raise PrerequisiteError(
                "NATS runs without the services' users (started before they existed):"
                " run 'make down' then 'make up'."
            )
        report("NATS: starting" if not nats.running_pid() else "NATS: already running")
        nats.start()
        report("Keycloak: waiting for realm zgov")
        info = keycloak.start()
        for name in self.services:
            service = self.service(name)
            report(f"{name}: starting" if not service.running_pid() else f"{name}: already running")
            service.start(service.environment(dsns[name], nats.url, info, seeds.get(name, "")))
        for name in self.services:
            self.service(name).wait_serving()
        endpoints = self.endpoints(info, dsns)
        self.run_dir.joinpath("endpoints.json").write_text(json.dumps(endpoints, indent=2) + "\n")
        return endpoints

    def endpoints(self, info: KeycloakInfo | None = None, dsns: dict | None = None) -> dict:
        keycloak = self.keycloak
        return {
            "services": {
                name: (
                    {"http": self.service(name).url}
                    if http_port(name)
                    else {"grpc": self.service(name).address}
                )
                for name in self.services
            },
            "keycloak": {
                "url": keycloak.url,
                "realm": REALM,
                "issuer": keycloak.issuer,
                "admin_console": f"{keycloak.url}/admin/master/console/",
                "demo_users": str(keycloak.demo_users_file),
            },
            "nats": {"url": self.nats.url, "credentials": str(self.nats_credentials)},
            "postgres": dsns or {name: self.postgres.dsn(name) for name in self.databases()},
        }

    def down(self, report=lambda message: None) -> None:
        """Stop everything `up` started, services first; the state stays. The services stop side by
        side: each drains on its own (NOT_SERVING, then in-flight calls), none waits for another's."""
        services = [self.service(name) for name in self.services]
        for service in services:
            if service.running_pid():
                report(f"{service.name}: stopping")
        with ThreadPoolExecutor(max_workers=len(services) or 1) as stopping:
            list(stopping.map(ServiceProcess.stop, services))
        for what, server in (("Keycloak", self.keycloak), ("NATS", self.nats), ("PostgreSQL", self.postgres)):
            if server.running_pid():
                report(f"{what}: stopping")
                server.stop()

    def status(self) -> list[tuple[str, str, bool, int | None]]:
        """(component, endpoint, up?, pid) for every part of the stack."""
        rows = []
        pg, nats, kc = self.postgres, self.nats, self.keycloak
        rows.append(("postgres", f"{HOST}:{pg.port}", bool(pg.running_pid()), pg.running_pid()))
        rows.append(("nats", nats.url, bool(nats.running_pid()), nats.running_pid()))
        rows.append(("keycloak", f"{kc.url} (realm {REALM})", bool(kc.running_pid()), kc.running_pid()))
        for name in self.services:
            service = self.service(name)
            pid = service.running_pid()
            rows.append((name, service.endpoint(), bool(pid) and service.serving(), pid))
        return rows
