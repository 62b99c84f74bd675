"""The platform `make up` started, as the demo reaches it (.run/endpoints.json, the demo users' passwords)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from deploy.keycloak import iam
from deploy.local.demo.calls import SERVICES, Platform


class NotUp(Exception):
    """The platform `make up` starts is not running (or not reachable): what to do is in the message."""


def platform_of_make_up(run_dir: Path) -> Platform:
    """The platform of `make up`: addresses from .run/endpoints.json, tokens by password (the local
    demo-and-test client of deploy/keycloak/iam.py) from .run/keycloak/demo-users.json."""
    endpoints_file = run_dir / "endpoints.json"
    if not endpoints_file.exists():
        raise NotUp(f"{endpoints_file} is missing: start the platform with 'make up' first.")
    endpoints = json.loads(endpoints_file.read_text())
    services = endpoints.get("services", {})
    missing = sorted({name for name in SERVICES.values() if "grpc" not in services.get(name, {})})
    if missing:
        raise NotUp(f"no {', '.join(missing)} in {endpoints_file}: run 'make up' (it starts every service).")
    users = json.loads(Path(endpoints["keycloak"]["demo_users"]).read_text())
    settings = iam.Settings(
        url=endpoints["keycloak"]["url"].rstrip("/"),
        realm=endpoints["keycloak"]["realm"],
        username=None,
        password=None,
        run_dir=run_dir,
        audit_log=run_dir / "iam-audit.log",
    )
    tokens: dict[str, str] = {}

    def token_for(username: str) -> str:
        if username not in tokens:
            try:
                tokens[username] = iam.password_grant(settings, username, users[username]["password"])[
                    "access_token"
                ]
            except httpx.HTTPError as error:
                raise NotUp(
                    f"Keycloak at {settings.url} does not answer ({error}): is 'make up' running?"
                ) from error
        return tokens[username]

    portal = services.get("portal", {}).get("http", "")
    return Platform(lambda service: services[SERVICES[service]]["grpc"], token_for, portal_url=portal)
