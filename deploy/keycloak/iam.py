"""The security office's tool (安全保密管理): assign and revoke positions and organisations.

    python -m deploy.keycloak.iam --as security-officer grant-position vice-mayor-1 executive-vice-mayor
    python -m deploy.keycloak.iam token mayor            # a fresh access token of a demo user
    python -m deploy.keycloak.iam token --service org    # a client-credentials token of a service

The security officer signs in by the device authorization grant of the public client zgov-cli (a
code to confirm in a browser, with the second factor); the realm gives officers no password grant.
`--token` (ZGOV_IAM_TOKEN) takes an access token got otherwise; `--password` is for a local
Keycloak only (`make up`, the tests): a password grant through its local demo-and-test client.

Changes are made with the security officer's own access token through Keycloak's admin
API: Keycloak itself refuses anyone whose position does not carry the user-management
roles (the security-officer realm role holds them as a composite), and this tool refuses
anyone who does not hold the security-officer position before it tries. Every change and
every refusal is appended as one JSON line to the audit log (.run/iam-audit.log).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import typer
from rich.console import Console
from rich.table import Table

from deploy.local.keycloak import CLI_CLIENT, LOCAL_TOKENS_CLIENT, REALM
from deploy.local.stack import RUN_DIR, keycloak_url_default

SECURITY_OFFICER = "security-officer"
# Realm roles every user has; they are not positions.
NOT_POSITIONS = {"offline_access", "uma_authorization", f"default-roles-{REALM}"}

app = typer.Typer(
    help="Assign positions (岗位) and organisations (单位) in realm zgov; print demo tokens.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


class Refused(Exception):
    """The caller may not do this; the message says why."""


@dataclass
class Settings:
    url: str
    realm: str
    username: str | None
    password: str | None
    run_dir: Path
    audit_log: Path
    token: str | None = None

    @property
    def keycloak_state(self) -> Path:
        return self.run_dir / "keycloak"


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(envvar="ZGOV_KEYCLOAK_URL", help="Keycloak base URL.")] = "",
    realm: Annotated[str, typer.Option(envvar="ZGOV_KEYCLOAK_REALM")] = REALM,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as", envvar="ZGOV_IAM_USER", help="Your username (must hold the security-officer position)."
        ),
    ] = None,
    password: Annotated[str | None, typer.Option(envvar="ZGOV_IAM_PASSWORD", help="Your password.")] = None,
    run_dir: Annotated[
        Path, typer.Option(envvar="ZGOV_RUN_DIR", help="State folder of 'make up'.")
    ] = RUN_DIR,
    audit_log: Annotated[Path | None, typer.Option(envvar="ZGOV_IAM_AUDIT_LOG")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="ZGOV_IAM_TOKEN", help="Your access token (else: device sign-in, or --password locally)."
        ),
    ] = None,
) -> None:
    ctx.obj = Settings(
        url=(url or keycloak_url_default(run_dir)).rstrip("/"),
        realm=realm,
        username=as_user,
        password=password,
        run_dir=run_dir,
        audit_log=audit_log or run_dir / "iam-audit.log",
        token=token,
    )


# ---------------------------------------------------------------- helpers


def audit(settings: Settings, action: str, outcome: str, **details: str) -> None:
    """One JSON line per change or refusal: who, what, when."""
    entry = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "who": settings.username,
        "action": action,
        "outcome": outcome,
        "realm": settings.realm,
        "keycloak": settings.url,
        **details,
    }
    settings.audit_log.parent.mkdir(parents=True, exist_ok=True)
    with settings.audit_log.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")


def token_url(settings: Settings) -> str:
    return f"{settings.url}/realms/{settings.realm}/protocol/openid-connect/token"


def password_grant(settings: Settings, username: str, password: str) -> dict:
    """LOCAL ONLY: a token by password through the local demo-and-test client (not in the chart's realm)."""
    response = httpx.post(
        token_url(settings),
        data={
            "grant_type": "password",
            "client_id": LOCAL_TOKENS_CLIENT,
            "scope": "openid",
            "username": username,
            "password": password,
        },
    )
    if response.status_code in (400, 401):
        raise Refused(
            f"Keycloak refused the login of {username!r}: {response.json().get('error_description')}."
        )
    response.raise_for_status()
    return response.json()


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def device_grant(settings: Settings) -> dict:
    """The device authorization grant (RFC 8628): confirm the code in a browser, with the second factor."""
    import time

    base = f"{settings.url}/realms/{settings.realm}/protocol/openid-connect"
    start = httpx.post(f"{base}/auth/device", data={"client_id": CLI_CLIENT, "scope": "openid"})
    if start.status_code != 200:
        raise Refused(f"Keycloak refused the device sign-in: {start.text[:200]}")
    device = start.json()
    typer.echo(
        f"Open {device['verification_uri_complete']} and confirm code {device['user_code']}.", err=True
    )
    interval, deadline = device.get("interval", 5), time.monotonic() + device.get("expires_in", 600)
    while time.monotonic() < deadline:
        time.sleep(interval)
        answer = httpx.post(
            token_url(settings),
            data={"grant_type": DEVICE_GRANT, "client_id": CLI_CLIENT, "device_code": device["device_code"]},
        )
        if answer.status_code == 200:
            return answer.json()
        error = answer.json().get("error")
        if error == "slow_down":
            interval += 5
        elif error != "authorization_pending":
            raise Refused(f"Device sign-in ended: {answer.json().get('error_description') or error}.")
    raise Refused("Device sign-in timed out: the code was not confirmed in time.")


def sign_in(settings: Settings) -> dict:
    """The security officer's own token: given, by device sign-in, or by password on a local Keycloak."""
    if settings.token:
        return {"access_token": settings.token}
    if settings.password:
        if not settings.username:
            raise Refused("Say who you are: --as USERNAME (or ZGOV_IAM_USER).")
        return password_grant(settings, settings.username, settings.password)
    return device_grant(settings)


def security_officer_admin(settings: Settings):
    """An admin API client acting with the security officer's own token; refuses anyone else."""
    from keycloak import KeycloakAdmin

    token = sign_in(settings)
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    # Who signed in is what the token says, whatever --as claimed.
    settings.username = claims.get("preferred_username") or settings.username
    if SECURITY_OFFICER not in claims.get("realm_access", {}).get("roles", []):
        raise Refused(
            f"{settings.username!r} does not hold the security-officer position (安全保密管理员);"
            " only the security officer may change positions and organisations."
        )
    return KeycloakAdmin(
        server_url=settings.url,
        realm_name=settings.realm,
        user_realm_name=settings.realm,
        client_id=claims.get("azp") or CLI_CLIENT,
        token=token,
    )


def positions_of(admin, user_id: str) -> list[str]:
    return sorted(r["name"] for r in admin.get_realm_roles_of_user(user_id) if r["name"] not in NOT_POSITIONS)


def organisations_of(admin, user_id: str) -> list[str]:
    return sorted(g["name"] for g in admin.get_user_groups(user_id, brief_representation=True))


def find_user(admin, username: str) -> dict:
    matches = [u for u in admin.get_users({"username": username, "exact": True}) if u["username"] == username]
    if not matches:
        raise Refused(f"No user {username!r} in realm {admin.connection.realm_name}.")
    return matches[0]


def all_positions(admin) -> list[str]:
    return sorted(
        r["name"] for r in admin.get_realm_roles(brief_representation=True) if r["name"] not in NOT_POSITIONS
    )


def full_name(user: dict) -> str:
    # Chinese order: family name (lastName) first.
    return f"{user.get('lastName', '')}{user.get('firstName', '')}"


def run_change(ctx: typer.Context, action: str, details: dict, change) -> None:
    """Log in as the security officer, make the change, log it; refusals are logged too."""
    settings: Settings = ctx.obj
    try:
        admin = security_officer_admin(settings)
        message = change(admin)
    except Refused as refused:
        audit(settings, action, "refused", reason=str(refused), **details)
        console.print(f"[red]Refused:[/red] {refused}")
        raise typer.Exit(1) from None
    except Exception as error:  # Keycloak's own refusal (403) or a failure: logged, then reported
        audit(settings, action, "failed", reason=str(error), **details)
        console.print(f"[red]Failed:[/red] {error}")
        raise typer.Exit(1) from None
    # A change to a leader that waits for a second officer was requested, not done.
    audit(settings, action, "requested" if "four_eyes_request" in details else "done", **details)
    console.print(f"[green]{message}[/green]")


def read_only(ctx: typer.Context, show):
    settings: Settings = ctx.obj
    try:
        show(security_officer_admin(settings))
    except Refused as refused:
        console.print(f"[red]Refused:[/red] {refused}")
        raise typer.Exit(1) from None


# ---------------------------------------------------------------- commands


@app.command("grant-position")
def grant_position(ctx: typer.Context, username: str, position: str) -> None:
    """Give USER the POSITION (a realm role such as vice-mayor); a leader's waits for a second officer."""
    from deploy.keycloak import four_eyes, security_office

    details = {"user": username, "position": position}
    run_change(
        ctx,
        "grant-position",
        details,
        lambda admin: security_office.position_change(
            admin, ctx.obj.username, four_eyes.GRANT, username, position, details
        ),
    )


@app.command("revoke-position")
def revoke_position(ctx: typer.Context, username: str, position: str) -> None:
    """Take POSITION away from USER; a leader's waits for a second officer."""
    from deploy.keycloak import four_eyes, security_office

    details = {"user": username, "position": position}
    run_change(
        ctx,
        "revoke-position",
        details,
        lambda admin: security_office.position_change(
            admin, ctx.obj.username, four_eyes.REVOKE, username, position, details
        ),
    )


@app.command("set-organisation")
def set_organisation(ctx: typer.Context, username: str, organisation: str) -> None:
    """Make ORGANISATION (a group code such as education-bureau) USER's only organisation."""

    def change(admin):
        groups = {g["name"]: g["id"] for g in admin.get_groups({"briefRepresentation": True, "max": 1000})}
        if organisation not in groups:
            raise Refused(f"Unknown organisation {organisation!r}; known: {', '.join(sorted(groups))}.")
        user = find_user(admin, username)
        for current in admin.get_user_groups(user["id"], brief_representation=True):
            if current["name"] != organisation:
                admin.group_user_remove(user["id"], current["id"])
        admin.group_user_add(user["id"], groups[organisation])
        return f"{username} now belongs to {organisation}"

    run_change(ctx, "set-organisation", {"user": username, "organisation": organisation}, change)


@app.command("list-users")
def list_users(ctx: typer.Context) -> None:
    """Every user with positions and organisation."""

    def show(admin):
        table = Table("username", "name", "positions", "organisation", title=f"realm {ctx.obj.realm}")
        for user in sorted(admin.get_users({"max": 10000}), key=lambda u: u["username"]):
            if user.get("serviceAccountClientLink"):  # a client's service account, not a person
                continue
            table.add_row(
                user["username"],
                full_name(user),
                ", ".join(positions_of(admin, user["id"])),
                ", ".join(organisations_of(admin, user["id"])),
            )
        console.print(table)

    read_only(ctx, show)


@app.command()
def show(ctx: typer.Context, username: str) -> None:
    """One user's positions and organisation."""

    def show_one(admin):
        user = find_user(admin, username)
        table = Table(show_header=False, title=username)
        table.add_row("name", full_name(user))
        table.add_row("enabled", str(user.get("enabled")))
        table.add_row("positions", ", ".join(positions_of(admin, user["id"])))
        table.add_row("organisation", ", ".join(organisations_of(admin, user["id"])))
        console.print(table)

    read_only(ctx, show_one)


@app.command()
def token(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Argument(help="A demo user (see .run/keycloak/demo-users.json).")
    ] = None,
    service: Annotated[str | None, typer.Option(help="A service client: client-credentials token.")] = None,
) -> None:
    """Print a fresh access token: of a demo user, or of a service (--service org)."""
    settings: Settings = ctx.obj
    try:
        if service:
            secrets = json.loads((settings.keycloak_state / "secrets.json").read_text())
            response = httpx.post(
                token_url(settings),
                data={
                    "grant_type": "client_credentials",
                    "client_id": service,
                    "client_secret": secrets[service],
                },
            )
            response.raise_for_status()
            access = response.json()["access_token"]
        elif username:
            users = json.loads((settings.keycloak_state / "demo-users.json").read_text())
            if username not in users:
                raise Refused(f"{username!r} is not a demo user; demo users: {', '.join(users)}.")
            access = password_grant(settings, username, users[username]["password"])["access_token"]
        else:
            raise Refused("Name a demo user or --service CLIENT.")
    except (Refused, KeyError, FileNotFoundError, httpx.HTTPError) as error:
        typer.echo(f"Cannot make a token: {error}", err=True)
        raise typer.Exit(1) from None
    # Bare token on stdout so that `$(python -m deploy.keycloak.iam token mayor)` works.
    typer.echo(access)


if __name__ == "__main__":
    # The security office's commands (onboard, offboard, four eyes, access review) live beside.
    from deploy.keycloak.security_office import app as security_office_app

    security_office_app()
