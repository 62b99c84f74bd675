"""Citizens' login through Keycloak: the authorization-code flow with PKCE, done by the server.

The portal is a confidential client (`portal`): the browser only ever sees the authorization
code, which the server exchanges (with its client secret and the PKCE verifier) for tokens. The
tokens stay in the server's memory under the visitor's id (security.COOKIE); the cookie carries
the id only. A login rotates the visitor id (no session fixation). Calls for a logged-in citizen
forward the citizen's access token, refreshed shortly before it expires.

Sessions and logins in progress are rows of the portal's PostgreSQL (store.py), so any replica
serves any request; `Sessions` below is the in-process form for a portal without a database
(development). Times are wall-clock seconds: replicas compare each other's.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import jwt

from shared.logging import get_logger
from shared.https import trust

log = get_logger(__name__)
# A new access token is fetched this long before the old one expires.
REFRESH_MARGIN = 30.0
# A login must come back from Keycloak within this long.
LOGIN_TIMEOUT = 600.0


@dataclass
class CitizenSession:
    user_id: str
    display_name: str
    access_token: str
    access_expires: float
    refresh_token: str
    id_token: str
    last_seen: float = field(default_factory=time.time)


@dataclass
class PendingLogin:
    state: str
    nonce: str
    verifier: str
    return_to: str
    started: float = field(default_factory=time.time)


class LoginFailed(Exception):
    """The code could not be exchanged, or the ID token did not check out."""


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def safe_return_path(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect through the login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 300:
        return "/"
    return value


class Sessions:
    """Logged-in citizens and logins in progress, by visitor id; bounded and expiring."""

    def __init__(self, idle_seconds: float, max_sessions: int = 50_000):
        self.idle_seconds = idle_seconds
        self.max_sessions = max_sessions
        self._citizens: dict[str, CitizenSession] = {}
        self._pending: dict[str, PendingLogin] = {}

    def citizen(self, sid: str | None) -> CitizenSession | None:
        session = self._citizens.get(sid) if sid else None
        if session is None:
            return None
        now = time.time()
        if now - session.last_seen > self.idle_seconds:
            del self._citizens[sid]
            return None
        session.last_seen = now
        return session

    def keep(self, sid: str, session: CitizenSession) -> None:
        if len(self._citizens) >= self.max_sessions:
            self._sweep()
        self._citizens[sid] = session

    def end(self, sid: str | None) -> CitizenSession | None:
        return self._citizens.pop(sid, None) if sid else None

    def start_login(self, sid: str, login: PendingLogin) -> None:
        if len(self._pending) >= self.max_sessions:
            now = time.time()
            for key in [k for k, p in self._pending.items() if now - p.started > LOGIN_TIMEOUT]:
                del self._pending[key]
            if len(self._pending) >= self.max_sessions:
                self._pending.clear()
        self._pending[sid] = login

    def finish_login(self, sid: str | None) -> PendingLogin | None:
        login = self._pending.pop(sid, None) if sid else None
        if login is None or time.time() - login.started > LOGIN_TIMEOUT:
            return None
        return login

    def _sweep(self) -> None:
        now = time.time()
        for key in [k for k, s in self._citizens.items() if now - s.last_seen > self.idle_seconds]:
            del self._citizens[key]
        if len(self._citizens) >= self.max_sessions:  # still full: the least recently seen go
            for key in sorted(self._citizens, key=lambda k: self._citizens[k].last_seen)[
                : self.max_sessions // 10
            ]:
                del self._citizens[key]


class KeycloakLogin:
    """The OpenID Connect endpoints of the realm, for the `portal` client."""

    def __init__(
        self,
        keycloak_url: str,
        browser_keycloak_url: str,
        realm: str,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        issuer_url: str = "",
    ):
        # `iss` names the public URL; tokens and keys are fetched over the back channel (keycloak_url)
        self.issuer = f"{issuer_url or keycloak_url}/realms/{realm}"
        self.browser_base = f"{browser_keycloak_url}/realms/{realm}/protocol/openid-connect"
        self.back_base = f"{keycloak_url}/realms/{realm}/protocol/openid-connect"
        self.client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_at = 0.0

    def authorize_url(self, redirect_uri: str, login: PendingLogin, challenge: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": redirect_uri,
                "state": login.state,
                "nonce": login.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "ui_locales": "zh-CN",
            }
        )
        return f"{self.browser_base}/auth?{query}"

    def registration_url(self, redirect_uri: str, login: PendingLogin, challenge: str) -> str:
        return self.authorize_url(redirect_uri, login, challenge).replace("/auth?", "/registrations?", 1)

    def logout_url(self, id_token: str, redirect_uri: str) -> str:
        query = urlencode(
            {"client_id": self.client_id, "id_token_hint": id_token, "post_logout_redirect_uri": redirect_uri}
        )
        return f"{self.browser_base}/logout?{query}"

    async def exchange(self, code: str, verifier: str, redirect_uri: str, nonce: str) -> CitizenSession:
        body = await self._token_call(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )
        claims = await self.verify_id_token(body.get("id_token", ""), nonce)
        return self._session(body, claims)

    async def refresh(self, session: CitizenSession) -> CitizenSession:
        body = await self._token_call({"grant_type": "refresh_token", "refresh_token": session.refresh_token})
        claims = await self.verify_id_token(body.get("id_token", ""), None) if body.get("id_token") else None
        fresh = self._session(body, claims) if claims else None
        if fresh is None:
            session.access_token = body["access_token"]
            session.access_expires = time.time() + float(body.get("expires_in") or 60)
            session.refresh_token = body.get("refresh_token", session.refresh_token)
            return session
        return fresh

    async def fresh_token(self, session: CitizenSession) -> str:
        if time.time() < session.access_expires - REFRESH_MARGIN:
            return session.access_token
        refreshed = await self.refresh(session)
        session.__dict__.update(refreshed.__dict__)
        return session.access_token

    def _session(self, body: dict, claims: dict) -> CitizenSession:
        family, given = claims.get("family_name") or "", claims.get("given_name") or ""
        name = (
            f"{family}{given}"
            if family and given
            else claims.get("name") or claims.get("preferred_username", "")
        )
        return CitizenSession(
            user_id=claims["sub"],
            display_name=name,
            access_token=body["access_token"],
            access_expires=time.time() + float(body.get("expires_in") or 60),
            refresh_token=body.get("refresh_token", ""),
            id_token=body.get("id_token", ""),
        )

    async def _token_call(self, form: dict) -> dict:
        form = {**form, "client_id": self.client_id, "client_secret": self._secret}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, verify=trust()) as http:
                response = await http.post(f"{self.back_base}/token", data=form)
        except httpx.HTTPError as exc:
            raise LoginFailed(f"token endpoint unreachable: {exc}") from exc
        if response.status_code != 200:
            # The error code only: the body may echo the code or tokens.
            raise LoginFailed(f"token endpoint answered {response.status_code}")
        return response.json()

    async def verify_id_token(self, id_token: str, nonce: str | None) -> dict:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise LoginFailed("malformed ID token") from exc
        key = await self._key(header.get("kid", ""))
        try:
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=10,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise LoginFailed(f"ID token refused: {type(exc).__name__}") from exc
        if nonce is not None and claims.get("nonce") != nonce:
            raise LoginFailed("ID token nonce differs")
        return claims

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys and time.time() - self._keys_at > 30:
            self._keys_at = time.time()
            try:
                async with httpx.AsyncClient(timeout=self._timeout, verify=trust()) as http:
                    jwks = (await http.get(f"{self.back_base}/certs")).json()
            except (httpx.HTTPError, ValueError) as exc:
                raise LoginFailed("key set unavailable") from exc
            self._keys = {
                k["kid"]: jwt.PyJWK(k)
                for k in jwks.get("keys", [])
                if k.get("use", "sig") == "sig" and k.get("alg", "RS256") == "RS256"
            }
        if kid not in self._keys:
            raise LoginFailed("unknown signing key")
        return self._keys[kid]
