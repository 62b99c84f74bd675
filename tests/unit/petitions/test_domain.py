"""Pure rules of the `petitions` service (no servers): A71 and the 信访工作条例 (2022) limits."""

import hashlib
from datetime import date

import pytest

from services.petitions import domain
from services.petitions.domain import (
    Attachment,
    CaseState,
    Category,
    Channel,
    EarlierCase,
    Intake,
    Petitioner,
    Reader,
    Stage,
    Triage,
    TriageOutcome,
    View,
)
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar

CAL = calendar()
TODAY = date(2026, 11, 26)
SECRET = b"test-secret"


def intake(**overrides) -> Intake:
    args = dict(
        channel=Channel.LETTER,
        received_on=date(2025, 9, 16),
        category=Category.COMPLAINT_REPORT,
        title="学校乱收费",
        content="某校以资料费名义收取费用。",
        petitioners=[Petitioner("林市民", phone="13800000000")],
        body_complained_about="education-bureau",
    )
    args.update(overrides)
    return Intake(**args)


# ---- deadlines in calendar days, carried over rest days (A71) ----------------------------------------


def test_A71_triage_limit_15_days_carried_over_national_day_2025():
    """Received 16 Sep 2025: day 15 is 1 Oct, the first day of the National Day holiday
    (1-8 Oct 2025); the limit ends on the next working day, 9 Oct."""
    limit = domain.triage_deadline(date(2025, 9, 16), CAL)
    assert (limit.due, limit.moved_to_working_day, limit.provisional) == (date(2025, 10, 9), True, False)


def test_A71_limit_ending_on_a_make_up_working_sunday_stays_there():
    """28 Sep 2025 is a Sunday made into a working day (调休上班): a limit may end on it."""
    limit = domain.triage_deadline(date(2025, 9, 13), CAL)
    assert (limit.due, limit.moved_to_working_day) == (date(2025, 9, 28), False)


def test_A71_limit_ending_on_a_saturday_moves_to_the_next_working_day():
    limit = domain.acknowledgement_deadline(date(2025, 9, 12), CAL)  # +15 = Sat 27 Sep
    assert (limit.due, limit.moved_to_working_day) == (date(2025, 9, 28), True)


def test_A71_limit_on_an_ordinary_weekday_is_the_plain_count():
    limit = domain.triage_deadline(date(2025, 11, 3), CAL)
    assert (limit.due, limit.moved_to_working_day) == (date(2025, 11, 18), False)


def test_A71_limit_in_a_year_without_schedule_is_provisional():
    limit = domain.triage_deadline(date(2030, 3, 1), CAL)
    assert limit.provisional
    assert CAL.is_working_day(limit.due)


def test_A71_handling_limit_60_days_extension_30():
    accepted = date(2025, 8, 2)
    plain = domain.handling_deadline(accepted, CAL)
    assert plain.due == date(2025, 10, 9)  # day 60 is 1 Oct 2025, a holiday
    extended = domain.handling_deadline(accepted, CAL, extension_days=30)
    assert (extended.due, extended.days) == (date(2025, 10, 31), 90)


def test_A71_objection_within_5_working_days_skips_the_holiday_and_counts_the_make_up_sunday():
    # Assigned Fri 26 Sep 2025: Sun 28 (worked), Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
    assert domain.objection_deadline(date(2025, 9, 26), CAL).due == date(2025, 10, 10)


def test_A71_review_windows_are_30_days():
    assert domain.review_request_deadline(date(2025, 9, 1), CAL).due == date(2025, 10, 9)  # 1 Oct → 9 Oct
    assert domain.review_answer_deadline(date(2025, 11, 3), CAL).due == date(2025, 12, 3)


def test_A71_overdue_the_day_after_the_limit_ends():
    assert not domain.is_overdue(date(2025, 10, 9), date(2025, 10, 9))
    assert domain.is_overdue(date(2025, 10, 9), date(2025, 10, 10))
    assert not domain.is_overdue(None, date(2025, 10, 10))


def test_A71_the_limit_that_runs_follows_the_state():
    dues = dict(
        triage_due=date(2025, 1, 1),
        acknowledgement_due=date(2025, 2, 1),
        handling_due=date(2025, 3, 1),
        review_due=date(2025, 4, 1),
    )
    assert domain.current_limit(CaseState.REGISTERED, **dues) == (Stage.TRIAGE, date(2025, 1, 1))
    assert domain.current_limit(CaseState.ASSIGNED, **dues) == (Stage.ACKNOWLEDGEMENT, date(2025, 2, 1))
    assert domain.current_limit(CaseState.IN_HANDLING, **dues) == (Stage.HANDLING, date(2025, 3, 1))
    assert domain.current_limit(CaseState.UNDER_RE_REVIEW, **dues) == (Stage.RE_REVIEW, date(2025, 4, 1))
    assert domain.current_limit(CaseState.REPLIED, **dues) is None
    assert domain.current_limit(CaseState.LINKED, **dues) is None


# ---- intake -------------------------------------------------------------------------------------------


def test_intake_reports_every_bad_field_without_echoing_personal_data():
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(
            intake(
                channel=None,
                title="",
                content="",
                received_on=date(2026, 12, 1),
                petitioners=[Petitioner("", phone="call-me-13800000000")],
            ),
            TODAY,
        )
    v = err.value.violations
    assert {
        "intake.channel",
        "intake.title",
        "intake.content",
        "intake.received_on",
        "intake.petitioners[0].name",
        "intake.petitioners[0].phone",
    } <= set(v)
    assert "13800000000" not in err.value.message


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16


def _zip(names: list[str]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def test_intake_limits_attachments_in_number_size_and_type():
    big = Attachment("诉状.pdf", "application/pdf", b"%PDF-" + b"0" * domain.MAX_ATTACHMENT_BYTES)
    exe = Attachment("../x.exe", "application/x-msdownload", b"MZ\x90\x00")
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=[big, exe]), TODAY)
    assert {
        "intake.attachments[0].content",
        "intake.attachments[1].media_type",
        "intake.attachments[1].file_name",
    } <= set(err.value.violations)
    many = [
        Attachment(f"{i}.txt", "text/plain", f"第{i}页".encode()) for i in range(domain.MAX_ATTACHMENTS + 1)
    ]
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=many), TODAY)
    assert set(err.value.violations) == {"intake.attachments"}


def test_intake_attachments_total_is_capped():
    half = domain.MAX_ATTACHMENTS_TOTAL_BYTES // 2
    files = [Attachment(f"{i}.txt", "text/plain", bytes([65 + i]) * half) for i in range(3)]
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=files), TODAY)
    assert "intake.attachments" in err.value.violations


def test_intake_accepts_the_allowed_types_whose_bytes_match():
    docx = _zip(["[Content_Types].xml", "word/document.xml"])
    ofd = _zip(["OFD.xml", "Doc_0/Document.xml"])
    files = [
        Attachment("收据.png", "image/png", PNG_BYTES),
        Attachment("诉状.pdf", "application/pdf", PDF_BYTES),
        Attachment("照片.jpg", "image/jpg", JPEG_BYTES),
        Attachment("说明.txt", "text/plain; charset=utf-8", "情况说明\r\n第二行".encode()),
        Attachment("说明-gbk.txt", "text/plain", "情况说明".encode("gb18030")),
        Attachment("信.docx", domain.DOCX, docx),
        Attachment("文件.ofd", "application/ofd", ofd),
    ]
    domain.check_intake(intake(attachments=files), TODAY)


def test_intake_attachment_type_is_checked_against_the_bytes_not_the_name():
    """A renamed executable claiming to be an image, an empty file, a macro document, a zip posing as
    Word, binary junk as text: each refused with a field violation naming the file."""
    macro = _zip(["[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"])
    files = [
        Attachment("photo.png", "image/png", b"MZ\x90\x00\x03"),
        Attachment("空.pdf", "application/pdf", b""),
        Attachment("宏.docx", domain.DOCX, macro),
        Attachment("a.docx", domain.DOCX, _zip(["a.txt"])),
        Attachment("junk.txt", "text/plain", b"ab\x00\x01cd"),
    ]
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=files), TODAY)
    violations = err.value.violations
    assert {f"intake.attachments[{i}].content" for i in range(5)} <= set(violations)
    assert "empty" in violations["intake.attachments[1].content"]


def test_intake_attachment_declared_size_and_digest_must_match_the_bytes():
    good = Attachment(
        "收据.png",
        "image/png",
        PNG_BYTES,
        declared_size=len(PNG_BYTES),
        declared_sha256=hashlib.sha256(PNG_BYTES).hexdigest(),
    )
    domain.check_intake(intake(attachments=[good]), TODAY)
    bad = Attachment("收据.png", "image/png", PNG_BYTES, declared_size=5, declared_sha256="ab" * 32)
    twice = Attachment("again.png", "image/png", PNG_BYTES)
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=[bad, twice]), TODAY)
    assert {
        "intake.attachments[0].size_bytes",
        "intake.attachments[0].sha256",
        "intake.attachments[1].content",
    } <= set(err.value.violations)


def test_A71_redacted_search_text_masks_people_and_leaves_out_complaints():
    people = [{"name": "林晓梅", "phone": "13912345678", "id_number": "", "address": "安岳县岳阳镇"}]
    text = domain.redacted_searchable_text(
        Category.SUGGESTION, "建议林晓梅家门口修路", "电话13912345678，住安岳县岳阳镇", people, "王主任"
    )
    assert "林晓梅" not in text and "13912345678" not in text and "安岳县岳阳镇" not in text
    assert "修路" in text
    assert domain.redacted_searchable_text(Category.COMPLAINT_REPORT, "举报校长", "收费", people) == ""


def test_intake_hotline_transfer_names_its_ticket():
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(channel=Channel.HOTLINE_TRANSFER), TODAY)
    assert "intake.hotline_ref" in err.value.violations
    domain.check_intake(intake(channel=Channel.HOTLINE_TRANSFER, hotline_ref="12345-2025-0001"), TODAY)


def group(people):
    return intake(channel=Channel.VISIT, group_visit=True, group_size=30, petitioners=people)


def test_A71_group_visit_names_representatives_at_most_5():
    people = [Petitioner(f"村民{i}", representative=i < 6) for i in range(8)]
    with pytest.raises(RuleViolation) as err:
        domain.check_intake(group(people), TODAY)
    assert err.value.rule_id == "A71.representatives"
    with pytest.raises(RuleViolation):
        domain.check_intake(group([Petitioner("甲"), Petitioner("乙")]), TODAY)
    domain.check_intake(group(people[1:]), TODAY)


def test_group_visit_is_a_visit():
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(
            intake(group_visit=True, group_size=3, petitioners=[Petitioner("甲", representative=True)]), TODAY
        )
    assert "intake.group_visit" in err.value.violations


# ---- repeat petitions ------------------------------------------------------------------------------------


def test_A71_person_keys_recognise_the_same_person_and_disclose_nobody():
    a = domain.person_keys([Petitioner("林 市民", id_number="51200219800101001x")], SECRET)
    b = domain.person_keys([Petitioner("林市民", id_number="51200219800101001X", phone="1")], SECRET)
    assert a == b and len(a) == 1
    assert "51200219800101001" not in a[0]
    c = domain.person_keys([Petitioner("林市民", phone="138-0000-0000")], SECRET)
    d = domain.person_keys([Petitioner("林市民", phone="13800000000")], SECRET)
    assert c == d
    assert domain.person_keys([Petitioner("林市民")], SECRET) == []  # a name alone recognises nobody
    assert domain.person_keys([Petitioner("林市民", phone="13800000000")], b"other") != d


def earlier(
    case_id, state, keys=("k1",), category=Category.COMPLAINT_REPORT, body="education-bureau", repeat=""
):
    return EarlierCase(case_id, state, category, body, frozenset(keys), repeat)


def test_A71_repeat_petition_on_an_open_matter_is_linked_not_counted_twice():
    cases = [
        earlier("c0", CaseState.NOT_ACCEPTED),
        earlier("c1", CaseState.IN_HANDLING),
        earlier("c2", CaseState.LINKED, repeat="c1"),
    ]
    found = domain.find_same_matter(cases, ["k1", "k9"], Category.COMPLAINT_REPORT, "education-bureau")
    assert found.case_id == "c1" and domain.links_as_repeat(found.state)


def test_A71_another_matter_or_another_person_is_not_a_repeat():
    cases = [earlier("c1", CaseState.IN_HANDLING)]
    assert domain.find_same_matter(cases, ["k2"], Category.COMPLAINT_REPORT, "education-bureau") is None
    assert domain.find_same_matter(cases, ["k1"], Category.SUGGESTION, "education-bureau") is None
    assert domain.find_same_matter(cases, ["k1"], Category.COMPLAINT_REPORT, "transport-bureau") is None
    assert domain.find_same_matter(cases, [], Category.COMPLAINT_REPORT, "education-bureau") is None


def test_A71_petition_after_re_review_is_found_but_not_linked():
    found = domain.find_same_matter(
        [earlier("c1", CaseState.RE_REVIEWED)], ["k1"], Category.COMPLAINT_REPORT, "education-bureau"
    )
    assert found.case_id == "c1" and not domain.links_as_repeat(found.state)


# ---- triage ----------------------------------------------------------------------------------------------


def triage(t: Triage, **overrides):
    args = dict(
        state=CaseState.REGISTERED,
        body_complained_about="education-bureau",
        earlier_state=None,
        triaged_on=date(2025, 9, 20),
        received_on=date(2025, 9, 16),
        today=TODAY,
    )
    args.update(overrides)
    domain.check_triage(t, **args)


def test_A71_triage_accepts_and_assigns_to_a_body_other_than_the_one_complained_about():
    triage(Triage(TriageOutcome.ACCEPT_AND_ASSIGN, handling_body_code="anyue-county"))
    with pytest.raises(RuleViolation) as err:
        triage(Triage(TriageOutcome.ACCEPT_AND_ASSIGN, handling_body_code="education-bureau"))
    assert err.value.rule_id == "A71.complained-body"


def test_A71_transfer_and_legal_route_tell_the_petitioner():
    with pytest.raises(InvalidInput) as err:
        triage(Triage(TriageOutcome.LEGAL_ROUTE))
    assert {"legal_route", "notice"} <= set(err.value.violations)
    triage(
        Triage(TriageOutcome.LEGAL_ROUTE, legal_route=domain.LegalRoute.LITIGATION, notice="请向人民法院起诉")
    )
    with pytest.raises(InvalidInput) as err:
        triage(Triage(TriageOutcome.TRANSFER, notice="已转送"))
    assert "transfer_to" in err.value.violations


def test_triage_only_of_a_registered_case_and_not_before_receipt():
    with pytest.raises(InvalidInput):
        triage(Triage(TriageOutcome.NOT_ACCEPT, notice="x"), state=CaseState.LINKED)
    with pytest.raises(InvalidInput) as err:
        triage(Triage(TriageOutcome.NOT_ACCEPT, notice="x"), triaged_on=date(2025, 9, 1))
    assert "triaged_on" in err.value.violations


def test_A71_no_third_time_after_re_review_unless_new_facts():
    t = Triage(TriageOutcome.ACCEPT_AND_ASSIGN, handling_body_code="anyue-county")
    with pytest.raises(RuleViolation) as err:
        triage(t, earlier_state=CaseState.RE_REVIEWED)
    assert err.value.rule_id == "A71.no-third-time"
    triage(
        Triage(TriageOutcome.NOT_ACCEPT, notice="复核意见已作出，不再受理"),
        earlier_state=CaseState.RE_REVIEWED,
    )
    triage(
        Triage(
            TriageOutcome.ACCEPT_AND_ASSIGN,
            handling_body_code="anyue-county",
            new_facts_and_reasons="新的证据：2026年收费票据",
        ),
        earlier_state=CaseState.RE_REVIEWED,
    )


# ---- the assigned body -----------------------------------------------------------------------------------


def test_A71_objection_within_5_working_days():
    due = domain.objection_deadline(date(2025, 9, 26), CAL)
    args = dict(
        state=CaseState.ASSIGNED,
        assigned_on=date(2025, 9, 26),
        today=TODAY,
        reason="不属本单位职权",
        objection_due=due,
    )
    domain.check_objection(objected_on=date(2025, 10, 10), **args)
    with pytest.raises(RuleViolation) as err:
        domain.check_objection(objected_on=date(2025, 10, 11), **args)
    assert err.value.rule_id == "A71.objection-5-working-days"
    with pytest.raises(InvalidInput):
        domain.check_objection(objected_on=date(2025, 10, 9), **{**args, "reason": " "})


def test_acknowledgement_needs_the_plan_and_an_assigned_case():
    args = dict(assigned_on=date(2025, 9, 26), acknowledged_on=date(2025, 9, 30), today=TODAY)
    domain.check_acknowledgement(state=CaseState.ASSIGNED, handling_plan="调查核实后答复", **args)
    with pytest.raises(InvalidInput):
        domain.check_acknowledgement(state=CaseState.ASSIGNED, handling_plan="", **args)
    with pytest.raises(InvalidInput):
        domain.check_acknowledgement(state=CaseState.REGISTERED, handling_plan="x", **args)


def extension(**overrides):
    args = dict(
        state=CaseState.IN_HANDLING,
        already_extended=False,
        days=30,
        reason="情况复杂，需现场核查",
        notice_sent_on=date(2025, 10, 1),
        handling_due=date(2025, 10, 9),
        accepted_on=date(2025, 8, 2),
        today=date(2025, 10, 5),
    )
    args.update(overrides)
    domain.check_extension(**args)


def test_A71_extension_once_by_at_most_30_days_with_reason_and_notice():
    extension()
    with pytest.raises(RuleViolation) as err:
        extension(days=31)
    assert err.value.rule_id == "A71.extension-30-days"
    with pytest.raises(RuleViolation) as err:
        extension(already_extended=True)
    assert err.value.rule_id == "A71.extension-once"
    with pytest.raises(InvalidInput) as err:
        extension(reason="", notice_sent_on=None)
    assert {"reason", "notice_sent_on"} <= set(err.value.violations)
    with pytest.raises(RuleViolation) as err:
        extension(today=date(2025, 10, 10), notice_sent_on=date(2025, 10, 10))
    assert err.value.rule_id == "A71.extension-within-limit"


# ---- review and re-review --------------------------------------------------------------------------------


def review(**overrides):
    args = dict(
        state=CaseState.REPLIED,
        answered_on=date(2025, 9, 1),
        requested_on=date(2025, 10, 9),
        today=TODAY,
        reviewing_body_code="city-government",
        earlier_bodies=["anyue-county"],
        body_complained_about="education-bureau",
        cal=CAL,
    )
    args.update(overrides)
    return domain.check_review_request(**args)


def test_A71_review_within_30_days_of_the_reply_carried_over_the_holiday():
    # 30 days after 1 Sep 2025 is 1 Oct (holiday): the window stays open until 9 Oct.
    assert review() is domain.ReviewLevel.REVIEW
    with pytest.raises(RuleViolation) as err:
        review(requested_on=date(2025, 10, 10))
    assert err.value.rule_id == "A71.review-30-days"


def test_A71_re_review_follows_review_one_level_further():
    assert (
        review(
            state=CaseState.REVIEWED,
            reviewing_body_code="provincial-petition-bureau",
            earlier_bodies=["anyue-county", "city-government"],
        )
        is domain.ReviewLevel.RE_REVIEW
    )
    with pytest.raises(RuleViolation) as err:
        review(state=CaseState.REVIEWED, earlier_bodies=["anyue-county", "city-government"])
    assert err.value.rule_id == "A71.review-one-level-up"


def test_A71_no_third_time_no_review_after_re_review():
    with pytest.raises(RuleViolation) as err:
        review(state=CaseState.RE_REVIEWED)
    assert err.value.rule_id == "A71.no-third-time"
    with pytest.raises(InvalidInput):
        review(state=CaseState.IN_HANDLING)


def test_A71_review_never_goes_to_the_body_complained_about():
    with pytest.raises(RuleViolation) as err:
        review(reviewing_body_code="education-bureau")
    assert err.value.rule_id == "A71.complained-body"


# ---- leaders, satisfaction -------------------------------------------------------------------------------


def test_A71_only_the_marked_leader_instructs():
    domain.check_instruction(
        marked_leader_ids=["u-mayor"],
        caller_user_id="u-mayor",
        instruction="请教育局核实",
        due=None,
        today=TODAY,
    )
    with pytest.raises(RuleViolation) as err:
        domain.check_instruction(
            marked_leader_ids=["u-mayor"], caller_user_id="u-vm", instruction="x", due=None, today=TODAY
        )
    assert err.value.rule_id == "A71.leader-marked"


def test_rating_once_after_the_reply():
    satisfied = domain.Satisfaction.SATISFIED
    domain.check_rating(state=CaseState.REPLIED, already_rated=False, satisfaction=satisfied)
    with pytest.raises(InvalidInput):
        domain.check_rating(
            state=CaseState.IN_HANDLING, already_rated=False, satisfaction=domain.Satisfaction.SATISFIED
        )
    with pytest.raises(InvalidInput):
        domain.check_rating(state=CaseState.REPLIED, already_rated=True, satisfaction=satisfied)


# ---- who sees what ---------------------------------------------------------------------------------------


def reader(org, *, bureau=False, handle=False, review_=False, oversees=False, user="u1"):
    return Reader(org, user, bureau, handle, review_, oversees)


def view(r, submitted_by=""):
    return domain.case_view(
        r,
        body_complained_about="education-bureau",
        handling_body_code="anyue-county",
        reviewing_body_codes=["city-government"],
        submitted_by_user_id=submitted_by,
    )


def test_A71_A80_identity_only_to_the_bureau_and_the_assigned_body():
    assert view(reader("petition-bureau", bureau=True)) is View.FULL
    assert view(reader("anyue-county", handle=True)) is View.FULL
    assert view(reader("city-government", review_=True)) is View.FULL
    assert view(reader("city-government", oversees=True)) is View.REDACTED
    assert view(reader("transport-bureau", handle=True)) is View.NONE
    assert view(reader("", user="citizen-1"), submitted_by="citizen-1") is View.PETITIONER


def test_A71_the_body_complained_about_never_sees_the_case():
    assert view(reader("education-bureau", handle=True, review_=True, oversees=True)) is View.NONE


def test_A71_a_redacted_complaint_shows_its_content_only_to_the_marked_leader():
    assert not domain.redacted_view_shows_report(Category.COMPLAINT_REPORT, ["u-mayor"], "u-vm")
    assert domain.redacted_view_shows_report(Category.COMPLAINT_REPORT, ["u-mayor"], "u-mayor")
    assert domain.redacted_view_shows_report(Category.SUGGESTION, [], "u-vm")


def test_A71_A80_free_text_masks_the_names_numbers_and_addresses_of_the_case():
    terms = domain.personal_terms(
        [{"name": "林晓梅", "phone": "13912345678", "address": "安岳县岳阳镇一号", "id_number": ""}], "李校长"
    )
    masked = domain.mask_personal("林晓梅（13912345678，住安岳县岳阳镇一号）反映李校长收费", terms)
    assert masked == "＊＊（＊＊，住＊＊）反映＊＊收费"
    assert domain.mask_personal("无关内容", terms) == "无关内容"


@pytest.mark.parametrize(
    "name",
    [
        "说明.hta",
        "run.vbs",
        "a.bat",
        "a.cmd",
        "x.js",
        "page.html",
        "page.htm",
        "p.ps1",
        "s.exe",
        "s.scr",
        "说明",
        "说明.txt.",
        "说明.pdf",
    ],
)
def test_attachment_extension_must_fit_its_checked_type(name):
    """Closes: a script whose bytes pass as plain text (an .hta, .js, .html, .bat…) was kept under its
    name and downloaded as a runnable file; so was a text file named .pdf or with no extension."""
    script = Attachment(
        name, "text/plain", b"<script>new ActiveXObject('WScript.Shell').Run('calc')</script>"
    )
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=[script]), TODAY)
    assert "intake.attachments[0].file_name" in err.value.violations


@pytest.mark.parametrize("name", ["\u202egpj.exe", "a\u2066b.txt", "a\u200fb.txt", "a\x85.txt"])
def test_attachment_names_with_bidirectional_or_control_characters_are_refused(name):
    """Closes: only C0 controls were refused; a right-to-left override made "\u202egpj.exe" show as
    "exe.jpg" in the bureau's file list."""
    with pytest.raises(InvalidInput) as err:
        domain.check_intake(intake(attachments=[Attachment(name, "text/plain", "情况说明".encode())]), TODAY)
    assert "intake.attachments[0].file_name" in err.value.violations


def test_A71_masking_finds_identity_however_it_is_written():
    """Closes: masking matched only the exact strings recorded, so '138 1234-5678', full-width digits,
    a name written with spaces or a part of the address went through a leader's instruction unmasked."""
    terms = domain.personal_terms(
        [
            {
                "name": "王建国",
                "phone": "13812345678",
                "id_number": "51200119800101123X",
                "address": "雁江区和平路12号3栋",
            }
        ]
    )
    for text in (
        "王 建 国来信",
        "电话138 1234-5678",
        "电话１３８１２３４５６７８",
        "身份证51200119800101123x",
        "住和平路１２号３栋",
        "住和平路附近",
        "王，建国",
    ):
        masked = domain.mask_personal(text, terms)
        assert domain.MASK in masked, text
        assert not any(part in masked for part in ("建国", "5678", "５６７８", "和平路", "123x")), masked
    assert domain.mask_personal("9月12号办结", terms) == "9月12号办结"  # a date is not an address part


def test_A71_the_bureau_never_reads_a_case_about_itself():
    """Closes: case_view gave the bureau the full case even when the bureau was the body complained about."""
    bureau = domain.Reader(
        organisation_code="petition-bureau",
        user_id="u",
        is_bureau=True,
        may_handle=True,
        may_review=True,
        oversees=True,
    )
    view = domain.case_view(
        bureau,
        body_complained_about="petition-bureau",
        handling_body_code="general-office",
        reviewing_body_codes=(),
        submitted_by_user_id="",
    )
    assert view is domain.View.NONE
    assert domain.routed_above("petition-bureau", {"petition-bureau": "general-office"}) == "general-office"
    assert domain.routed_above("education-bureau", {"petition-bureau": "general-office"}) == ""
