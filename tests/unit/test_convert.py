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
