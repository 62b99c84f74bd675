"""The portal bench's load generator (issue 17): vegeta, pinned in deploy/local/tools.py and built from
its Go module into .cache/bin (`make bench-tools`), driven by tests/bench/bench_portal.py's `attack`.

Against a local HTTP server that counts the requests it holds at once: the binary is the pinned
version, the attack is a closed loop of CONCURRENCY requests in flight (never more, and it does use
them), and the report's rate, percentiles and status codes (the 304s of a conditional request) are
what the server answered."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deploy.local import tools
from tests.bench.bench_portal import CONCURRENCY, attack

ETAG = '"v1"'


class Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.answered: dict[int, int] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept connections, as the portal's uvicorn keeps them

    def log_message(self, *args):
        pass

    def do_GET(self):
        server: Counting = self.server
        with server.lock:
            server.in_flight += 1
            server.most = max(server.most, server.in_flight)
        time.sleep(0.005)  # a page's work: requests overlap
        status = 304 if self.headers.get("If-None-Match") == ETAG else 200
        body = b"" if status == 304 else b"<html>page</html>"
        with server.lock:
            server.in_flight -= 1
            server.answered[status] = server.answered.get(status, 0) + 1
        self.send_response(status)
        self.send_header("ETag", ETAG)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    found = Counting()
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


@pytest.fixture(scope="module")
def vegeta() -> Path:
    return tools.ensure_vegeta()


def test_vegeta_is_the_pinned_version(vegeta):
    go = shutil.which("go") or "/usr/local/go/bin/go"
    info = subprocess.run([go, "version", "-m", str(vegeta)], capture_output=True, text=True).stdout
    assert f"mod\t{tools.VEGETA_MODULE}\t{tools.VEGETA_VERSION}\t" in info


async def test_an_attack_is_a_closed_loop_of_the_benchs_concurrency_and_reports_what_was_answered(
    vegeta, server, tmp_path
):
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = await attack(vegeta, tmp_path, [url], 1)
    assert 2 <= server.most <= CONCURRENCY
    assert pages.statuses == {"200": server.answered[200]} and 304 not in server.answered
    # 5 ms per page, at most 8 at once: a closed loop cannot exceed 1,600/s
    assert 0 < pages.rate <= CONCURRENCY / 0.005
    assert 5 <= pages.p50 <= pages.p95 <= pages.p99

    server.answered.clear()
    revalidated = await attack(vegeta, tmp_path, [url], 1, {"If-None-Match": ETAG}, expect=("200", "304"))
    assert revalidated.statuses == {"304": server.answered[304]} and revalidated.share("304") == 1.0


async def test_an_answer_the_bench_did_not_expect_fails_the_attack(vegeta, server, tmp_path):
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with pytest.raises(RuntimeError, match="answers"):
        await attack(vegeta, tmp_path, [url], 1, {"If-None-Match": ETAG})  # 304s, only 200 expected
