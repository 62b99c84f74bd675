"""The yearly report (政府信息公开条例 art. 49–50) in the national template's tables."""

from datetime import date

import pytest

from services.disclosure.domain import annual_report as r
from services.disclosure.domain.applications import (
    ApplicantKind,
    Exemption,
    RemedyKind,
    RemedyOutcome,
    ReplyKind,
)
from shared.errors import InvalidInput, RuleViolation

P, FIRM = ApplicantKind.NATURAL_PERSON, ApplicantKind.COMMERCIAL_ENTERPRISE
LAW = ApplicantKind.LEGAL_SERVICE_ORGANISATION


def fact(kind, received, finished=None, outcome=""):
    return r.ApplicationFact(kind, received, finished, outcome)


def test_OGI50_applications_table_counts_new_carried_over_handled_and_carried_forward():
    facts = [
        fact(P, date(2024, 12, 20), date(2025, 1, 10), "disclosed"),  # carried in, handled
        fact(P, date(2024, 12, 1), date(2024, 12, 20), "disclosed"),  # handled the year before: out
        fact(FIRM, date(2025, 3, 3), date(2025, 3, 20), "not_disclosed.third_party_rights"),
        fact(LAW, date(2025, 5, 6), date(2025, 6, 1), "other.lapsed"),
        fact(P, date(2025, 12, 22)),  # still open: carried forward
        fact(P, date(2025, 12, 29), date(2026, 1, 8), "disclosed"),  # handled next year: carried forward
        fact(P, date(2026, 1, 5)),  # next year's
    ]
    report = r.build_report(2025, r.ProactiveFigures(), facts, [])
    a = report.applications
    assert a["new"] == {
        "natural_person": 2,
        "commercial_enterprise": 1,
        "research_institution": 0,
        "social_welfare_organisation": 0,
        "legal_service_organisation": 1,
        "other_organisation": 0,
        "total": 4,
    }
    assert a["carried_in"]["natural_person"] == 1 and a["carried_in"]["total"] == 1
    assert a["disclosed"]["total"] == 1
    assert a["not_disclosed.third_party_rights"]["commercial_enterprise"] == 1
    assert a["other.lapsed"]["legal_service_organisation"] == 1
    assert a["total"]["total"] == 3 and a["carried_out"]["total"] == 2
    assert report.balances()
    assert report.publish_by == date(2026, 1, 31)  # art. 49


def test_OGI50_reviews_and_lawsuits_by_outcome():
    remedies = [
        r.RemedyFact(RemedyKind.REVIEW, date(2025, 4, 1), RemedyOutcome.UPHELD),
        r.RemedyFact(RemedyKind.REVIEW, date(2025, 9, 1), RemedyOutcome.PENDING),
        r.RemedyFact(RemedyKind.LAWSUIT_AFTER_REVIEW, date(2025, 10, 1), RemedyOutcome.CORRECTED),
        r.RemedyFact(RemedyKind.LAWSUIT_DIRECT, date(2024, 10, 1), RemedyOutcome.CORRECTED),  # other year
    ]
    t = r.build_report(2025, r.ProactiveFigures(), [], remedies).remedies
    assert t["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert t["lawsuit_after_review"]["corrected"] == 1 and t["lawsuit_direct"]["total"] == 0


@pytest.mark.parametrize(
    "kind,exemption,row",
    [
        (ReplyKind.ALREADY_PUBLISHED, None, "disclosed"),
        (ReplyKind.PROVIDED, None, "disclosed"),
        (ReplyKind.PARTLY_PROVIDED, None, "partly_disclosed"),
        (ReplyKind.NOT_DISCLOSED, Exemption.STATE_SECRET, "not_disclosed.state_secret"),
        (ReplyKind.NOT_DISCLOSED, Exemption.PROCESS_INFORMATION, "not_disclosed.process_information"),
        (ReplyKind.SPECIAL_LAW, None, "not_disclosed.administrative_inquiry"),
        (ReplyKind.DOES_NOT_EXIST, None, "unable.not_held"),
        (ReplyKind.NOT_HELD, None, "unable.not_held"),
        (ReplyKind.NEEDS_PROCESSING, None, "unable.needs_processing"),
        (ReplyKind.STILL_UNCLEAR, None, "unable.still_unclear"),
        (ReplyKind.NOT_AN_APPLICATION, None, "not_handled.petition"),
        (ReplyKind.PUBLICATION_REQUEST, None, "not_handled.publication"),
        (ReplyKind.REPEATED, None, "not_handled.repeated"),
        (ReplyKind.EXCESSIVE, None, "not_handled.excessive"),
    ],
)
def test_OGI50_each_reply_kind_has_its_template_row(kind, exemption, row):
    assert r.outcome_row(reply_kind=kind, exemption=exemption, lapsed=False) == row
    assert row in r.OUTCOME_ROWS


def test_OGI30_OGI50_lapsed_application_is_counted_under_other_handling():
    assert r.outcome_row(reply_kind=None, exemption=None, lapsed=True) == "other.lapsed"
    assert r.outcome_row(reply_kind=None, exemption=None, lapsed=False, withdrawn=True) == "other.other"


def test_OGI49_report_only_on_a_year_that_has_ended():
    r.check_report_year(2025, date(2026, 1, 5))
    with pytest.raises(RuleViolation) as err:
        r.check_report_year(2026, date(2026, 12, 31))
    assert err.value.rule_id == "OGI49.year-ended"
    with pytest.raises(InvalidInput):
        r.check_report_year(1999, date(2026, 1, 5))


def test_report_survives_its_stored_form():
    report = r.build_report(
        2025, r.ProactiveFigures(normative_made=3), [fact(P, date(2025, 2, 3))], [], overview="总体情况"
    )
    assert r.AnnualReport.from_json(report.to_json()) == report


def test_A38_the_complaint_figures_are_stored_with_the_report_and_read_back():
    figures = r.ComplaintFigures(
        received=3, answered=2, substantiated=1, not_substantiated=1, answered_late=1, open_at_end=1
    )
    assert figures.balances()
    report = r.build_report(2025, r.ProactiveFigures(), [], [], complaints=figures)
    assert r.AnnualReport.from_json(report.to_json()).complaints == figures
    # a report stored before the complaints were: none, not zeros
    earlier = {k: v for k, v in r.build_report(2025, r.ProactiveFigures(), [], []).to_json().items()}
    del earlier["complaints"]
    assert r.AnnualReport.from_json(earlier).complaints is None
    assert not r.ComplaintFigures(received=1, answered=1, substantiated=0).balances()
