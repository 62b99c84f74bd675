"""Citizens told of their own cases only with their consent (services/notify/domain/consent.py): what a
consent needs, what is kept, and what a message may say."""

import pytest

from services.notify.domain import consent as c
from services.notify.domain.consent import CaseKind
from services.notify.domain.notices import Channel
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
