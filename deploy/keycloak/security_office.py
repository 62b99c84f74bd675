"""The security office's CLI (安全保密管理): a person's whole life in realm zgov.

    python -m deploy.keycloak.security_office onboard wang.jianguo --last-name 王 --first-name 建国 \\
        --email wang@ziyang.example --position office-staff --organisation general-office
    python -m deploy.keycloak.security_office move wang.jianguo --organisation education-bureau \\
        --position department-head --from-position office-staff
    python -m deploy.keycloak.security_office offboard wang.jianguo
    python -m deploy.keycloak.security_office access-review --permission document:sign   # CSV
    python -m deploy.keycloak.security_office requests | approve ID | reject ID
    python -m deploy.keycloak.security_office reset-credentials vice-mayor-1
    python -m deploy.keycloak.security_office security-key wang.jianguo --required   # or --not-required

Onboarding sets a one-time password (shown once) and requires the person to enrol the second
factor (TOTP) and choose a password at first sign-in. An officer signs in with TOTP or a security
key (WebAuthn), whichever they have; `security-key --required` makes a key the only second factor
of one person (a position: give its role the composite `zgov-cli.security-key`). A lost phone or
key: `reset-credentials` removes every second factor (TOTP and keys), sets a one-time password and
ends the person's sessions; at the next sign-in they enrol again (a key if one is required of them). Offboarding disables the account and ends
its sessions at once; its positions and organisation stay on the record. Changes to the city's
leaders wait for a second security officer (deploy/keycloak/four_eyes.py). Every command of
deploy/keycloak/iam.py (grant-position, revoke-position, set-organisation, list-users, show,
token) is here too; every change and refusal is a line of the audit log, and Keycloak's admin
events reach org's audit record.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path
from typing import Annotated

import typer

from deploy.keycloak import four_eyes, iam, usernames
from deploy.keycloak.iam import Refused, find_user, positions_of, run_change
from deploy.local.keycloak import CLI_CLIENT, SERVICE_CLIENTS

app = iam.app
console = iam.console
# Required at first sign-in of a person the office onboards, or whose credentials it resets.
FIRST_SIGN_IN = ["CONFIGURE_TOTP", "UPDATE_PASSWORD"]
# ... of one who must use a security key (WebAuthn): the realm's browser flow asks them no TOTP.
FIRST_SIGN_IN_WITH_A_KEY = ["webauthn-register", "UPDATE_PASSWORD"]
# The client role of the CLI client marking who signs in with a security key only (realm-zgov.json).
SECURITY_KEY_MARKER = "security-key"
# Keycloak's credential types of a second factor: TOTP authenticators and security keys.
SECOND_FACTORS = ("otp", "webauthn")


def one_time_password() -> str:
    """Shown once to the officer, changed by the person at first sign-in; meets the realm's policy."""
    return f"{secrets.token_urlsafe(12)}Zq7"


def groups_by_name(admin) -> dict[str, str]:
    return {g["name"]: g["id"] for g in admin.get_groups({"briefRepresentation": True, "max": 1000})}


def set_attribute(admin, user_id: str, name: str, value: str | None) -> None:
    """One attribute of a user set (or removed with None), the rest of its representation kept."""
    user = admin.get_user(user_id)
    attributes = dict(user.get("attributes") or {})
    if value is None:
        attributes.pop(name, None)
    else:
        attributes[name] = [value]
    admin.update_user(user_id, {**user, "attributes": attributes})


def end_sessions(admin, user_id: str) -> None:
    admin.user_logout(user_id)


# ---------------------------------------------------------------- four eyes


def position_change(admin, officer: str, action: str, username: str, position: str, details: dict) -> str:
    """Grant or revoke a position: at once, or as a request when four eyes are needed (its id goes
    into the audit line's `details`)."""
    if position not in iam.all_positions(admin):
        raise Refused(f"Unknown position {position!r}; known: {', '.join(iam.all_positions(admin))}.")
    user = find_user(admin, username)
    held = set(positions_of(admin, user["id"]))
    if action == four_eyes.REVOKE and position not in held:
        raise Refused(f"{username} does not hold {position}.")
    if four_eyes.needs_second_officer(action, position, held):
        return file_request(
            admin, four_eyes.Request.new(action, username, position, officer), user["id"], details
        )
    return apply(admin, four_eyes.Request.new(action, username, position, officer))


def file_request(admin, request: four_eyes.Request, user_id: str, details: dict) -> str:
    set_attribute(admin, user_id, request.attribute, request.to_json())
    details["four_eyes_request"] = request.id
    return (
        f"Request {request.id} filed ({request.action} {request.username} {request.position}):"
        f" a second security officer approves it with 'approve {request.id}'."
    )


def apply(admin, request: four_eyes.Request) -> str:
    user = find_user(admin, request.username)
    if request.action == four_eyes.GRANT:
        admin.assign_realm_roles(user["id"], [admin.get_realm_role(request.position)])
        return (
            f"{request.username} now holds {request.position}: {', '.join(positions_of(admin, user['id']))}"
        )
    if request.action == four_eyes.REVOKE:
        admin.delete_realm_roles_of_user(user["id"], [admin.get_realm_role(request.position)])
        return f"{request.username} no longer holds {request.position}"
    if request.action == four_eyes.RESET:
        return reset(admin, user)
    raise Refused(f"Unknown request action {request.action!r}.")


def must_use_a_security_key(admin, user_id: str) -> bool:
    """The marker held by the person or through a position's composite."""
    cli = admin.get_client_id(CLI_CLIENT)
    return any(
        r["name"] == SECURITY_KEY_MARKER
        for r in admin.get_composite_client_roles_of_user(user_id, cli, brief_representation=True)
    )


def reset(admin, user: dict) -> str:
    """New one-time password, every second factor (TOTP, security keys: a lost phone or key) removed
    and to be enrolled again, sessions ended."""
    for credential in admin.get_credentials(user["id"]):
        if credential["type"] in SECOND_FACTORS:
            admin.delete_credential(user["id"], credential["id"])
    password = one_time_password()
    admin.set_user_password(user["id"], password, temporary=True)
    first = FIRST_SIGN_IN_WITH_A_KEY if must_use_a_security_key(admin, user["id"]) else FIRST_SIGN_IN
    admin.update_user(user["id"], {**admin.get_user(user["id"]), "requiredActions": first})
    end_sessions(admin, user["id"])
    return f"{user['username']}'s credentials reset; one-time password (give it in person): {password}"


def pending(admin) -> list[tuple[four_eyes.Request, str]]:
    """Every pending request with the id of the user it concerns."""
    found = []
    for user in admin.get_users({"max": 10000, "briefRepresentation": False}):
        found += [(r, user["id"]) for r in four_eyes.requests_of(user)]
    return sorted(found, key=lambda pair: pair[0].requested_at)


def pending_by_id(admin, request_id: str) -> tuple[four_eyes.Request, str]:
    for request, user_id in pending(admin):
        if request.id == request_id:
            return request, user_id
    raise Refused(f"No pending request {request_id!r}.")


@app.command("requests")
def list_requests(ctx: typer.Context) -> None:
    """The changes to leaders waiting for a second security officer."""

    def show(admin):
        for request, _ in pending(admin):
            console.print(
                f"{request.id}  {request.action} {request.username} {request.position}"
                f"  (filed by {request.requested_by} at {request.requested_at})"
            )

    iam.read_only(ctx, show)


@app.command()
def approve(ctx: typer.Context, request_id: str) -> None:
    """Approve and apply a request filed by another security officer."""
    details = {"request": request_id}

    def change(admin):
        request, user_id = pending_by_id(admin, request_id)
        details.update(
            requested_by=request.requested_by,
            request_action=request.action,
            user=request.username,
            position=request.position,
        )
        try:
            request.check_approver(ctx.obj.username)
        except four_eyes.SameOfficer as refused:
            raise Refused(str(refused)) from None
        message = apply(admin, request)
        set_attribute(admin, user_id, request.attribute, None)
        return f"Approved {request.id} (filed by {request.requested_by}): {message}"

    run_change(ctx, "approve", details, change)


@app.command()
def reject(ctx: typer.Context, request_id: str) -> None:
    """Withdraw or refuse a pending request (nothing is applied)."""

    def change(admin):
        request, user_id = pending_by_id(admin, request_id)
        set_attribute(admin, user_id, request.attribute, None)
        return f"Request {request.id} ({request.action} {request.username} {request.position}) rejected."

    run_change(ctx, "reject", {"request": request_id}, change)


@app.command("reset-credentials")
def reset_credentials(ctx: typer.Context, username: str) -> None:
    """New one-time password and second factor for USER (a leader's: needs a second officer)."""
    details = {"user": username}

    def change(admin):
        user = find_user(admin, username)
        held = set(positions_of(admin, user["id"]))
        request = four_eyes.Request.new(four_eyes.RESET, username, "", ctx.obj.username)
        if four_eyes.needs_second_officer(four_eyes.RESET, None, held):
            return file_request(admin, request, user["id"], details)
        return reset(admin, user)

    run_change(ctx, "reset-credentials", details, change)


@app.command("security-key")
def security_key(
    ctx: typer.Context,
    username: str,
    required: Annotated[
        bool,
        typer.Option("--required/--not-required", help="A key as USER's only second factor, or no longer."),
    ] = True,
) -> None:
    """Require USER to sign in with a security key (WebAuthn) instead of TOTP, or no longer."""
    details = {"user": username, "required": required}

    def change(admin):
        user = find_user(admin, username)
        cli = admin.get_client_id(CLI_CLIENT)
        marker = [admin.get_client_role(cli, SECURITY_KEY_MARKER)]
        if required:
            admin.assign_client_role(user["id"], cli, marker)
            return f"{username} signs in with a security key from the next sign-in (registers one if none)."
        admin.delete_client_roles_of_user(user["id"], cli, marker)
        if must_use_a_security_key(admin, user["id"]):
            return f"{username} still must use a security key: a position of theirs requires it."
        return f"{username} signs in with TOTP or a security key, whichever they have."

    run_change(ctx, "security-key", details, change)


# ---------------------------------------------------------------- a person's life


@app.command()
def onboard(
    ctx: typer.Context,
    username: str,
    last_name: Annotated[str, typer.Option(help="Family name (姓).")],
    first_name: Annotated[str, typer.Option(help="Given name (名).")],
    email: Annotated[str, typer.Option()],
    position: Annotated[str, typer.Option(help="A position (realm role), e.g. office-staff.")],
    organisation: Annotated[str, typer.Option(help="An organisation (group), e.g. general-office.")],
) -> None:
    """A new person: account, organisation, position; TOTP and own password at first sign-in."""
    details = {"user": username, "position": position, "organisation": organisation}

    def change(admin):
        reason = usernames.refusal(username, (c["clientId"] for c in admin.get_clients()))
        if reason:
            raise Refused(reason.capitalize() + ".")
        groups = groups_by_name(admin)
        if organisation not in groups:
            raise Refused(f"Unknown organisation {organisation!r}; known: {', '.join(sorted(groups))}.")
        if position not in iam.all_positions(admin):
            raise Refused(f"Unknown position {position!r}; known: {', '.join(iam.all_positions(admin))}.")
        password = one_time_password()
        user_id = admin.create_user(
            {
                "username": username,
                "enabled": True,
                "firstName": first_name,
                "lastName": last_name,
                "email": email,
                "emailVerified": True,
                "requiredActions": FIRST_SIGN_IN,
                "credentials": [{"type": "password", "value": password, "temporary": True}],
            },
            exist_ok=False,
        )
        admin.group_user_add(user_id, groups[organisation])
        placed = position_change(admin, ctx.obj.username, four_eyes.GRANT, username, position, details)
        return (
            f"{username} onboarded in {organisation}. {placed} One-time password (give it in person):"
            f" {password}"
        )

    run_change(ctx, "onboard", details, change)


@app.command()
def move(
    ctx: typer.Context,
    username: str,
    organisation: Annotated[str | None, typer.Option(help="The new organisation.")] = None,
    position: Annotated[str | None, typer.Option(help="The new position.")] = None,
    from_position: Annotated[str | None, typer.Option(help="The position left.")] = None,
) -> None:
    """Another organisation and/or position (leaders' positions: a request for a second officer)."""
    details = {
        "user": username,
        "organisation": organisation or "",
        "position": position or "",
        "from_position": from_position or "",
    }

    def change(admin):
        messages = []
        if organisation:
            groups = groups_by_name(admin)
            if organisation not in groups:
                raise Refused(f"Unknown organisation {organisation!r}.")
            user = find_user(admin, username)
            for current in admin.get_user_groups(user["id"], brief_representation=True):
                if current["name"] != organisation:
                    admin.group_user_remove(user["id"], current["id"])
            admin.group_user_add(user["id"], groups[organisation])
            messages.append(f"{username} now belongs to {organisation}.")
        if position:
            messages.append(
                position_change(admin, ctx.obj.username, four_eyes.GRANT, username, position, details)
            )
        if from_position:
            messages.append(
                position_change(admin, ctx.obj.username, four_eyes.REVOKE, username, from_position, details)
            )
        if not messages:
            raise Refused("Say what moves: --organisation, --position and/or --from-position.")
        return " ".join(messages)

    run_change(ctx, "move", details, change)


@app.command()
def offboard(ctx: typer.Context, username: str) -> None:
    """Disable USER and end its sessions now; positions and organisation stay on the record."""

    def change(admin):
        user = find_user(admin, username)
        kept = positions_of(admin, user["id"])
        admin.update_user(user["id"], {**admin.get_user(user["id"]), "enabled": False})
        end_sessions(admin, user["id"])
        return f"{username} offboarded: disabled, sessions ended; positions kept on record: {', '.join(kept) or 'none'}"

    run_change(ctx, "offboard", {"user": username}, change)


# ---------------------------------------------------------------- access review

REVIEW_COLUMNS = ("api", "permission", "position", "username", "name", "organisation")


def review_rows(admin, permission: str | None = None) -> list[tuple[str, ...]]:
    """For each permission of each API: who holds it today, through which position (enabled people)."""
    apis = {c["id"]: c["clientId"] for c in admin.get_clients() if c["clientId"] in SERVICE_CLIENTS}
    rows = []
    for position in iam.all_positions(admin):
        composites = admin.connection.raw_get(
            f"admin/realms/{admin.connection.realm_name}/roles/{position}/composites"
        ).json()
        granted = [
            (apis[r["containerId"]], r["name"])
            for r in composites
            if r.get("clientRole") and r.get("containerId") in apis
        ]
        granted = [(api, p) for api, p in granted if permission in (None, p, f"{api}:{p}")]
        if not granted:
            continue
        holders = [
            u
            for u in admin.get_realm_role_members(position, {"briefRepresentation": "false"})
            if u.get("enabled", True) and not u.get("serviceAccountClientLink")
        ]
        for user in holders:
            organisation = ", ".join(iam.organisations_of(admin, user["id"]))
            rows += [
                (api, p, position, user["username"], iam.full_name(user), organisation) for api, p in granted
            ]
    return sorted(rows)


@app.command("access-review")
def access_review(
    ctx: typer.Context,
    permission: Annotated[
        str | None, typer.Option(help="Only this permission, e.g. document:sign or documents:document:sign.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the CSV here instead of standard output.")
    ] = None,
) -> None:
    """CSV: for each permission, who holds it and through which position ("who can sign today?")."""

    def show(admin):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REVIEW_COLUMNS)
        writer.writerows(review_rows(admin, permission))
        if output:
            output.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            typer.echo(buffer.getvalue(), nl=False)

    iam.read_only(ctx, show)


if __name__ == "__main__":
    app()
