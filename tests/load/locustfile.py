"""A policy-release day on the whole platform (Locust): citizens on the portal, officers over gRPC.

    locust -f tests/load/locustfile.py --headless --host http://<portal> --officers .run/bench-load/officers.json

Citizens (HTTP, the portal): the home page, a search, a publication, an application for information
filed without an account, a petition filed and followed by its query code. Officers (gRPC, their own
Keycloak tokens): a leader's meetings and calendar, the documents list, leaves, WhoMayAct. Nine
citizens to one officer, as on the day a policy is published.

`RampUntilSlow` multiplies the users step by step until the p99 of the last window passes 200 ms (or the time
runs out), then stops: the sustained rate is the last step's before that (tests/bench/bench_load.py
reads the CSV history and prints it).
"""

from __future__ import annotations

import json
import random
import time
import uuid

import grpc.experimental.gevent as grpc_gevent

grpc_gevent.init_gevent()  # grpc under Locust's gevent: before any channel exists

import grpc  # noqa: E402
from locust import HttpUser, LoadTestShape, User, between, events, task  # noqa: E402

from zgov.documents.v1 import documents_pb2, documents_pb2_grpc  # noqa: E402
from zgov.meetings.v1 import meetings_pb2, meetings_pb2_grpc  # noqa: E402
from zgov.org.v1 import org_pb2, org_pb2_grpc  # noqa: E402

P99_LIMIT_MS = 200
FIRST_USERS = 10
GROWTH = 1.5  # users multiplied each step: fourteen steps of 15 s (210 s) reach ~1,950 users, past what 2 cores serve
STEP_SECONDS = 15
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
    "建华",
]
WORDS = ["民营经济", "义务教育", "城市供水", "医疗保障", "住房保障", "安全生产"]


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--officers", default="", help="JSON: services' addresses and officers' tokens")
    parser.add_argument("--max-seconds", type=int, default=210, help="stop the ramp after this long")


class Citizen(HttpUser):
    """A citizen on the portal on the day a policy is published."""

    weight = 9
    wait_time = between(0.5, 2)

    def on_start(self) -> None:  # the portal's address: Locust's --host
        # one address per citizen, as the ingress forwards it (the bench runs the portal trusting it)
        self.client.headers["X-Forwarded-For"] = (
            f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        )
        # each citizen a person of his own: petitions of one person queue on that person's lock (A71's
        # same-matter check), which a crowd of different people never does
        self.name = random.choice(SURNAMES) + random.choice(GIVEN_NAMES)
        self.phone = f"13{random.randrange(10**9):09d}"
        latest = self.client.get("/api/publications/latest?limit=20", name="/api/publications/latest")
        self.publications = [p["id"] for p in latest.json()] if latest.ok else []

    @task(6)
    def home(self) -> None:
        self.client.get("/", name="/ (home)")

    @task(4)
    def search(self) -> None:
        self.client.get(f"/search?q={random.choice(WORDS)}", name="/search")

    @task(4)
    def publication(self) -> None:
        if self.publications:
            self.client.get(f"/publications/{random.choice(self.publications)}", name="/publications/{id}")

    @task(1)
    def application(self) -> None:
        self.client.post(
            "/api/applications",
            name="/api/applications",
            json={
                "kind": "person",
                "name": "钱多多",
                "id_number": "512002199001010012",  # a valid check digit (GB 11643)
                "phone": "13600003333",
                "description": "2025年雁江区义务教育学校校舍维修资金的使用明细。",
                "purpose": "了解学校维修情况",
                "delivery_form": "download",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

    @task(1)
    def petition_and_its_query_code(self) -> None:
        filed = self.client.post(
            "/api/petitions",
            name="/api/petitions",
            json={
                "category": "suggestion",
                "title": "关于增设公交站点的建议",
                "content": "建议在雁江区增设公交站点。",
                "name": self.name,
                "phone": self.phone,
            },
        )
        if filed.status_code == 201:
            self.client.post(
                "/api/petitions/follow",
                name="/api/petitions/follow",
                json={"query_code": filed.json()["query_code"]},
            )


class Officer(User):
    """An officer of the city government over gRPC, with his or her own token."""

    weight = 1
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        config = json.load(open(self.environment.parsed_options.officers))  # noqa: SIM115
        self.token = [("authorization", f"Bearer {config['token']}")]
        self.meetings = meetings_pb2_grpc.MeetingsServiceStub(grpc.insecure_channel(config["meetings"]))
        self.documents = documents_pb2_grpc.DocumentsServiceStub(grpc.insecure_channel(config["documents"]))
        self.org = org_pb2_grpc.OrgServiceStub(grpc.insecure_channel(config["org"]))

    def _call(self, name: str, rpc, request) -> None:
        started = time.perf_counter()
        exception = None
        try:
            rpc(request, metadata=self.token, timeout=10)
        except grpc.RpcError as error:
            exception = error
        self.environment.events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )

    @task(3)
    def meetings_list(self) -> None:
        self._call("meetings.ListMeetings", self.meetings.ListMeetings, meetings_pb2.ListMeetingsRequest())

    @task(2)
    def calendar(self) -> None:
        self._call(
            "meetings.GetLeaderCalendar",
            self.meetings.GetLeaderCalendar,
            meetings_pb2.GetLeaderCalendarRequest(),
        )

    @task(3)
    def documents_list(self) -> None:
        self._call(
            "documents.ListDocuments", self.documents.ListDocuments, documents_pb2.ListDocumentsRequest()
        )

    @task(2)
    def leaves(self) -> None:
        self._call("org.ListLeaves", self.org.ListLeaves, org_pb2.ListLeavesRequest())

    @task(3)
    def who_may_act(self) -> None:
        self._call("org.WhoMayAct", self.org.WhoMayAct, org_pb2.WhoMayActRequest(position="mayor"))


class RampUntilSlow(LoadTestShape):
    """GROWTH times the users every STEP_SECONDS until the p99 of the last window passes the limit (a
    linear ramp of 10 users a step ended at 100 users and 79 requests/s, far below saturation)."""

    def tick(self):
        run_time = self.get_run_time()
        if run_time > self.runner.environment.parsed_options.max_seconds:
            return None
        step = int(run_time // STEP_SECONDS)
        if step >= 2:  # a step's window of figures before judging it
            p99 = self.runner.stats.total.get_current_response_time_percentile(0.99) or 0
            if p99 > P99_LIMIT_MS:
                return None
        users = round(FIRST_USERS * GROWTH**step)
        return users, max(FIRST_USERS, users // 4)  # spawn rate: the step's users within a few seconds
