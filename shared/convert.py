"""Conversions at the gRPC edge that every service needs: dates, page tokens and pages (`Page`: one
more row fetched than a page holds), enum maps (`EnumMap`: domain enum ↔ proto enum by name).

Errors name the request field, so a caller reads what is wrong (INVALID_ARGUMENT).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

# Dates of the government are China Standard Time.
CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def date_from_proto(value: common_pb2.Date, field: str, *, required: bool = True) -> date | None:
    """A proto Date as a date; unset gives None (or an error naming the field when required)."""
    if not (value.year or value.month or value.day):
        if required:
            raise InvalidInput({field: "a date is required"})
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError as err:
        raise InvalidInput(
            {field: f"{value.year:04d}-{value.month:02d}-{value.day:02d} is not a date: {err}"}
        ) from None


def date_to_proto(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def page_limit(page: common_pb2.PageRequest, field: str = "page.page_size") -> int:
    if page.page_size < 0 or page.page_size > MAX_PAGE_SIZE:
        raise InvalidInput({field: f"must be between 0 and {MAX_PAGE_SIZE}"})
    return page.page_size or DEFAULT_PAGE_SIZE


def encode_page_token(*position: str) -> str:
    """An opaque keyset cursor: the sort key of the last item returned."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def decode_page_token(token: str, field: str = "page.page_token") -> list[str] | None:
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        position = None
    if not isinstance(position, list) or not all(isinstance(p, str) for p in position):
        raise InvalidInput({field: "not a page token this service issued"})
    return position


def decode_day_cursor(token: str, field: str = "page.page_token") -> tuple[date, str] | None:
    """The (day, id) in the page token of a list ordered by a day, then id (the token `Page.cut` makes
    of `(row.day.isoformat(), str(row.id))`); None without a token."""
    position = decode_page_token(token, field)
    if position is None:
        return None
    try:
        day, row_id = position
        return date.fromisoformat(day), str(uuid.UUID(row_id))
    except ValueError:
        raise InvalidInput({field: "not a page token this service issued"}) from None


class EnumMap(Generic[E]):
    """A domain enum and its proto enum, member by member, by name: `MeetingKind.PLENARY` ↔
    `MEETING_KIND_PLENARY` (the proto's names are the domain's with the enum's prefix). A member
    without its proto value fails when the map is built, at import, never on a call.

        KIND = EnumMap(MeetingKind, pb.MeetingKind, "MEETING_KIND")
        KIND.to_proto[MeetingKind.PLENARY]; KIND.from_proto.get(request.kind)   # None: unspecified
    """

    def __init__(self, domain_enum: type[E], proto_enum, prefix: str):
        self.to_proto: dict[E, int] = {m: proto_enum.Value(f"{prefix}_{m.name}") for m in domain_enum}
        self.from_proto: dict[int, E] = {v: k for k, v in self.to_proto.items()}


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paged list. The store is asked for `fetch` rows (one more than the page
    holds); `cut` keeps the page's rows and hands out a token only when that extra row exists, so a
    client is never given a token to an empty page.

        page = Page.of(request.page)
        rows = await store.list_x(session, after=..., limit=page.fetch)
        rows, token = page.cut(rows, lambda r: (r.day.isoformat(), str(r.id)))
    """

    size: int

    @classmethod
    def of(cls, request: common_pb2.PageRequest, field: str = "page.page_size") -> Page:
        return cls(page_limit(request, field))

    @property
    def fetch(self) -> int:
        return self.size + 1

    def cut(self, rows: Sequence[T], key: Callable[[T], Iterable[str]]) -> tuple[list[T], str]:
        rows = list(rows)
        if len(rows) <= self.size:
            return rows, ""
        rows = rows[: self.size]
        return rows, encode_page_token(*key(rows[-1]))
