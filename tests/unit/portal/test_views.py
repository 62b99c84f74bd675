"""What the portal shows of a backend's answer (pure): no internal ids, no personal data of others,
organisation codes as their Chinese names."""

from services.portal import disclosure_views, views
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import applications_pb2 as apb
from zgov.petitions.v1 import petitions_pb2 as pb

CASE_ID = "3f2b8f4e-9c1d-4e7a-8b55-2f0c9a6d1e11"
USER_ID = "7a1c2d3e-0000-4000-8000-1234567890ab"


def test_a_case_shows_its_course_by_names_and_no_internal_ids():
    case = pb.Case(
        id=CASE_ID,
        number="信访-2026-000001",
        state=pb.CASE_STATE_IN_HANDLING,
        handling_body_code="education-bureau",
        body_complained_about="secret-body",
        submitted_by_user_id=USER_ID,
        channel=pb.CHANNEL_ONLINE,
        category=pb.CATEGORY_SUGGESTION,
        handling_due=pb.CalendarDayDeadline(days=60, due=common_pb2.Date(year=2026, month=12, day=1)),
        petitioners=[pb.Petitioner(name="赵小红", phone="13900002222")],
    )
    shown = views.petition_case(case, {"education-bureau": "市教育和体育局"})
    text = repr(shown)
    assert CASE_ID not in text and USER_ID not in text and "13900002222" not in text and "赵小红" not in text
    assert shown["handling_body"] == "市教育和体育局" and shown["body_complained_about"] == ""
    assert (shown["awaiting"], shown["due"]) == ("承办单位办理", "2026-12-01")
    assert shown["state"] == "承办单位办理中" and not shown["may_rate"]


def test_a_replied_case_may_be_rated_once():
    replied = pb.Case(state=pb.CASE_STATE_REPLIED, reply="已答复")
    assert views.petition_case(replied, {})["may_rate"]
    replied.satisfaction = pb.SATISFACTION_SATISFIED
    assert not views.petition_case(replied, {})["may_rate"]


def test_an_application_shows_no_applicant_details_and_no_id():
    application = apb.Application(
        id=CASE_ID,
        number="YSQ2026000001",
        state=apb.APPLICATION_STATE_REPLIED,
        applicant=apb.Applicant(name="钱多多", id_number="512002199001010011", phone="13600003333"),
        reply=apb.Reply(kind=apb.REPLY_KIND_NOT_DISCLOSED, exemption=apb.EXEMPTION_PROCESS_INFORMATION),
    )
    shown = disclosure_views.application(application)
    text = repr(shown)
    assert CASE_ID not in text and "钱多多" not in text and "512002199001010011" not in text
    assert shown["reply"]["kind"] == "不予公开" and shown["reply"]["exemption"] == "过程性信息（第十六条）"
