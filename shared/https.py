"""The trust store of the platform's outgoing HTTP calls (Keycloak's keys and tokens, the portal's login,
notify's gateways), built once per process.

httpx builds a new SSLContext for every client it creates, loading certifi's bundle of some 150
certificates: about 25 ms of CPU each time (measured for issue 14), and the services create a client
per token or key fetch, every start of a service included. `trust()` is the context httpx would build
(httpx.create_ssl_context: certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR), made on first use and
shared by every client; an SSLContext may serve many connections at once.

    async with httpx.AsyncClient(timeout=5, verify=trust()) as http:
        ...
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def trust() -> ssl.SSLContext:
    return httpx.create_ssl_context()
