"""The notify service's pure rules: when a message may go, retries, masks, privacy, the channels' formats."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta

import pytest

from services.notify.channels import Message
from services.notify.channels.dingtalk import signature
from services.notify.channels.sms import fill, short_text
from services.notify.domain import privacy
from services.notify.domain.notices import Channel, Kind, Notice, Urgency, mask
from services.notify.domain.preferences import Preferences, check, in_quiet_hours, parse_clock, send_at
from services.notify.domain.retries import RetryPolicy
from shared.convert import CHINA
from shared.errors import InvalidInput

NIGHT = Preferences(quiet_start=time(22), quiet_end=time(7))


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CHINA)


def test_quiet_hours_wrap_midnight():
    assert in_quiet_hours(NIGHT, time(23)) and in_quiet_hours(NIGHT, time(6, 59))
    assert not in_quiet_hours(NIGHT, time(7)) and not in_quiet_hours(NIGHT, time(12))
    day = Preferences(quiet_start=time(12), quiet_end=time(14))
    assert in_quiet_hours(day, time(13)) and not in_quiet_hours(day, time(14))


def test_a_normal_message_in_quiet_hours_waits_until_they_end_an_urgent_one_goes_now():
    assert send_at(NIGHT, Urgency.NORMAL, at(23)) == (at(7, day=8), False)
    assert send_at(NIGHT, Urgency.NORMAL, at(5)) == (at(7), False)
    assert send_at(NIGHT, Urgency.URGENT, at(23)) == (at(23), False)
    assert send_at(NIGHT, Urgency.NORMAL, at(9)) == (at(9), False)


def test_a_low_urgency_message_waits_for_the_digest_when_chosen():
    digest = Preferences(daily_digest=True, digest_time=time(8, 30))
    assert send_at(digest, Urgency.LOW, at(10)) == (at(8, 30, day=8), True)
    assert send_at(digest, Urgency.LOW, at(6)) == (at(8, 30), True)
    assert send_at(digest, Urgency.NORMAL, at(10)) == (at(10), False)
    assert send_at(Preferences(), Urgency.LOW, at(10)) == (at(10), False)


def test_channels_default_to_email_per_kind():
    chosen = Preferences(channels={Kind.MEETING: (Channel.SMS, Channel.DINGTALK_ROBOT)})
    assert chosen.channels_for(Kind.MEETING) == (Channel.SMS, Channel.DINGTALK_ROBOT)
    assert chosen.channels_for(Kind.PETITION) == (Channel.EMAIL,)


@pytest.mark.parametrize("value", ["25:00", "7:00", "07:60", "noon"])
def test_bad_times_of_day_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_clock(value, "quiet_start")


def test_quiet_hours_need_both_ends():
    with pytest.raises(InvalidInput):
        check(Preferences(quiet_start=time(22)))
    with pytest.raises(InvalidInput):
        check(Preferences(quiet_start=time(22), quiet_end=time(22)))


def test_retries_back_off_exponentially_and_give_up():
    policy = RetryPolicy(base_seconds=30, cap_seconds=600, max_attempts=5)
    now = datetime(2026, 12, 7, tzinfo=UTC)
    delays = [(policy.next_attempt(n, now) - now).total_seconds() for n in range(1, 5)]
    assert delays == [30, 60, 120, 240]
    assert policy.next_attempt(5, now) is None
    assert RetryPolicy(30, 100, 50).next_attempt(10, now) == now + timedelta(seconds=100)


def test_addresses_are_masked_for_the_office():
    assert mask("department-head@ziyang.example") == "de***@ziyang.example"
    assert mask("13800000015") == "138****0015"


def test_A71_a_petition_message_says_the_number_and_links_nothing_more():
    text = privacy.protected_text(
        "资信〔2026〕88号", "一件信访事项已交贵单位办理", "https://oa/petitions/cases/1"
    )
    assert (
        text
        == "一件信访事项已交贵单位办理（编号 资信〔2026〕88号）需要您处理，请登录系统查看：https://oa/petitions/cases/1"
    )


def test_a_classified_matter_loses_its_title_and_text():
    notice = Notice(
        "e",
        "documents.document.routed",
        "documents",
        Kind.DOCUMENT,
        Urgency.NORMAL,
        "待签批公文：某机密事项",
        "公文《某机密事项》已呈送",
        "https://oa/documents/1",
        classified=True,
    )
    redacted = privacy.redacted(notice)
    assert (
        redacted.title == "您有一件涉密事项待办"
        and "机密" not in redacted.text
        and "https://oa/documents/1" in redacted.text
    )


def test_dingtalk_signature_is_hmac_sha256_of_timestamp_and_secret():
    expected = base64.b64encode(hmac.new(b"SEC1", b"1700000000000\nSEC1", hashlib.sha256).digest()).decode()
    assert signature("SEC1", 1700000000000) == expected


def test_the_sms_template_is_filled_inside_the_json_and_long_texts_are_cut():
    body = fill(
        '{"to": "{phone}", "msg": {"content": "【资阳】{text}"}, "tags": ["{phone}"]}',
        "138",
        'a "quoted" text',
    )
    assert body == {"to": "138", "msg": {"content": '【资阳】a "quoted" text'}, "tags": ["138"]}
    assert len(short_text(Message("标题", "字" * 1000, "https://x"))) == 300
