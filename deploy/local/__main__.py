"""`python -m deploy.local up|down|status|demo|fetch-keycloak`: the platform on this machine.

`make up` calls `up`: PostgreSQL (one database per service), NATS JetStream, Keycloak with
realm zgov and demo users, then every service under services/ that has a __main__.py, each
waited for until its gRPC health check says SERVING. Running it again while up changes
nothing. `down` stops what `up` started; the state under .run/ stays. `demo` (`make demo`) fills the
running platform with a month of the city's work through its public APIs (deploy/local/demo/).
"""

from __future__ import annotations

import shutil
import time

import grpc
import typer
from rich.console import Console
from rich.table import Table

from deploy.local import demo as demo_month
from deploy.local.keycloak import fetch_keycloak
from deploy.local.servers import PrerequisiteError
from deploy.local.stack import PORTS, RUN_DIR, Stack

app = typer.Typer(
    help="The Ziyang platform as local processes (no container engine).",
    no_args_is_help=True,
    add_completion=False,
)
# Wide enough for a full DSN per line even when the output is not a terminal.
console = Console(width=max(Console().width, 120))


def say(message: str) -> None:
    console.print(f"[dim]·[/dim] {message}")


def fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(1)


def endpoints_table(endpoints: dict, stack: Stack) -> Table:
    table = Table(title="Ziyang platform (资阳市政府工作平台) — local endpoints")
    table.add_column("component", no_wrap=True)
    table.add_column("endpoint", no_wrap=True)
    table.add_column("notes", overflow="fold")
    kc = endpoints["keycloak"]
    table.add_row("keycloak", kc["url"], f"realm {kc['realm']}; admin console {kc['admin_console']}")
    table.add_row("", "", f"demo users and passwords: {kc['demo_users']}")
    table.add_row(
        "nats",
        endpoints["nats"]["url"],
        f"JetStream; one NKEY user per service, seeds in {endpoints['nats']['credentials']}",
    )
    for name, dsn in endpoints["postgres"].items():
        table.add_row(f"postgres/{name}", dsn, "")
    for name, service in endpoints["services"].items():
        if "http" in service:
            table.add_row(
                name, service["http"], "citizens' portal (pages, JSON API /api, OpenAPI /api/openapi.json)"
            )
        else:
            table.add_row(name, f"grpc {service['grpc']}", "health: SERVING")
    if not endpoints["services"]:
        table.add_row("services", "—", "no service under services/ yet")
    table.caption = f"also in {stack.endpoints_file}; token: python -m deploy.keycloak.iam token mayor"
    return table


@app.command()
def up() -> None:
    """Start everything that is not running; print the endpoints and write .run/endpoints.json."""
    stack = Stack()
    started = time.monotonic()
    try:
        endpoints = stack.up(report=say)
    except PrerequisiteError as missing:
        fail(str(missing))
    except RuntimeError as error:
        fail(f"{error}\nStop what started with 'make down'.")
    console.print(endpoints_table(endpoints, stack))
    console.print(f"[green]Up in {time.monotonic() - started:.0f} s.[/green]")


@app.command()
def down() -> None:
    """Stop everything `up` started (services first). State stays in .run/."""
    Stack().down(report=say)
    console.print("[green]Down.[/green] State kept in .run/.")


@app.command()
def status() -> None:
    """What runs, where."""
    table = Table(title="Ziyang platform — status")
    for column in ("component", "endpoint", "state", "pid"):
        table.add_column(column)
    for name, endpoint, running, pid in Stack().status():
        state = "[green]up[/green]" if running else "[red]down[/red]"
        table.add_row(name, endpoint, state, str(pid or ""))
    console.print(table)
    console.print(
        "[dim]Ports: "
        + ", ".join(f"{env} (default {d})" for env, d in PORTS.values())
        + ", ZGOV_<SERVICE>_GRPC_PORT (org 50051, meetings 50052, ...).[/dim]"
    )


@app.command()
def demo() -> None:
    """Fill the running platform with a month of the city's work (idempotent); print where to look."""
    try:
        platform = demo_month.platform_of_make_up(RUN_DIR)
        report = demo_month.run_demo(platform, RUN_DIR / "demo")
    except demo_month.NotUp as not_up:
        fail(str(not_up))
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.UNAVAILABLE:
            fail(f"a service does not answer ({error.details()}): is the platform up? Run 'make up' first.")
        fail(f"refused: {error.code().name}: {error.details()}")
    for line in report.lines():
        print(line)  # not through rich: its wrapping would break the addresses to copy
    console.print("[green]Demo month made.[/green]" if report.changed else "[green]Nothing changed.[/green]")


@app.command("reset-keycloak")
def reset_keycloak() -> None:
    """Stop everything and forget Keycloak's state: the next `up` imports the realm file afresh.

    The realm file is imported only into an empty Keycloak; this also makes new client secrets and
    demo passwords.
    """
    stack = Stack()
    stack.down(report=say)
    shutil.rmtree(stack.keycloak.state_dir, ignore_errors=True)
    console.print("Keycloak state removed; run 'make up' to import deploy/keycloak/realm-zgov.json again.")


@app.command("fetch-keycloak")
def fetch() -> None:
    """Fetch and unpack the Keycloak distribution into .cache/keycloak (through Maven)."""
    try:
        home = fetch_keycloak()
    except PrerequisiteError as missing:
        fail(str(missing))
    console.print(f"Keycloak is in {home}")


if __name__ == "__main__":
    app()
