"""Conversions at the gRPC edge that every service needs: dates and page tokens.

Errors name the request field, so a caller reads what is wrong (INVALID_ARGUMENT).
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2

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
