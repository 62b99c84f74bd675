"""Serving subscribable calendar feeds over HTTP (`GET /calendar/<secret>.ics`), for every service that
has them (meetings' leaders' calendars, supervision's deadlines).

Calendar apps (Outlook, the phone's calendar, WPS) subscribe to a URL and poll it without logging in,
so they cannot go through gRPC and Keycloak: the address itself is the credential
(shared/ical.new_feed_secret). Consequences handled here:
- the secret never reaches a log: uvicorn's access log is off and the services' own lines name the
  person, not the address;
- an unknown or revoked address answers 404 with nothing that tells whether it ever existed;
- a feed's body is rendered with the subscription's issue time as DTSTAMP, so the same content gives
  the same bytes and the ETag lets pollers get a cheap 304 (`ics_response`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI, Request, Response

from shared.grpc_server import PortTaken

# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
NOT_FOUND = "该日历订阅地址无效或已撤销。请在政务平台重新获取订阅地址。\n"


def not_found() -> Response:
    return Response(NOT_FOUND, status_code=404, media_type="text/plain; charset=utf-8")


def ics_response(body: bytes, request: Request) -> Response:
    """The calendar with its ETag; 304 when the poller has these bytes already."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        # Personal data: no shared cache may keep it; apps re-poll every few minutes anyway.
        "Cache-Control": "private, max-age=300",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside a process whose signals belong to the gRPC server (it drains on SIGTERM
    and then cancels this task); uvicorn must not take SIGTERM and SIGINT over."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class FeedServer:
    """uvicorn on a socket bound at construction, so the port (0: any free one) and with it
    the feed addresses are known before the service starts serving."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            raise PortTaken(
                f"calendar feeds cannot listen on {host}:{port}: the port is taken;"
                " stop what uses it or set ZGOV_HTTP_PORT to a free port"
            ) from exc
        self.host = host
        self.port = self.socket.getsockname()[1]
        self.server = _EmbeddedUvicorn(
            uvicorn.Config(app, access_log=False, log_config=None, lifespan="off", server_header=False)
        )

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def run(self) -> None:
        """Serve until cancelled (a GrpcServer background task, cancelled on drain); then
        let uvicorn finish the requests in flight before the task ends."""
        serving = asyncio.create_task(self.server.serve(sockets=[self.socket]))
        try:
            await asyncio.shield(serving)
        except asyncio.CancelledError:
            self.server.should_exit = True
            await asyncio.wait_for(serving, timeout=10)
            raise

    def close(self) -> None:
        self.socket.close()
