"""Rules of applications for government information (依申请公开): 政府信息公开条例 (2019) articles
14–16, 29–39, with the working rules A35–A39. Pure functions, the real calendar (shared.workdays).

National Day 2025: holidays 1–8 October, Sunday 28 September and Saturday 11 October are working days.
"""

from datetime import date

import pytest

from services.disclosure.domain import applications as d
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import YearSchedule, calendar

CAL = calendar()
FRI_BEFORE_NATIONAL_DAY = date(2025, 9, 26)


def applicant(**kw) -> d.Applicant:
    values = dict(
        kind=d.ApplicantKind.NATURAL_PERSON,
        name="林市民",
        id_number="513901199001011234",
        phone="13800000000",
    )
    return d.Applicant(**{**values, **kw})


def request(**kw) -> d.Request:
    values = dict(
        description="2025年雁江区老旧小区改造项目清单", delivery_form=d.DeliveryForm.ONLINE_DOWNLOAD
    )
    return d.Request(**{**values, **kw})


# ---- art. 29: what an application contains ---------------------------------------------------------


def test_OGI29_complete_application_passes():
    d.check_application(applicant(), request())


def test_OGI29_missing_parts_are_named_field_by_field():
    with pytest.raises(InvalidInput) as err:
        d.check_application(d.Applicant(kind=None, name=""), d.Request(description="", delivery_form=None))
    assert set(err.value.violations) == {
        "applicant.kind",
        "applicant.name",
        "applicant.id_number",
        "applicant.phone",
        "description",
        "delivery_form",
    }


def test_OGI29_organisation_names_contact_person_and_email_delivery_needs_an_address():
    with pytest.raises(InvalidInput) as err:
        d.check_application(
            applicant(kind=d.ApplicantKind.LEGAL_SERVICE_ORGANISATION),
            request(delivery_form=d.DeliveryForm.EMAIL),
        )
    assert set(err.value.violations) == {"applicant.contact_person", "applicant.email"}


# ---- art. 31: the day of receipt --------------------------------------------------------------------


def test_OGI31_day_of_receipt_by_channel():
    sub, signed, confirmed = date(2025, 3, 3), date(2025, 3, 5), date(2025, 3, 4)
    assert d.receipt_date(d.Channel.IN_PERSON, submitted_on=sub) == sub
    assert d.receipt_date(d.Channel.POST_SIGNED, submitted_on=sub, signed_for_on=signed) == signed
    for channel in (d.Channel.ONLINE, d.Channel.FAX, d.Channel.POST_UNSIGNED):
        assert d.receipt_date(channel, submitted_on=sub) is None  # waits for the office to confirm
        assert d.receipt_date(channel, submitted_on=sub, confirmed_on=confirmed) == confirmed


def test_OGI31_registered_letter_needs_the_day_signed_for():
    with pytest.raises(InvalidInput) as err:
        d.check_receipt(
            d.Channel.POST_SIGNED,
            submitted_on=date(2025, 3, 3),
            signed_for_on=None,
            confirmed_on=None,
            today=date(2025, 3, 10),
        )
    assert "signed_for_on" in err.value.violations
    with pytest.raises(InvalidInput):
        d.check_confirmation(
            d.Channel.IN_PERSON,
            d.State.SUBMITTED,
            submitted_on=date(2025, 3, 3),
            confirmed_on=date(2025, 3, 3),
            today=date(2025, 3, 3),
        )


# ---- art. 33: 20 working days, one extension --------------------------------------------------------


def test_OGI33_reply_within_20_working_days_across_the_2025_national_day_holiday():
    due = d.reply_due(d.Clock(started_on=FRI_BEFORE_NATIONAL_DAY), CAL)
    # 28 Sep (make-up Sunday), 29, 30 Sep; 1–8 Oct not counted; 9, 10, 11 (make-up Saturday) Oct ...
    assert due.due == date(2025, 10, 30) and not due.provisional and due.working_days == 20


def test_OGI33_deadline_into_a_year_without_known_schedule_is_provisional():
    due = d.reply_due(d.Clock(started_on=date(2026, 12, 10)), CAL)
    assert due.due == date(2027, 1, 7) and due.provisional  # weekends only in 2027
    # once an operator loads 2027 (say Friday 1 and Monday 4 January are holidays), it moves by two
    known = CAL.with_schedules(YearSchedule(2027, {date(2027, 1, 1): "元旦", date(2027, 1, 4): "元旦"}))
    later = d.reply_due(d.Clock(started_on=date(2026, 12, 10)), known)
    assert later.due == date(2027, 1, 11) and not later.provisional


def test_OGI33_extension_adds_its_working_days():
    assert (
        d.reply_due(d.Clock(FRI_BEFORE_NATIONAL_DAY, extension_days=20), CAL).due
        == CAL.add_working_days(FRI_BEFORE_NATIONAL_DAY, 40).due
    )


def extension(**kw):
    values = dict(
        state=d.State.RECEIVED,
        already_extended=False,
        working_days=20,
        reason="涉及多个科室",
        notice="延期答复告知书",
        approved_on=date(2025, 10, 20),
        started_on=FRI_BEFORE_NATIONAL_DAY,
        current_due=date(2025, 10, 30),
        today=date(2025, 10, 20),
    )
    d.check_extension(**{**values, **kw})


def test_OGI33_second_extension_is_refused():
    extension()
    with pytest.raises(RuleViolation) as err:
        extension(already_extended=True)
    assert err.value.rule_id == "OGI33.extension-once"


def test_OGI33_extension_at_most_20_working_days_before_the_limit_ends_with_a_notice():
    with pytest.raises(RuleViolation) as err:
        extension(working_days=21)
    assert err.value.rule_id == "OGI33.extension-20-working-days"
    with pytest.raises(RuleViolation) as err:
        extension(approved_on=date(2025, 10, 31), today=date(2025, 10, 31))
    assert err.value.rule_id == "OGI33.extension-within-limit"
    with pytest.raises(InvalidInput) as err:
        extension(notice=" ")
    assert "notice" in err.value.violations


# ---- art. 32, 34: consultation time not counted ---------------------------------------------------


def test_OGI32_third_party_time_is_not_counted():
    sent, answered = date(2025, 10, 13), date(2025, 10, 17)  # Monday to Friday: 4 working days after
    c = d.Consultation(d.ConsultedParty.THIRD_PARTY, sent, answered_on=answered, consents=False)
    due = d.reply_due(d.Clock(FRI_BEFORE_NATIONAL_DAY, consultations=(c,)), CAL)
    assert due.working_days == 24 and due.due == CAL.add_working_days(date(2025, 10, 30), 4).due
    assert not due.paused


def test_OGI32_open_consultation_pauses_at_most_15_working_days():
    sent = date(2025, 10, 13)
    c = d.Consultation(d.ConsultedParty.THIRD_PARTY, sent)
    due = d.reply_due(d.Clock(FRI_BEFORE_NATIONAL_DAY, consultations=(c,)), CAL, today=date(2025, 10, 14))
    assert due.paused and due.working_days == 35
    # the third party answers late (after its 15 working days): only 15 are left out
    late = d.Consultation(d.ConsultedParty.THIRD_PARTY, sent, answered_on=date(2025, 11, 28), consents=True)
    assert d.reply_due(d.Clock(FRI_BEFORE_NATIONAL_DAY, consultations=(late,)), CAL).working_days == 35
    # after the limit, with no answer, the clock runs again by itself
    assert not d.reply_due(
        d.Clock(FRI_BEFORE_NATIONAL_DAY, consultations=(c,)), CAL, today=date(2025, 11, 20)
    ).paused


def test_OGI34_overlapping_consultations_are_counted_once():
    a = d.Consultation(d.ConsultedParty.THIRD_PARTY, date(2025, 10, 13), answered_on=date(2025, 10, 17))
    b = d.Consultation(d.ConsultedParty.OTHER_AGENCY, date(2025, 10, 15), answered_on=date(2025, 10, 21))
    assert d.paused_working_days([a, b], CAL) == (6, False)  # 14, 15, 16, 17, 20, 21 October


# ---- art. 30: one request to complete, the clock restarts, or the application lapses ----------------


def completion(**kw):
    values = dict(
        state=d.State.RECEIVED,
        already_requested=False,
        received_on=FRI_BEFORE_NATIONAL_DAY,
        requested_on=date(2025, 10, 13),
        items="请写明项目名称",
        period_working_days=10,
        today=date(2025, 10, 13),
        cal=CAL,
    )
    d.check_completion_request(**{**values, **kw})


def test_OGI30_request_to_complete_within_7_working_days_of_receipt_across_national_day():
    completion()  # 13 October is the 7th working day after 26 September
    with pytest.raises(RuleViolation) as err:
        completion(requested_on=date(2025, 10, 14), today=date(2025, 10, 14))
    assert err.value.rule_id == "OGI30.seven-working-days"


def test_OGI30_only_one_request_to_complete():
    with pytest.raises(RuleViolation) as err:
        completion(already_requested=True)
    assert err.value.rule_id == "OGI30.one-request"


def test_OGI30_clock_restarts_from_the_day_the_completion_arrives():
    due = d.completion_due(date(2025, 10, 13), 10, CAL)
    d.check_completion(
        state=d.State.AWAITING_COMPLETION,
        requested_on=date(2025, 10, 13),
        completed_on=date(2025, 10, 20),
        due=due.due,
        content="项目名称：…",
        today=date(2025, 10, 20),
    )
    restarted = d.reply_due(d.Clock(started_on=date(2025, 10, 20)), CAL)
    assert restarted.due == CAL.add_working_days(date(2025, 10, 20), 20).due == date(2025, 11, 17)


def test_OGI30_application_lapses_when_the_completion_never_comes():
    due = d.completion_due(date(2025, 10, 13), 0, CAL).due  # default period: 15 working days
    assert due == date(2025, 11, 3)
    assert not d.has_lapsed(d.State.AWAITING_COMPLETION, due, due)
    assert d.has_lapsed(d.State.AWAITING_COMPLETION, due, date(2025, 11, 4))
    assert not d.has_lapsed(d.State.RECEIVED, due, date(2025, 11, 4))
    with pytest.raises(RuleViolation) as err:
        d.check_completion(
            state=d.State.AWAITING_COMPLETION,
            requested_on=date(2025, 10, 13),
            completed_on=date(2025, 11, 4),
            due=due,
            content="x",
            today=date(2025, 11, 4),
        )
    assert err.value.rule_id == "OGI30.lapsed"


# ---- art. 35: volume far beyond reason --------------------------------------------------------------


def test_OGI35_reasons_are_asked_before_refusing_or_deferring():
    reply = d.Reply(d.ReplyKind.EXCESSIVE, reason="一年内申请三百余次，理由不合理")
    with pytest.raises(RuleViolation) as err:
        d.check_reply(
            reply,
            state=d.State.RECEIVED,
            started_on=date(2025, 3, 3),
            replied_on=date(2025, 3, 10),
            today=date(2025, 3, 10),
        )
    assert err.value.rule_id == "OGI35.reasons-first"
    d.check_reply(
        reply,
        state=d.State.RECEIVED,
        started_on=date(2025, 3, 3),
        replied_on=date(2025, 3, 10),
        today=date(2025, 3, 10),
        reasons_asked=True,
    )
    with pytest.raises(RuleViolation):
        d.check_deferral(
            state=d.State.RECEIVED,
            reasons_asked=False,
            deferred_to=date(2025, 5, 1),
            current_due=date(2025, 3, 31),
            notice="延迟答复",
            today=date(2025, 3, 10),
        )
    d.check_deferral(
        state=d.State.RECEIVED,
        reasons_asked=True,
        deferred_to=date(2025, 5, 1),
        current_due=date(2025, 3, 31),
        notice="延迟答复",
        today=date(2025, 3, 10),
    )
    due = d.reply_due(d.Clock(date(2025, 3, 3), deferred_to=date(2025, 5, 1)), CAL)
    assert due.due == date(2025, 5, 1) and due.deferred


# ---- art. 36–39: each kind of reply with what it must say -------------------------------------------

COMPLETE_REPLIES = {
    d.ReplyKind.ALREADY_PUBLISHED: d.Reply(d.ReplyKind.ALREADY_PUBLISHED, published_at="资阳市人民政府网站"),
    d.ReplyKind.PROVIDED: d.Reply(d.ReplyKind.PROVIDED, provided="项目清单一份，网上下载"),
    d.ReplyKind.PARTLY_PROVIDED: d.Reply(
        d.ReplyKind.PARTLY_PROVIDED,
        provided="项目清单",
        withheld=(d.Withheld("住户姓名", d.Exemption.THIRD_PARTY_RIGHTS, "个人隐私"),),
    ),
    d.ReplyKind.NOT_DISCLOSED: d.Reply(
        d.ReplyKind.NOT_DISCLOSED, exemption=d.Exemption.STATE_SECRET, reason="经定密属于秘密级"
    ),
    d.ReplyKind.DOES_NOT_EXIST: d.Reply(d.ReplyKind.DOES_NOT_EXIST, reason="经检索档案系统"),
    d.ReplyKind.NOT_HELD: d.Reply(d.ReplyKind.NOT_HELD, reason="属区级事权", holder_name="雁江区人民政府"),
    d.ReplyKind.REPEATED: d.Reply(d.ReplyKind.REPEATED, earlier_application="YSQ2025000001"),
    d.ReplyKind.SPECIAL_LAW: d.Reply(
        d.ReplyKind.SPECIAL_LAW, special_law="《不动产登记暂行条例》", reason="请向不动产登记机构申请查询"
    ),
    d.ReplyKind.NEEDS_PROCESSING: d.Reply(d.ReplyKind.NEEDS_PROCESSING, reason="需汇总统计"),
    d.ReplyKind.STILL_UNCLEAR: d.Reply(d.ReplyKind.STILL_UNCLEAR, reason="仍未说明项目"),
    d.ReplyKind.NOT_AN_APPLICATION: d.Reply(d.ReplyKind.NOT_AN_APPLICATION, reason="属投诉，请向12345反映"),
    d.ReplyKind.EXCESSIVE: d.Reply(d.ReplyKind.EXCESSIVE, reason="理由不合理"),
    d.ReplyKind.PUBLICATION_REQUEST: d.Reply(
        d.ReplyKind.PUBLICATION_REQUEST, published_at="《资阳市人民政府公报》，市档案馆"
    ),
    d.ReplyKind.CORRECTED: d.Reply(d.ReplyKind.CORRECTED, reason="已将许可证记载的法定代表人更正为王某"),
    d.ReplyKind.CORRECTION_TRANSFERRED: d.Reply(
        d.ReplyKind.CORRECTION_TRANSFERRED, holder_name="资阳市市场监督管理局"
    ),
    d.ReplyKind.CORRECTION_REFERRED: d.Reply(
        d.ReplyKind.CORRECTION_REFERRED, holder_name="资阳市市场监督管理局"
    ),
    d.ReplyKind.CORRECTION_REFUSED: d.Reply(d.ReplyKind.CORRECTION_REFUSED, reason="与登记档案一致"),
}


def reply_check(reply, **kw):
    correction = reply.kind in d.CORRECTION_REPLIES
    values = dict(
        state=d.State.RECEIVED,
        started_on=date(2025, 3, 3),
        replied_on=date(2025, 3, 10),
        today=date(2025, 3, 10),
        reasons_asked=True,
        request_kind=d.RequestKind.CORRECTION if correction else d.RequestKind.INFORMATION,
    )
    d.check_reply(reply, **{**values, **kw})


@pytest.mark.parametrize("kind", list(d.ReplyKind))
def test_OGI36_each_reply_kind_complete_passes_and_empty_names_its_required_fields(kind):
    reply_check(COMPLETE_REPLIES[kind])
    with pytest.raises(InvalidInput) as err:
        reply_check(d.Reply(kind))
    assert set(err.value.violations) == {f"reply.{name}" for name in d.REQUIRED_FIELDS[kind]}


@pytest.mark.parametrize("kind", list(d.ReplyKind))
def test_OGI36_every_reply_letter_tells_the_right_to_review_and_to_sue(kind):
    text = "\n".join(
        d.reply_paragraphs(
            COMPLETE_REPLIES[kind],
            description="清单",
            received_on=date(2025, 3, 3),
            agency="资阳市人民政府办公室",
            review_body="资阳市人民政府",
        )
    )
    assert "60日内" in text and "行政复议" in text and "6个月内" in text and "行政诉讼" in text
    assert "不收取费用" in text  # art. 42


def test_OGI37_each_withheld_part_needs_its_ground_and_reason():
    with pytest.raises(InvalidInput) as err:
        reply_check(
            d.Reply(d.ReplyKind.PARTLY_PROVIDED, provided="清单", withheld=(d.Withheld("姓名", None, ""),))
        )
    assert set(err.value.violations) == {"reply.withheld[0].exemption", "reply.withheld[0].reason"}


@pytest.mark.parametrize(
    "exemption,article",
    [
        (d.Exemption.STATE_SECRET, 14),
        (d.Exemption.LAW_FORBIDS, 14),
        (d.Exemption.SECURITY_STABILITY, 14),
        (d.Exemption.THIRD_PARTY_RIGHTS, 15),
        (d.Exemption.INTERNAL_AFFAIRS, 16),
        (d.Exemption.PROCESS_INFORMATION, 16),
        (d.Exemption.LAW_ENFORCEMENT_FILE, 16),
    ],
)
def test_OGI14_OGI15_OGI16_exemptions_name_their_article_in_the_letter(exemption, article):
    reply = d.Reply(d.ReplyKind.NOT_DISCLOSED, exemption=exemption, reason="理由")
    reply_check(reply)
    text = "".join(d.reply_paragraphs(reply, description="x", received_on=None, agency="a", review_body="b"))
    assert f"第{article}条" in text and d.EXEMPTION_TEXT[exemption] in text


def test_OGI15_third_party_consent_removes_the_ground():
    reply = d.Reply(d.ReplyKind.NOT_DISCLOSED, exemption=d.Exemption.THIRD_PARTY_RIGHTS, reason="商业秘密")
    with pytest.raises(RuleViolation) as err:
        reply_check(reply, third_party_consented=True)
    assert err.value.rule_id == "OGI15.third-party-consented"


def test_OGI15_OGI32_disclosure_against_the_objection_needs_public_interest_and_notice():
    reply = d.Reply(d.ReplyKind.PROVIDED, provided="合同文本")
    with pytest.raises(InvalidInput) as err:
        reply_check(reply, third_party_objected=True)
    assert set(err.value.violations) == {"reply.public_interest_reason", "reply.third_party_notified_on"}
    reply_check(
        d.Reply(
            d.ReplyKind.PROVIDED,
            provided="合同文本",
            public_interest_reason="涉及公共安全",
            third_party_notified_on=date(2025, 3, 7),
        ),
        third_party_objected=True,
    )


def test_OGI36_only_a_running_application_is_replied_to():
    with pytest.raises(InvalidInput):
        reply_check(COMPLETE_REPLIES[d.ReplyKind.PROVIDED], state=d.State.AWAITING_COMPLETION)


# ---- who sees an application --------------------------------------------------------------------------


def test_applicant_sees_only_own_application_officer_sees_all():
    assert d.may_read(is_officer=False, reader_user_id="u1", is_service=False, submitted_by_user_id="u1")
    assert not d.may_read(is_officer=False, reader_user_id="u2", is_service=False, submitted_by_user_id="u1")
    assert not d.may_read(is_officer=False, reader_user_id="", is_service=False, submitted_by_user_id="")
    assert not d.may_read(
        is_officer=False, reader_user_id="portal", is_service=True, submitted_by_user_id="portal"
    )
    assert d.may_read(is_officer=True, reader_user_id="o", is_service=False, submitted_by_user_id="u1")


def test_consent_of_third_parties():
    yes = d.Consultation(d.ConsultedParty.THIRD_PARTY, date(2025, 3, 3), date(2025, 3, 4), consents=True)
    no = d.Consultation(d.ConsultedParty.THIRD_PARTY, date(2025, 3, 3), date(2025, 3, 4), consents=False)
    agency = d.Consultation(d.ConsultedParty.OTHER_AGENCY, date(2025, 3, 3), date(2025, 3, 4), consents=False)
    assert d.consent_of([yes, agency]) == (True, False)
    assert d.consent_of([yes, no]) == (False, True)
    assert d.consent_of([]) == (None, False)


# ---- art. 41: requests for correction -------------------------------------------------------------------


def test_OGI41_request_for_correction_needs_its_evidence():
    with pytest.raises(InvalidInput) as err:
        d.check_application(applicant(), request(kind=d.RequestKind.CORRECTION))
    assert set(err.value.violations) == {"evidence"}
    d.check_application(
        applicant(), request(kind=d.RequestKind.CORRECTION, evidence="营业执照副本显示法定代表人为王某")
    )


def test_OGI41_correction_gets_a_correction_reply_and_information_an_information_reply():
    with pytest.raises(InvalidInput) as err:
        reply_check(COMPLETE_REPLIES[d.ReplyKind.PROVIDED], request_kind=d.RequestKind.CORRECTION)
    assert "reply.kind" in err.value.violations
    with pytest.raises(InvalidInput):
        reply_check(COMPLETE_REPLIES[d.ReplyKind.CORRECTED], request_kind=d.RequestKind.INFORMATION)
    text = "".join(
        d.reply_paragraphs(
            COMPLETE_REPLIES[d.ReplyKind.CORRECTION_TRANSFERRED],
            description="许可证记录",
            received_on=date(2025, 3, 3),
            agency="a",
            review_body="b",
        )
    )
    assert "更正申请" in text and "资阳市市场监督管理局" in text and "第四十一条" in text


# ---- the written notices --------------------------------------------------------------------------------


def test_OGI30_OGI33_OGI35_notices_tell_the_applicant_the_dates():
    completion = "".join(
        d.completion_paragraphs(
            description="清单", received_on=date(2025, 9, 26), items="写明年份", due=date(2025, 11, 3)
        )
    )
    assert "2025年11月3日前" in completion and "写明年份。" in completion and "视为放弃申请" in completion
    extension = "".join(
        d.extension_paragraphs(
            description="清单",
            received_on=date(2025, 9, 26),
            working_days=20,
            reason="需调取档案",
            notice="特此告知",
            due=date(2025, 11, 27),
        )
    )
    assert "延长20个工作日" in extension and "2025年11月27日前" in extension and "负责人同意" in extension
    receipt = "".join(
        d.receipt_paragraphs(
            number="YSQ2026000001",
            description="清单",
            received_on=date(2026, 12, 10),
            due=date(2027, 1, 7),
            provisional=True,
        )
    )
    assert "2027年1月7日前" in receipt and "尚未公布的节假日安排" in receipt
    deferral = "".join(
        d.deferral_paragraphs(
            description="清单",
            received_on=date(2025, 9, 26),
            deferred_to=date(2025, 12, 31),
            notice="特此告知",
        )
    )
    assert "第三十五条" in deferral and "2025年12月31日前" in deferral


def test_only_an_open_application_is_withdrawn():
    d.check_withdrawal(state=d.State.AWAITING_COMPLETION, reason="")
    for state in (d.State.REPLIED, d.State.LAPSED, d.State.WITHDRAWN):
        with pytest.raises(InvalidInput):
            d.check_withdrawal(state=state, reason="")
