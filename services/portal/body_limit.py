"""Every request body is capped before it is read (请求体上限): 413 with a clear message.

An ASGI middleware in front of every route, forms and JSON alike: a request whose Content-Length
says more than its route's limit is answered 413 without reading a byte; one without a length
(chunked) or lying about it is counted as it arrives and answered 413 as soon as it passes the
limit, whatever the route would have answered. The two routes that take files (the petition form
and POST /api/petitions) cap their bodies themselves, with their own larger limits and answers
(uploads.read_form, petitions_api.CappedRoute); everything else gets `DEFAULT_BODY_BYTES`.
"""

from __future__ import annotations

import json

from services.portal import petitions_api, uploads

KIB = 1024
# The longest text a form or JSON body of the portal carries is a petition's 20 000 characters,
# which a form sends percent-encoded (9 bytes a Chinese character): 180 KB, plus the other fields.
DEFAULT_BODY_BYTES = 256 * KIB
# Routes that read their body through their own cap (see the module docstring): (method, path) → limit.
SELF_CAPPED = {
    ("POST", "/petitions/new"): uploads.MAX_BODY_BYTES,
    ("POST", "/api/petitions"): petitions_api.MAX_JSON_BYTES,
}


class _TooLarge(Exception):
    pass


def too_large_message(limit: int) -> str:
    return f"提交的内容过大：此处最多接受 {limit // KIB} KB。请删减后重新提交。"


class BodyLimit:
    """ASGI middleware: 413 for a body over its route's limit, before the route reads it."""

    def __init__(self, app, default: int = DEFAULT_BODY_BYTES):
        self.app = app
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self_capped = SELF_CAPPED.get((scope["method"], scope["path"]))
        # A self-capped route answers its own 413 below its limit; this one is the backstop above it.
        limit = self_capped + KIB if self_capped else self.default
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(scope, send, limit)
        state = {"seen": 0, "over": False, "started": False}

        async def counted_receive():
            message = await receive()
            if message.get("type") == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["over"] = True
                    raise _TooLarge()
            return message

        async def guarded_send(message):
            if state["over"]:
                return  # whatever the route answers to a body cut short is replaced by the 413
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        if state["over"] and not state["started"]:
            await _refuse(scope, send, limit)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(scope, send, limit: int) -> None:
    message = too_large_message(limit)
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": message, "fields": []}, ensure_ascii=False).encode()
        kind = b"application/json"
    else:
        body = (
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>提交的内容过大</title>'
            f'<h1>提交的内容过大</h1><p>{message}</p><p><a href="/">返回首页</a></p></html>'
        ).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
