"""What every storyline of the demo shares: the platform as an outside caller sees it, the report, the
notes kept between runs, dates and paging."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import grpc
import jwt
from zgov.common.v1 import common_pb2

from shared.workdays import calendar

MARK = "【演示】"
NOTHING_TO_DO = "nothing to do: the demo month is already there"
# The services' proto packages → the service names of .run/endpoints.json.
SERVICES = {
    "zgov.meetings.v1.MeetingsService": "meetings",
    "zgov.documents.v1.DocumentsService": "documents",
    "zgov.disclosure.v1.PublicationService": "disclosure",
    "zgov.disclosure.v1.ApplicationService": "disclosure",
    "zgov.petitions.v1.PetitionsService": "petitions",
    "zgov.supervision.v1.SupervisionService": "supervision",
    "zgov.supervision.v1.DeadlineFeedService": "supervision",
}


# ---------------------------------------------------------------- how the demo reaches the platform


@dataclass
class Platform:
    """The platform as an outside caller sees it: an address per gRPC service and a token per demo user."""

    address_of: Callable[[str], str]
    token_for: Callable[[str], str]
    portal_url: str = ""
    _channels: dict[str, grpc.Channel] = field(default_factory=dict)

    def stub(self, stub_class, service: str):
        address = self.address_of(service)
        if address not in self._channels:
            self._channels[address] = grpc.insecure_channel(address)
        return stub_class(self._channels[address])

    def as_user(self, username: str) -> tuple:
        return (("authorization", f"Bearer {self.token_for(username)}"),)

    def user_id(self, username: str) -> str:
        return jwt.decode(self.token_for(username), options={"verify_signature": False})["sub"]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()


@dataclass
class Story:
    """What one storyline did: its lines for the summary, what it made, where to look."""

    name: str
    made: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    nothing_to_do: bool = False

    def found(self, complete: bool, expected: str) -> None:
        """An earlier run made this storyline: nothing to do. A run stopped part-way is not resumed
        (the acts are not repeatable); the summary says what is missing instead of hiding it."""
        self.nothing_to_do = True
        if not complete:
            self.notes.append(f"an earlier run stopped part-way: {expected} is missing; left as it is")


@dataclass
class Report:
    stories: list[Story]

    @property
    def changed(self) -> bool:
        return any(story.made for story in self.stories)

    def lines(self) -> list[str]:
        out: list[str] = []
        for story in self.stories:
            out.append(f"{story.name}: {NOTHING_TO_DO}" if story.nothing_to_do else f"{story.name}:")
            out += [f"  made: {line}" for line in story.made]
            out += [f"  note: {line}" for line in story.notes]
        out.append("Where to look:")
        out += [f"  {line}" for story in self.stories for line in story.where]
        return out


# ---------------------------------------------------------------- dates and small helpers


def working_days_from(today: date, n: int) -> date:
    """The n-th working day after (n > 0) or before (n < 0) today (the mainland calendar)."""
    return calendar().add_working_days(today, n).due


def pages(call, request, metadata, items: str) -> Iterator:
    """Every item of a paged list RPC."""
    token = ""
    while True:
        request.page.CopyFrom(common_pb2.PageRequest(page_size=200, page_token=token))
        reply = call(request, metadata=metadata)
        yield from getattr(reply, items)
        token = reply.page.next_page_token
        if not token:
            return


class Notes:
    """What the services show once (a query code, a feed address), kept for the runs that follow."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / "demo.json"
        self.values: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def put(self, key: str, value: str) -> None:
        self.values[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.values, ensure_ascii=False, indent=2) + "\n")


@dataclass
class Run:
    platform: Platform
    out_dir: Path
    today: date
    notes: Notes
