"""What each reader gets of a case (A71, A80), on the mapping itself: every field, every view."""

import uuid
from datetime import date

import pytest

from services.petitions.protos.cases import case_to_proto
from services.petitions.domain import View
from services.petitions.models import PetitionCase
from shared.workdays import calendar

NAME, PHONE, PERSON = "林晓梅", "13912345678", "李校长"


def _case(category, marked):
    row = PetitionCase(
        id=uuid.uuid4(),
        number="XF2025-0000001",
        channel="letter",
        category=category,
        state="reviewed",
        received_on=date(2025, 9, 1),
        title="林晓梅反映学校收费",
        content="岳阳中学违规收费。",
        petitioners=[
            {
                "name": NAME,
                "id_number": "512002198001010028",
                "phone": PHONE,
                "address": "安岳县",
                "representative": False,
            }
        ],
        group_visit=False,
        group_size=1,
        body_complained_about="education-bureau",
        person_complained_about=PERSON,
        attachments=[
            {
                "file_name": "林晓梅的收据.jpg",
                "media_type": "image/jpeg",
                "size_bytes": 1,
                "sha256": "a" * 64,
                "storage_ref": "x",
            }
        ],
        hotline_ref="",
        submitted_by_user_id="citizen-1",
        repeat_of_case_id=None,
        handling_body_code="anyue-county",
        transferred_to="",
        legal_route="",
        triage_notice="",
        handling_plan="林晓梅同志：我县将调查核实。",
        assigned_on=date(2025, 9, 2),
        accepted_on=date(2025, 9, 3),
        extension_days=0,
        replied_on=date(2025, 9, 20),
        reply="林晓梅同志：经核查，已责令退费。",
        reviews=[
            {
                "level": "review",
                "reviewing_body_code": "city-government",
                "requested_on": "2025-09-25",
                "decided_on": "2025-10-10",
                "opinion": "林晓梅同志：维持原处理意见。",
            }
        ],
        reviewing_body_codes=["city-government"],
        leader_instructions=[
            {
                "leader_user_id": "u-mayor",
                "mark_reason": "林晓梅来信",
                "instruction": "请核查林晓梅反映的问题",
            }
        ],
        objections=[
            {"body_code": "lezhi-county", "reason": "林晓梅住安岳县，不属本县", "objected_on": "2025-09-02"}
        ],
        extension_reason="",
        marked_leader_ids=list(marked),
        satisfaction="",
        current_stage="",
        current_due=None,
    )
    return row


@pytest.mark.parametrize("view", [View.FULL, View.PETITIONER])
def test_A71_full_views_show_everything(view):
    text = case_to_proto(_case("complaint_report", ()), view, calendar(), today=date(2026, 11, 26))
    assert text.petitioners[0].phone == PHONE and text.person_complained_about == PERSON
    assert text.reply and text.handling_plan and text.reviews[0].opinion and text.attachments
    assert not text.identity_redacted


@pytest.mark.parametrize(
    "category,marked,reader",
    [
        ("complaint_report", (), "u-vm"),
        ("complaint_report", ("u-mayor",), "u-mayor"),
        ("suggestion", (), "u-vm"),
    ],
)
def test_A71_A80_a_redacted_case_names_nobody_in_any_field(category, marked, reader):
    """Not the petitioner (nor in letters addressed to him or her), not the person complained about."""
    proto = case_to_proto(
        _case(category, marked), View.REDACTED, calendar(), today=date(2026, 11, 26), reader_user_id=reader
    )
    assert proto.identity_redacted
    for secret in (NAME, PHONE, "512002198001010028", PERSON, "安岳县"):
        assert secret not in str(proto)
    assert "＊＊" in proto.reply  # the reply addressed to the petitioner, masked
    # the course of the case stays readable
    assert proto.state and proto.replied_on.year == 2025 and proto.reviews[0].decided_on.year == 2025


def test_A71_a_redacted_complaint_shows_its_content_only_to_the_marked_leader():
    unmarked = case_to_proto(
        _case("complaint_report", ("u-mayor",)),
        View.REDACTED,
        calendar(),
        today=date(2026, 11, 26),
        reader_user_id="u-vm",
    )
    assert (unmarked.content, unmarked.body_complained_about, unmarked.title) == ("", "", "")
    marked = case_to_proto(
        _case("complaint_report", ("u-mayor",)),
        View.REDACTED,
        calendar(),
        today=date(2026, 11, 26),
        reader_user_id="u-mayor",
    )
    assert marked.content and marked.body_complained_about == "education-bureau"
