"""Pure rules of the `documents` service (no servers): A22-A25, A47-A53, numbers."""

from dataclasses import replace
from datetime import date

import pytest

from services.documents.domain import (
    Authority,
    Body,
    Candidate,
    Classification,
    CleanupDecision,
    Content,
    CountersignState,
    CountersignView,
    Direction,
    Disclosure,
    FilingBody,
    Kind,
    PersonalException,
    RoutingBasis,
    Sender,
    SenderCategory,
    Signer,
    SignOffMeaning,
    State,
    Urgency,
    catalogue_selects,
    check_cleanup,
    check_comment_period,
    check_content,
    check_filing_record,
    check_public_comment,
    filing_bodies_required,
    is_expired,
    check_legality_review_request,
    check_legality_reviewed,
    check_not_a_reprint,
    check_one_briefing,
    check_validity,
    check_countersign_answer,
    check_countersign_request,
    check_countersigns_settled,
    check_filing,
    check_sign_off,
    countersign_deadline,
    document_number,
    handling_deadline,
    is_countersign_overdue,
    is_overdue,
    match_signer,
    provincial_issue_due,
    route,
    sign_off_meaning,
    signers_for,
    similar_in_force,
    title_similarity,
)
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar

DEPARTMENT = Sender("education-bureau", "市教育和体育局", SenderCategory.CITY_DEPARTMENT)
CITY = Body("city-government", "资阳市人民政府")


def request(**overrides) -> Content:
    values = dict(
        kind=Kind.REQUEST,
        title="关于新建学校的请示",
        urgency=Urgency.ORDINARY,
        classification=Classification.NONE,
        matters=("新建学校",),
        main_receivers=(CITY,),
    )
    values.update(overrides)
    return Content(**values)


def rule_of(content: Content, sender: Sender = DEPARTMENT) -> str:
    with pytest.raises(RuleViolation) as err:
        check_filing(content, sender)
    return err.value.rule_id


# ---- A53 classification --------------------------------------------------------------------------

CLASSIFIED = [Classification.SECRET, Classification.CONFIDENTIAL, Classification.TOP_SECRET]


@pytest.mark.parametrize("level", CLASSIFIED)
def test_A53_classified_documents_are_refused(level):
    assert rule_of(request(classification=level)) == "A53.classified"


def test_A53_unclassified_request_with_one_matter_is_accepted():
    check_filing(request(), DEPARTMENT)


def test_classification_must_be_stated():
    with pytest.raises(InvalidInput) as err:
        check_content(request(classification=None), Direction.INCOMING)
    assert "content.classification" in err.value.violations


# ---- A47 filing rules ---------------------------------------------------------------------------


def test_A47_one_matter_request_with_two_matters_is_refused():
    with pytest.raises(RuleViolation) as err:
        check_filing(request(matters=("新建学校", "教师编制")), DEPARTMENT)
    assert err.value.rule_id == "A47.one-matter"
    assert "新建学校" in err.value.message and "教师编制" in err.value.message


def test_A47_one_matter_request_without_a_matter_is_bad_input():
    with pytest.raises(InvalidInput) as err:
        check_filing(request(matters=()), DEPARTMENT)
    assert "content.matters" in err.value.violations


def test_A47_one_matter_does_not_bind_a_notice():
    check_filing(request(kind=Kind.NOTICE, matters=("a", "b")), DEPARTMENT)


def test_A47_report_no_request_flagged_or_in_the_text():
    report = request(kind=Kind.REPORT, title="关于教育工作情况的报告", matters=())
    check_filing(report, DEPARTMENT)
    assert rule_of(replace(report, contains_request=True)) == "A47.report-no-request"
    with pytest.raises(RuleViolation) as err:
        check_filing(replace(report, body="……以上报告，妥否，请批示。"), DEPARTMENT)
    assert err.value.rule_id == "A47.report-no-request"
    assert "请批示" in err.value.message


def test_A47_multiple_receivers_for_action_refused():
    two = request(main_receivers=(CITY, Body("finance-bureau", "市财政局")))
    assert rule_of(two) == "A47.multiple-receivers"
    check_filing(request(copies=(Body("finance-bureau", "市财政局"),)), DEPARTMENT)


@pytest.mark.parametrize(
    "category",
    [
        SenderCategory.COORDINATION_BODY,
        SenderCategory.COORDINATION_BODY_OFFICE,
        SenderCategory.DEPARTMENT_ADMINISTERED_BODY,
        SenderCategory.COUNTY_DEPARTMENT,
        SenderCategory.TOWN,
    ],
)
def test_A47_sender_bodies_that_may_not_file_with_the_city_government(category):
    assert rule_of(request(), Sender("", "某机构", category)) == "A47.sender"


def test_A47_coordination_body_may_not_file_even_in_an_emergency():
    emergency = request(
        major_emergency=True, skips_level=True, skipped_body=Body("", "某部门"), copies=(Body("", "某部门"),)
    )
    assert rule_of(emergency, Sender("", "市安委会", SenderCategory.COORDINATION_BODY)) == "A47.sender"


def test_A47_skip_level_only_in_a_major_emergency():
    county = Sender("anyue-county", "安岳县人民政府", SenderCategory.COUNTY_GOVERNMENT)
    skip = request(skips_level=True, skipped_body=Body("", "某县区"), copies=(Body("", "某县区"),))
    assert rule_of(skip, county) == "A47.skip-level"


def test_A47_skip_level_in_an_emergency_must_copy_the_skipped_body():
    town = Sender("", "石羊镇人民政府", SenderCategory.TOWN)
    county = Body("anyue-county", "安岳县人民政府")
    emergency = request(
        kind=Kind.REPORT, matters=(), major_emergency=True, skips_level=True, skipped_body=county
    )
    with pytest.raises(RuleViolation) as err:
        check_filing(emergency, town)
    assert err.value.rule_id == "A47.skip-level"
    assert "安岳县人民政府" in err.value.message
    check_filing(replace(emergency, copies=(county,)), town)


def test_A47_higher_level_documents_are_not_bound_by_the_filing_rules_of_subordinates():
    province = Sender("", "四川省人民政府办公厅", SenderCategory.PROVINCIAL)
    check_filing(request(kind=Kind.NOTICE, main_receivers=(CITY, Body("", "各市州人民政府"))), province)
    assert rule_of(request(classification=Classification.SECRET), province) == "A53.classified"


# ---- A48 ---------------------------------------------------------------------------------------


def test_A48_document_to_a_leader_personally_needs_an_exception():
    personal = request(addressed_leader_user_id="u-vm1")
    assert rule_of(personal) == "A48"
    check_filing(
        replace(
            personal,
            personal_exception=PersonalException.LEADER_ASSIGNED,
            personal_exception_reason="张副市长交办",
        ),
        DEPARTMENT,
    )


def test_A48_emergency_exception_needs_an_emergency_and_classified_goes_off_platform():
    personal = request(addressed_leader_user_id="u-vm1", personal_exception_reason="x")
    assert rule_of(replace(personal, personal_exception=PersonalException.MAJOR_EMERGENCY)) == "A48"
    emergency = PersonalException.MAJOR_EMERGENCY
    check_filing(replace(personal, personal_exception=emergency, major_emergency=True), DEPARTMENT)
    classified = replace(personal, personal_exception=PersonalException.CLASSIFIED_DIRECT)
    assert rule_of(classified) == "A53.classified"


def test_A48_exception_without_reason_is_bad_input():
    unexplained = request(addressed_leader_user_id="u", personal_exception=PersonalException.FOREIGN_AFFAIRS)
    with pytest.raises(InvalidInput) as err:
        check_content(unexplained, Direction.INCOMING)
    assert "content.personal_exception_reason" in err.value.violations


# ---- A53 time limits ---------------------------------------------------------------------------


def test_A53_urgent_documents_get_a_shorter_handling_limit():
    cal = calendar()
    filed = date(2026, 11, 26)  # a Thursday
    ordinary = handling_deadline(cal, filed, Urgency.ORDINARY)[1].due
    urgent = handling_deadline(cal, filed, Urgency.URGENT)[1].due
    extra = handling_deadline(cal, filed, Urgency.EXTRA_URGENT)[1].due
    assert extra == date(2026, 11, 27) < urgent == date(2026, 12, 1) < ordinary == date(2026, 12, 10)


def test_A53_implementing_a_provincial_document_is_due_within_6_months_unless_plan_or_regulation():
    assert provincial_issue_due(date(2026, 8, 31), False) == date(2027, 2, 28)
    assert provincial_issue_due(date(2026, 3, 10), True) is None
    assert provincial_issue_due(None, False) is None


def test_A53_overdue_until_finished():
    today = date(2026, 12, 1)
    assert is_overdue(State.FILED, today, date(2026, 11, 30), None)
    assert not is_overdue(State.SIGNED, today, date(2026, 11, 30), None)
    assert is_overdue(State.DRAFT, today, None, date(2026, 11, 30))
    assert not is_overdue(State.ISSUED, today, None, date(2026, 11, 30))


# ---- A50 routing -------------------------------------------------------------------------------


def test_A50_routes_to_the_portfolio_leader_or_to_the_mayor():
    args = dict(
        sender_category=SenderCategory.CITY_DEPARTMENT,
        major_matter=False,
        leaders_instruction=False,
        portfolio_leader_user_id="vm1",
        mayor_user_id="m",
    )
    assert route(**args) == ("vm1", RoutingBasis.PORTFOLIO)
    assert route(**{**args, "major_matter": True}) == ("m", RoutingBasis.MAJOR_MATTER)
    assert route(**{**args, "leaders_instruction": True}) == ("m", RoutingBasis.LEADERS_INSTRUCTION)
    assert route(**{**args, "sender_category": SenderCategory.PROVINCIAL}) == (
        "m",
        RoutingBasis.HIGHER_LEVEL_DOCUMENT,
    )
    assert route(**{**args, "portfolio_leader_user_id": None}) == ("m", RoutingBasis.NO_PORTFOLIO)
    # A48: a document filed to a leader personally under an exception goes to that leader
    assert route(**{**args, "addressed_leader_user_id": "vm2"}) == ("vm2", RoutingBasis.ADDRESSED_LEADER)


# ---- A49 countersign ---------------------------------------------------------------------------


def test_A49_countersign_due_in_7_working_days_across_national_day():
    # Requested on Tuesday 2026-09-29 (not counted): 9-30 is the 1st working day, 10-01..10-07 is the
    # National Day holiday, 10-08, 10-09, Saturday 10-10 (a make-up working day, 调休) and 10-12..10-14
    # follow: the 7th working day is Wednesday 10-14.
    days, deadline = countersign_deadline(calendar(), date(2026, 9, 29), 0)
    assert days == 7
    assert deadline.due == date(2026, 10, 14) and not deadline.provisional


def test_A49_lead_body_may_set_another_limit():
    cal = calendar()
    assert countersign_deadline(cal, date(2026, 11, 26), 3)[1].due == date(2026, 12, 1)
    with pytest.raises(InvalidInput):
        countersign_deadline(cal, date(2026, 11, 26), 100)


def test_A49_overdue_from_the_day_after_the_last_day():
    assert not is_countersign_overdue(date(2026, 12, 7), date(2026, 12, 7))
    assert is_countersign_overdue(date(2026, 12, 7), date(2026, 12, 8))


def test_A49_objection_needs_reasons_and_is_answered_once():
    with pytest.raises(InvalidInput) as err:
        check_countersign_answer(CountersignState.REQUESTED, True, " ")
    assert "reasons" in err.value.violations
    with pytest.raises(InvalidInput):
        check_countersign_answer(CountersignState.DEEMED_AGREED, False, "")
    check_countersign_answer(CountersignState.REQUESTED, False, "")


def test_A49_countersign_request_names_other_known_bodies():
    check_countersign_request("general-office", ["finance-bureau"], ["finance-bureau"], [])
    cases = ((["general-office"], []), (["nowhere"], []), (["finance-bureau"], ["finance-bureau"]), ([], []))
    for codes, already in cases:
        with pytest.raises(InvalidInput):
            check_countersign_request("general-office", codes, ["finance-bureau", "general-office"], already)


def test_A49_open_countersigns_and_unresolved_objections_hold_the_document():
    due = date(2026, 12, 7)
    with pytest.raises(RuleViolation) as err:
        waiting = CountersignView("finance-bureau", CountersignState.REQUESTED, due)
        check_countersigns_settled([waiting], False)
    assert err.value.rule_id == "A49.countersign-open"
    objection = CountersignView("finance-bureau", CountersignState.OBJECTED, due, "超出预算")
    with pytest.raises(RuleViolation) as err:
        check_countersigns_settled([objection], False)
    assert err.value.rule_id == "A49.coordination"
    check_countersigns_settled([objection], True)
    check_countersigns_settled([CountersignView("x", CountersignState.DEEMED_AGREED, due)], False)


# ---- A51 sign-off ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authority",
    [
        Authority.TO_PROVINCIAL_GOVERNMENT,
        Authority.TO_CITY_COMMITTEE,
        Authority.MOTION_TO_PEOPLES_CONGRESS,
        Authority.GOVERNMENT_RULE,
        Authority.NORMATIVE_DOCUMENT,
        Authority.MAJOR_DEPLOYMENT,
        Authority.APPOINTMENT,
        Authority.MAJOR_SUPPORT_REQUEST,
    ],
)
def test_A51_mayor_signs_the_listed_kinds(authority):
    assert signers_for(authority) == (Signer.MAYOR,)


def test_A51_vice_mayor_in_charge_signs_other_documents_and_secretary_general_routine_ones():
    assert signers_for(Authority.GOVERNMENT_OTHER)[0] is Signer.PORTFOLIO_LEADER
    assert Signer.SECRETARY_GENERAL not in signers_for(Authority.GOVERNMENT_OTHER)
    assert signers_for(Authority.ROUTINE)[0] is Signer.SECRETARY_GENERAL


def test_A51_holder_present_signs_others_are_refused():
    mayor = Candidate(Signer.MAYOR, "mayor", "m", "m")
    assert match_signer("m", [mayor]).in_place_of_holder is False
    with pytest.raises(RuleViolation) as err:
        match_signer("vm1", [mayor])
    assert err.value.rule_id == "A51.signer"


def test_A51_acting_holder_signs_in_place_of_the_absent_mayor_and_the_mayor_does_not():
    away = Candidate(Signer.MAYOR, "mayor", "m", "evm", holder_away=True, basis="A10")
    match = match_signer("evm", [away])
    assert match.in_place_of_holder and match.candidate.holder_user_id == "m"
    with pytest.raises(RuleViolation) as err:
        match_signer("m", [away])
    assert "acting holder" in err.value.message


def test_A51_refusal_names_the_signers_not_their_ids():
    """Issue 16: "signed off by mayor: nobody (away)" named people by UUID; now by name, id in brackets."""
    away = Candidate(
        Signer.MAYOR,
        "mayor",
        "u-m",
        "",
        holder_away=True,
        basis="A10: stand-in also away",
        holder_name="王市长",
    )
    vice = Candidate(
        Signer.PORTFOLIO_LEADER, "vice-mayor", "u-vm", "u-vm", holder_name="李副市长", acting_name="李副市长"
    )
    acting = Candidate(
        Signer.MAYOR,
        "mayor",
        "u-m",
        "u-evm",
        holder_away=True,
        basis="A10",
        holder_name="王市长",
        acting_name="张常务副市长",
    )
    with pytest.raises(RuleViolation) as err:
        match_signer("u-clerk", [away, vice])
    assert err.value.message == (
        "A51.signer: signed off by mayor: nobody (王市长 [u-m] away) (A10: stand-in also away); "
        "or vice-mayor: 李副市长 [u-vm]"
    )
    with pytest.raises(RuleViolation) as err:
        match_signer("u-m", [acting])
    assert "mayor: 张常务副市长 [u-evm] acting for 王市长 [u-m] (A10)" in err.value.message
    unnamed = Candidate(Signer.MAYOR, "mayor", "u-m", "u-m")
    with pytest.raises(RuleViolation) as err:
        match_signer("u-x", [unnamed])
    assert err.value.message == "A51.signer: signed off by mayor: u-m"


def test_A51_explicit_opinion_or_circle_read():
    with pytest.raises(InvalidInput):
        check_sign_off("  ", False)
    check_sign_off("", True)
    check_sign_off("同意印发", False)


def test_A51_circle_read_means_consent_on_outgoing_and_requests_read_on_reports():
    assert sign_off_meaning(Direction.OUTGOING, Kind.NOTICE, True) is SignOffMeaning.CONSENT
    assert sign_off_meaning(Direction.INCOMING, Kind.REQUEST, True) is SignOffMeaning.CONSENT
    assert sign_off_meaning(Direction.INCOMING, Kind.REPORT, True) is SignOffMeaning.READ
    assert sign_off_meaning(Direction.INCOMING, Kind.REPORT, False) is SignOffMeaning.OPINION


# ---- numbers and outgoing content --------------------------------------------------------------


def test_document_number_format():
    assert document_number("资府发", 2019, 13) == "资府发〔2019〕13号"
    with pytest.raises(ValueError):
        document_number("资府发", 2019, 0)


def test_outgoing_document_needs_authority_and_a_plain_issuer_code():
    outgoing = request(kind=Kind.NOTICE, authority=None, issuer_code="资府发〔2026〕")
    with pytest.raises(InvalidInput) as err:
        check_content(outgoing, Direction.OUTGOING)
    assert {"content.authority", "content.issuer_code"} <= set(err.value.violations)
    assert "content.disclosure" in err.value.violations
    complete = replace(
        outgoing, authority=Authority.ROUTINE, issuer_code="资府办函", disclosure=Disclosure.PROACTIVE
    )
    check_content(complete, Direction.OUTGOING)


# ---- A52 fewer documents -----------------------------------------------------------------------


def test_A52_reprint_of_a_published_higher_level_document_is_refused():
    with pytest.raises(RuleViolation) as err:
        check_not_a_reprint(request(kind=Kind.NOTICE, reprints_published_document=True))
    assert err.value.rule_id == "A52.reprint"
    check_not_a_reprint(request(kind=Kind.NOTICE))


def test_A52_one_briefing_kind_per_department():
    check_one_briefing("教育工作简报", "市教育和体育局", [])
    check_one_briefing("教育工作简报", "市教育和体育局", ["教育工作简报"])
    with pytest.raises(RuleViolation) as err:
        check_one_briefing("体育工作动态", "市教育和体育局", ["教育工作简报"])
    assert err.value.rule_id == "A52.one-briefing"
    assert "教育工作简报" in err.value.message


def test_A52_similar_documents_in_force_are_found_closest_first():
    issued = [
        ("a", "关于加强城市供水管理的通知", None),
        ("b", "关于加强城市供水安全管理的通知", date(2027, 1, 1)),
        ("c", "关于印发资阳市政府工作规则的通知", None),
        ("d", "关于加强城市供水管理的通知", date(2026, 1, 1)),
    ]
    found = similar_in_force("关于进一步加强城市供水管理的通知", issued, date(2026, 11, 26))
    assert [doc for doc, _ in found] == ["a", "b"]  # d is no longer in force, c is unrelated
    assert found[0][1] > found[1][1] >= 0.5
    assert title_similarity("", "x") == 0.0


# ---- A21–A25 normative documents -----------------------------------------------------------------


def test_A25_normative_document_states_its_validity():
    normative = request(kind=Kind.NOTICE, authority=Authority.NORMATIVE_DOCUMENT)
    with pytest.raises(RuleViolation) as err:
        check_validity(normative, date(2026, 11, 26))
    assert err.value.rule_id == "A25.validity"
    with pytest.raises(InvalidInput):
        check_validity(replace(normative, valid_until=date(2026, 11, 26)), date(2026, 11, 26))
    check_validity(replace(normative, valid_until=date(2031, 11, 30)), date(2026, 11, 26))
    check_validity(request(kind=Kind.NOTICE, authority=Authority.ROUTINE), date(2026, 11, 26))


def test_A23_legality_review_passed_before_sign_off_of_normative_documents_and_rules():
    for authority in (Authority.NORMATIVE_DOCUMENT, Authority.GOVERNMENT_RULE):
        with pytest.raises(RuleViolation) as err:
            check_legality_reviewed(authority, None)
        assert err.value.rule_id == "A23.legality-review"
        with pytest.raises(RuleViolation):
            check_legality_reviewed(authority, {"passed": False, "opinion": "超越法定权限"})
        check_legality_reviewed(authority, {"passed": True, "opinion": "合法"})
    check_legality_reviewed(Authority.ROUTINE, None)
    with pytest.raises(InvalidInput):
        check_legality_review_request(Authority.ROUTINE, "合法")


def test_A22_draft_rule_open_for_public_comment_before_sign_off_unless_confidential():
    today = date(2026, 11, 26)
    with pytest.raises(RuleViolation) as err:
        check_public_comment(Authority.GOVERNMENT_RULE, None, "", today)
    assert err.value.rule_id == "A22.public-comment"
    with pytest.raises(RuleViolation):
        check_public_comment(Authority.GOVERNMENT_RULE, today, "", today)  # still open today
    check_public_comment(Authority.GOVERNMENT_RULE, date(2026, 11, 25), "", today)
    check_public_comment(Authority.GOVERNMENT_RULE, None, "涉及国家秘密，依法不公开征求意见", today)
    check_public_comment(Authority.NORMATIVE_DOCUMENT, None, "", today)
    with pytest.raises(InvalidInput):
        check_comment_period(Authority.GOVERNMENT_RULE, State.DRAFT, date(2026, 12, 1), today)
    check_comment_period(Authority.GOVERNMENT_RULE, State.DRAFT, date(2026, 12, 26), today)


def test_A22_A24_filing_bodies_of_rules_and_normative_documents():
    assert filing_bodies_required(Authority.GOVERNMENT_RULE) == {
        FilingBody.PROVINCIAL_GOVERNMENT,
        FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE,
    }
    standing_committee = FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE
    assert filing_bodies_required(Authority.NORMATIVE_DOCUMENT) == {standing_committee}
    with pytest.raises(RuleViolation) as err:
        check_filing_record(
            Authority.NORMATIVE_DOCUMENT, State.ISSUED, FilingBody.PROVINCIAL_GOVERNMENT, "备1", []
        )
    assert err.value.rule_id == "A24.filing-body"
    with pytest.raises(InvalidInput):
        check_filing_record(
            Authority.NORMATIVE_DOCUMENT,
            State.SIGNED,
            FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE,
            "备1",
            [],
        )
    with pytest.raises(InvalidInput):
        check_filing_record(
            Authority.NORMATIVE_DOCUMENT,
            State.ISSUED,
            FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE,
            "备1",
            [FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE.value],
        )
    check_filing_record(
        Authority.NORMATIVE_DOCUMENT,
        State.ISSUED,
        FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE,
        "资人常备〔2026〕3号",
        [],
    )


def test_A25_expired_after_the_last_valid_day():
    assert not is_expired(date(2026, 11, 26), date(2026, 11, 26))
    assert is_expired(date(2026, 11, 26), date(2026, 11, 27))
    assert not is_expired(None, date(2030, 1, 1))


def test_A24_A25_catalogue_of_the_year_and_of_those_in_force():
    def selects(authority, issued_on, valid_until, year, in_force_only=False):
        return catalogue_selects(
            authority,
            issued_on,
            valid_until,
            year=year,
            in_force_only=in_force_only,
            today=date(2026, 11, 26),
        )

    normative = Authority.NORMATIVE_DOCUMENT
    assert selects(normative, date(2026, 3, 1), date(2031, 3, 1), 2026)
    assert not selects(normative, date(2025, 3, 1), None, 2026)
    assert not selects(Authority.ROUTINE, date(2026, 3, 1), None, 2026)
    assert not selects(normative, None, None, 0, in_force_only=True)
    expired = date(2026, 11, 1)
    assert selects(normative, date(2021, 3, 1), expired, 2021)
    assert not selects(normative, date(2021, 3, 1), expired, 0, in_force_only=True)
    assert selects(Authority.GOVERNMENT_RULE, date(2021, 3, 1), None, 0, in_force_only=True)


# ---- A74 -------------------------------------------------------------------------------------------


def test_A74_speech_on_behalf_of_the_government_is_asked_by_request_and_decided_by_the_mayor():
    speech = request(
        title="关于在全省营商环境大会上代表市政府发言的请示",
        matters=("营商环境大会发言",),
        speech_on_behalf=True,
    )
    check_filing(speech, DEPARTMENT)
    assert rule_of(replace(speech, kind=Kind.REPORT, matters=())) == "A74"
    routed = route(
        sender_category=SenderCategory.CITY_DEPARTMENT,
        major_matter=False,
        leaders_instruction=False,
        portfolio_leader_user_id="vm1",
        mayor_user_id="m",
        speech_on_behalf=True,
    )
    assert routed == ("m", RoutingBasis.SPEECH_ON_BEHALF)


def test_A24_departments_file_their_normative_documents_with_the_city_government():
    filing = request(
        kind=Kind.NOTICE,
        title="关于印发中小学校服管理办法的通知",
        normative_filing=True,
        filed_document_number="资教发〔2026〕5号",
        valid_until=date(2031, 1, 1),
    )
    check_filing(filing, DEPARTMENT)
    county = Sender("anyue-county", "安岳县人民政府", SenderCategory.COUNTY_GOVERNMENT)
    assert rule_of(filing, county) == "A24.filing-body"
    assert rule_of(replace(filing, valid_until=None)) == "A25.validity"
    with pytest.raises(InvalidInput) as err:
        check_filing(replace(filing, filed_document_number=""), DEPARTMENT)
    assert "content.filed_document_number" in err.value.violations


def test_A25_clean_up_revise_repeal_or_continue_with_a_new_validity():
    today = date(2026, 11, 26)
    normative, issued = Authority.NORMATIVE_DOCUMENT, State.ISSUED
    check_cleanup(normative, issued, False, CleanupDecision.REPEAL, "上位法已废止", None, today)
    check_cleanup(normative, issued, False, CleanupDecision.CONTINUE, "仍然适用", date(2031, 12, 31), today)
    with pytest.raises(InvalidInput) as err:
        check_cleanup(normative, issued, False, CleanupDecision.CONTINUE, "", today, today)
    assert {"reason", "continue_until"} <= set(err.value.violations)
    not_applicable = (
        (Authority.ROUTINE, issued, False),
        (normative, State.SIGNED, False),
        (normative, issued, True),
    )
    for args in not_applicable:
        with pytest.raises(InvalidInput):
            check_cleanup(*args, CleanupDecision.REVISE, "需修改", None, today)
    assert not catalogue_selects(
        normative, date(2021, 3, 1), None, year=0, in_force_only=True, today=today, repealed=True
    )
