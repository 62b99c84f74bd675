from datetime import date

import pytest

from shared.convert import date_from_proto, date_to_proto, decode_page_token, encode_page_token, page_limit
from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2


def test_dates_round_trip_and_bad_dates_name_the_field():
    assert date_from_proto(date_to_proto(date(2026, 10, 1)), "day") == date(2026, 10, 1)
    assert date_from_proto(common_pb2.Date(), "day", required=False) is None
    with pytest.raises(InvalidInput) as err:
        date_from_proto(common_pb2.Date(year=2026, month=2, day=30), "first_day")
    assert "2026-02-30" in err.value.violations["first_day"]
    with pytest.raises(InvalidInput) as err:
        date_from_proto(common_pb2.Date(), "day")
    assert err.value.violations == {"day": "a date is required"}


def test_page_tokens_round_trip_and_foreign_tokens_are_refused():
    assert decode_page_token(encode_page_token("2026-10-01", "abc")) == ["2026-10-01", "abc"]
    assert decode_page_token("") is None
    with pytest.raises(InvalidInput):
        decode_page_token("not-a-token")
    assert page_limit(common_pb2.PageRequest()) == 50
    with pytest.raises(InvalidInput):
        page_limit(common_pb2.PageRequest(page_size=501))


def test_day_cursors_round_trip_and_a_token_of_another_shape_is_refused_naming_the_field():
    from shared.convert import decode_day_cursor

    row_id = "0b7c7c1e-6f1e-4f57-9d43-5d1b8f0c2a11"
    assert decode_day_cursor(encode_page_token("2026-10-01", row_id)) == (date(2026, 10, 1), row_id)
    assert decode_day_cursor("") is None
    for foreign in (
        encode_page_token("2026-10-01"),  # no id
        encode_page_token("1 October", row_id),  # not a day
        encode_page_token("2026-10-01", "not-an-id"),
        "not-a-token",
    ):
        with pytest.raises(InvalidInput) as err:
            decode_day_cursor(foreign)
        assert err.value.violations == {"page.page_token": "not a page token this service issued"}


# ---- EnumMap and Page (shared wire helpers, once) ---------------------------------------------


def test_enum_map_pairs_members_by_name_and_fails_at_build_for_a_missing_one():
    import enum

    from shared.convert import EnumMap
    from zgov.meetings.v1 import meetings_pb2 as mpb

    class Kind(enum.Enum):
        PLENARY = "plenary"
        EXECUTIVE = "executive"

    kinds = EnumMap(Kind, mpb.MeetingKind, "MEETING_KIND")
    assert kinds.to_proto[Kind.PLENARY] == mpb.MEETING_KIND_PLENARY
    assert kinds.from_proto[mpb.MEETING_KIND_EXECUTIVE] is Kind.EXECUTIVE
    assert kinds.from_proto.get(mpb.MEETING_KIND_UNSPECIFIED) is None

    class Unknown(enum.Enum):
        WEEKLY = "weekly"

    with pytest.raises(ValueError):
        EnumMap(Unknown, mpb.MeetingKind, "MEETING_KIND")


def test_page_fetches_one_more_and_hands_out_a_token_only_when_a_row_follows():
    from shared.convert import Page, decode_page_token

    page = Page(2)
    assert page.fetch == 3
    assert page.cut([], str) == ([], "")
    assert page.cut(["a", "b"], lambda r: (r,)) == (["a", "b"], "")  # full, nothing after: no token
    rows, token = page.cut(["a", "b", "c"], lambda r: (r, "x"))
    assert rows == ["a", "b"] and decode_page_token(token) == ["b", "x"]
    assert Page.of(common_pb2.PageRequest(page_size=7)).size == 7
