"""Citizens told of their own cases only with their consent (services/notify/domain/consent.py): what a
consent needs, what is kept, what a message may say, and when it goes."""

from datetime import date, datetime, timedelta

import pytest

from services.notify.domain import consent as c
from services.notify.domain.consent import CaseKind
from services.notify.domain.notices import Channel, Urgency
from services.notify.domain.preferences import send_at
from shared.convert import CHINA
from shared.errors import InvalidInput


def test_a_consent_names_the_case_channels_among_email_and_sms_each_with_its_address_and_the_wording():
    c.check_consent(CaseKind.PETITION, "id-1", "资信〔2026〕1号", [Channel.EMAIL], "a@b.cn", "", c.WORDING)
    with pytest.raises(InvalidInput) as refused:
        c.check_consent(None, " ", "", [Channel.WECOM_ROBOT], "", "", "old-wording")
    assert {"case_kind", "case_id", "number", "channels", "wording"} <= set(refused.value.violations)
    with pytest.raises(InvalidInput) as refused:
        c.check_consent(
            CaseKind.APPLICATION, "id", "n", [Channel.EMAIL, Channel.SMS], "not-mail", "abc", c.WORDING
        )
    assert set(refused.value.violations) == {"email", "phone"}


def test_only_the_addresses_a_chosen_channel_needs_are_kept():
    assert c.kept_addresses([Channel.SMS], "a@b.cn", " 139 0000 2222 ") == ("", "139 0000 2222")
    assert c.kept_addresses([Channel.EMAIL], "a@b.cn", "13900002222") == ("a@b.cn", "")


def test_a_message_says_the_number_the_new_state_and_where_to_look_nothing_else():
    title, text = c.citizen_message(
        CaseKind.PETITION, "资信〔2026〕7号", "已受理", "https://portal/petitions/follow"
    )
    assert title == "您的信访事项资信〔2026〕7号已受理"
    assert "资信〔2026〕7号" in text and "已受理" in text and text.endswith("https://portal/petitions/follow")
    assert all(subject.startswith("petitions.case.") for subject in c.PETITION_STATES)
    assert all(subject.startswith("disclosure.application.") for subject in c.APPLICATION_STATES)


def test_a_consent_keeps_the_quiet_hours_of_the_officers_rule_unless_told_at_any_hour():
    """The officers' rule (preferences.send_at) read with the consent's choice: 23:30 China time waits
    until 08:00 the next morning, at any hour it goes at once; urgent goes at once either way."""
    night = datetime(2026, 12, 7, 23, 30, tzinfo=CHINA)
    morning = datetime(2026, 12, 8, 8, 0, tzinfo=CHINA)
    assert send_at(c.preferences_of(False), Urgency.NORMAL, night) == (morning, False)
    assert send_at(c.preferences_of(True), Urgency.NORMAL, night) == (night, False)
    assert send_at(c.preferences_of(False), Urgency.URGENT, night) == (night, False)
    noon = datetime(2026, 12, 8, 12, 0, tzinfo=CHINA)
    assert send_at(c.preferences_of(False), Urgency.NORMAL, noon) == (noon, False)
    assert c.WORDING_TEXT.count("22:00") == 1 and "08:00" in c.WORDING_TEXT


def test_a_change_the_citizen_must_act_on_by_a_near_day_is_urgent_a_far_one_or_none_is_not():
    today = date(2026, 12, 7)
    assert c.urgency_of(today + timedelta(days=c.NEAR_LIMIT_DAYS), today) is Urgency.URGENT
    assert c.urgency_of(today, today) is Urgency.URGENT
    assert c.urgency_of(today + timedelta(days=c.NEAR_LIMIT_DAYS + 1), today) is Urgency.NORMAL
    assert c.urgency_of(None, today) is Urgency.NORMAL
    _, text = c.citizen_message(
        CaseKind.APPLICATION, "资公开〔2026〕3号", "需要您补正申请内容", "https://p/f", date(2026, 12, 9)
    )
    assert "需要您补正申请内容，请于2026年12月9日前办理。" in text


def test_changes_held_together_are_told_as_the_latest_state_naming_the_earlier_ones_once():
    title, text = c.held_together(
        "您的信访事项X已作出书面答复",
        "您的信访事项（编号 X）已作出书面答复。详情…",
        ["petitions.case.accepted", "petitions.case.extended", "petitions.case.extended"],
    )
    assert title == "您的信访事项X已作出书面答复"
    assert text.endswith("此前的变化：已受理；办理期限已延长。")
    assert c.held_together("t", "x", []) == ("t", "x")
    assert c.is_citizen(c.recipient_of("42")) and not c.is_citizen("user-42")
