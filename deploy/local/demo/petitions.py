"""The petitions storyline (信访): a letter handled to its reply, an online petition followed by query code."""

from __future__ import annotations

from datetime import date

from zgov.petitions.v1 import petitions_pb2 as pet_pb
from zgov.petitions.v1 import petitions_pb2_grpc

from deploy.local.demo.calls import MARK, Run, Story, pages, working_days_from
from shared.convert import date_to_proto

LETTER_TITLE = f"{MARK}小区路灯长期不亮"
ONLINE_TITLE = f"{MARK}建议增设安岳至乐至公交线路"
ONLINE_KEY = "zgov-demo-month-online-petition"


def petitions(run: Run) -> Story:
    """A letter received four weeks ago and handled to its reply; a citizen's online suggestion today,
    assigned and acknowledged, followed by its query code."""
    story = Story(
        "petitions (信访: a letter handled to its reply, an online petition followed by query code)"
    )
    p = run.platform
    stub = p.stub(petitions_pb2_grpc.PetitionsServiceStub, "zgov.petitions.v1.PetitionsService")
    found = [
        c
        for c in pages(stub.ListCases, pet_pb.ListCasesRequest(), p.as_user("petition-officer"), "cases")
        if c.title.startswith(MARK)
    ]
    if found:
        story.found(len(found) == 2, "one of the two petitions")
    else:
        _letter(run, stub, story)
        _online(run, stub, story)
    code = run.notes.get("petition_query_code")
    portal = p.portal_url or "the portal's"
    story.where.append(
        f"follow the online petition at {portal}/petitions/follow with query code {code}"
        if code
        else f"follow the online petition at {portal}/petitions/follow (its query code was printed by the first run)"
    )
    return story


def _letter(run: Run, stub, story: Story) -> None:
    p, today = run.platform, run.today
    received = working_days_from(today, -20)
    triaged, acknowledged, replied = (working_days_from(received, n) for n in (2, 4, 12))
    case = stub.RegisterCase(
        pet_pb.RegisterCaseRequest(
            intake=pet_pb.Intake(
                channel=pet_pb.CHANNEL_LETTER,
                received_on=date_to_proto(received),
                category=pet_pb.CATEGORY_REQUEST_APPEAL,
                title=LETTER_TITLE,
                content="安岳县岳阳镇某小区路灯两个月不亮，夜间出行不便，请尽快维修。",
                petitioners=[pet_pb.Petitioner(name="林晓梅", phone="13912345678", address="安岳县岳阳镇")],
            )
        ),
        metadata=p.as_user("petition-officer"),
    ).case
    _assign_and_acknowledge(run, stub, case.id, triaged, acknowledged)
    stub.ReplyCase(
        pet_pb.ReplyCaseRequest(
            case_id=case.id, reply="已维修完毕，路灯恢复照明。", replied_on=date_to_proto(replied)
        ),
        metadata=p.as_user("county-head"),
    )
    story.made.append(
        f"letter {case.number} received {received}, assigned {triaged}, acknowledged {acknowledged}, replied {replied}"
    )


def _assign_and_acknowledge(run: Run, stub, case_id: str, triaged: date, acknowledged: date) -> None:
    p = run.platform
    stub.TriageCase(
        pet_pb.TriageCaseRequest(
            case_id=case_id,
            outcome=pet_pb.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
            handling_body_code="anyue-county",
            triaged_on=date_to_proto(triaged),
        ),
        metadata=p.as_user("petition-officer"),
    )
    stub.AcknowledgeCase(
        pet_pb.AcknowledgeCaseRequest(
            case_id=case_id,
            handling_plan="调查核实，按期书面答复",
            acknowledged_on=date_to_proto(acknowledged),
        ),
        metadata=p.as_user("county-head"),
    )


def _online(run: Run, stub, story: Story) -> None:
    p = run.platform
    filed = stub.SubmitPetition(
        pet_pb.SubmitPetitionRequest(
            intake=pet_pb.Intake(
                category=pet_pb.CATEGORY_SUGGESTION,
                title=ONLINE_TITLE,
                content="建议增设安岳至乐至的公交线路，方便群众出行。",
                petitioners=[pet_pb.Petitioner(name="林市民", phone="13700001111")],
            ),
            idempotency_key=ONLINE_KEY,
        ),
        metadata=p.as_user("citizen"),
    )
    if filed.query_code:
        run.notes.put("petition_query_code", filed.query_code)
    _assign_and_acknowledge(run, stub, filed.case.id, run.today, run.today)
    story.made.append(
        f"online petition {filed.case.number} submitted by a citizen today, assigned and acknowledged"
    )
    story.notes.append("an online petition is received the day it is submitted: today")
