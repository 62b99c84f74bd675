"""The portal bench's limit: uvicorn with the portal's options (one worker, no access log, no server
header) serving an ASGI app that answers every request with a fixed 3-byte body — no middleware,
no route, no template. What vegeta and one uvicorn worker reach together on this machine; no page of
the portal can be served faster.

    python -m tests.bench.bare_uvicorn PORT
"""

from __future__ import annotations

import sys

import uvicorn

BODY = b"ok\n"
HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start or stop
        message = await receive()
        while message["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_config=None, server_header=False
    )
