"""People's congress suggestions and CPPCC proposals (A67) through gRPC against real Keycloak, PostgreSQL,
org and NATS; a reply becomes one disclosure publication through real NATS (the disclosure service runs
in-process on the supervision test's NATS).

department-head heads education-bureau (a city department), county-head heads anyue-county.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa

from services.disclosure.__main__ import build as build_disclosure
from services.disclosure.config import DisclosureSettings
from services.supervision.domain.proposals import add_months
from shared.convert import date_from_proto, date_to_proto as d
from shared.db import create_engine
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.org import serving
from tests.fixtures.polling import eventually
from tests.fixtures.rpc import rpc_error
from tests.fixtures.streams import consumer_settled
from zgov.disclosure.v1 import publications_pb2 as dpb
from zgov.disclosure.v1 import publications_pb2_grpc
from zgov.events.v1 import envelope_pb2
from zgov.supervision.v1 import proposals_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
PHONE = "13912345678"
ADDRESS = "雁江区和平路88号"
SESSION = "资阳市第五届人民代表大会第三次会议"


def registration(
    number: str = "0123", kind=pb.PROPOSAL_KIND_NPC_SUGGESTION, **fields
) -> pb.RegisterProposalRequest:
    return pb.RegisterProposalRequest(
        **{
            "kind": kind,
            "session": SESSION,
            "number": number,
            "title": "关于改善城区学校周边停车的建议",
            "content": "建议在学校周边增设临时停车位。",
            "proposers": [
                pb.Proposer(
                    name="张明",
                    contact=pb.ProposerContact(phone=PHONE, address=ADDRESS, work_unit="资阳某公司"),
                ),
                pb.Proposer(name="李华"),
            ],
            **fields,
        }
    )


async def test_A67_a_suggestion_is_assigned_replied_graded_rated_and_reopened_once(supervision):
    s = supervision
    api = s.proposals
    office = s.as_user("supervision-officer")

    bad = await rpc_error(
        api.RegisterProposal(registration(number=" ", kind=0, proposers=[]), metadata=office)
    )
    assert {"kind", "number", "proposers"} <= set(field_violations_of(bad))
    not_office = await rpc_error(api.RegisterProposal(registration(), metadata=s.as_user("department-head")))
    assert not_office.code() == grpc.StatusCode.PERMISSION_DENIED

    p = await api.RegisterProposal(registration(), metadata=office)
    assert (p.state, p.proposers[0].contact.phone) == (pb.PROPOSAL_STATE_REGISTERED, PHONE)
    twice = await rpc_error(api.RegisterProposal(registration(), metadata=office))
    assert rule_id_of(twice) == "A67.once"

    not_a_leader = await rpc_error(
        api.AssignProposal(
            pb.AssignProposalRequest(
                proposal_id=p.id,
                lead_body_code="education-bureau",
                lead_leader_user_id=s.user_id("department-head"),
            ),
            metadata=office,
        )
    )
    assert "lead_leader_user_id" in field_violations_of(not_a_leader)
    p = await api.AssignProposal(
        pb.AssignProposalRequest(
            proposal_id=p.id,
            lead_body_code="education-bureau",
            co_body_codes=["anyue-county"],
            lead_leader_user_id=s.user_id("vice-mayor-1"),
        ),
        metadata=office,
    )
    assert p.state == pb.PROPOSAL_STATE_ASSIGNED
    assert date_from_proto(p.due, "due") == add_months(TODAY, 3)

    # A67: at most 6 months after assignment, with the office's approval and a reason
    too_long = await rpc_error(
        api.ExtendProposal(
            pb.ExtendProposalRequest(proposal_id=p.id, due=d(add_months(TODAY, 7)), reason="涉及规划调整"),
            metadata=office,
        )
    )
    assert rule_id_of(too_long) == "A67.limit"
    p = await api.ExtendProposal(
        pb.ExtendProposalRequest(proposal_id=p.id, due=d(add_months(TODAY, 6)), reason="涉及规划调整"),
        metadata=office,
    )
    assert p.extended and date_from_proto(p.due, "due") == add_months(TODAY, 6)

    # only the lead body replies; the co-body sees it but may not reply
    co_body = await rpc_error(
        api.ReplyToProposal(
            pb.ReplyToProposalRequest(proposal_id=p.id, reply_class=pb.REPLY_CLASS_A, text="安岳县答复"),
            metadata=s.as_user("county-head"),
        )
    )
    assert rule_id_of(co_body) == "A67.lead-body"
    no_class = await rpc_error(
        api.ReplyToProposal(
            pb.ReplyToProposalRequest(proposal_id=p.id, text=" "), metadata=s.as_user("department-head")
        )
    )
    assert {"reply_class", "text"} <= set(field_violations_of(no_class))
    head = s.as_user("department-head")
    # A60, A67: the lead body replies with the co-body's opinion (协办意见), given by the co-body only
    without = await rpc_error(
        api.ReplyToProposal(
            pb.ReplyToProposalRequest(
                proposal_id=p.id, reply_class=pb.REPLY_CLASS_B, text="已列入明年计划。"
            ),
            metadata=head,
        )
    )
    assert rule_id_of(without) == "A67.co-opinions"
    not_co = await rpc_error(
        api.GiveProposalCoOpinion(
            pb.GiveProposalCoOpinionRequest(proposal_id=p.id, text="同意"), metadata=head
        )
    )
    assert rule_id_of(not_co) == "A67.co-body"
    p = await api.GiveProposalCoOpinion(
        pb.GiveProposalCoOpinionRequest(proposal_id=p.id, text="安岳县配合提供场地。"),
        metadata=s.as_user("county-head"),
    )
    assert [(o.body_code, o.round) for o in p.co_opinions] == [("anyue-county", 1)]
    p = await api.ReplyToProposal(
        pb.ReplyToProposalRequest(
            proposal_id=p.id,
            reply_class=pb.REPLY_CLASS_B,
            text="已列入明年计划，增设停车位300个。",
            document_number="资教函〔2026〕12号",
        ),
        metadata=head,
    )
    assert (p.state, p.replies[0].reply_class, p.replies[0].late) == (
        pb.PROPOSAL_STATE_REPLIED,
        pb.REPLY_CLASS_B,
        False,
    )

    # a first "not satisfied" reopens it once; the second rating closes it whatever it says
    p = await api.RateProposal(
        pb.RateProposalRequest(proposal_id=p.id, rating=pb.PROPOSER_RATING_NOT_SATISFIED), metadata=office
    )
    assert p.state == pb.PROPOSAL_STATE_REOPENED
    assert date_from_proto(p.due, "due") == add_months(TODAY, 1)
    await api.GiveProposalCoOpinion(
        pb.GiveProposalCoOpinionRequest(proposal_id=p.id, text="安岳县继续配合。"),
        metadata=s.as_user("county-head"),
    )
    p = await api.ReplyToProposal(
        pb.ReplyToProposalRequest(
            proposal_id=p.id, reply_class=pb.REPLY_CLASS_A, text="重新办理：本学期已增设停车位300个。"
        ),
        metadata=head,
    )
    assert [r.round for r in p.replies] == [1, 2]
    p = await api.RateProposal(
        pb.RateProposalRequest(proposal_id=p.id, rating=pb.PROPOSER_RATING_NOT_SATISFIED), metadata=office
    )
    assert p.state == pb.PROPOSAL_STATE_CLOSED
    assert [r.rating for r in p.replies] == [pb.PROPOSER_RATING_NOT_SATISFIED] * 2
    closed = await rpc_error(
        api.ReplyToProposal(
            pb.ReplyToProposalRequest(proposal_id=p.id, reply_class=pb.REPLY_CLASS_A, text="再答复"),
            metadata=head,
        )
    )
    assert rule_id_of(closed) == "A67.state"


async def test_A80_a_proposer_contact_is_shown_only_to_those_handling_it(supervision):
    s = supervision
    api = s.proposals
    office = s.as_user("supervision-officer")
    p = await api.RegisterProposal(registration(number="0456"), metadata=office)
    p = await api.AssignProposal(
        pb.AssignProposalRequest(
            proposal_id=p.id, lead_body_code="education-bureau", lead_leader_user_id=s.user_id("vice-mayor-2")
        ),
        metadata=office,
    )
    await api.ReplyToProposal(
        pb.ReplyToProposalRequest(proposal_id=p.id, reply_class=pb.REPLY_CLASS_C, text="已作说明。"),
        metadata=s.as_user("department-head"),
    )

    seen_by_lead_body = await api.GetProposal(
        pb.GetProposalRequest(proposal_id=p.id), metadata=s.as_user("department-head")
    )
    assert seen_by_lead_body.proposers[0].contact.phone == PHONE
    seen_by_leader = await api.GetProposal(
        pb.GetProposalRequest(proposal_id=p.id), metadata=s.as_user("vice-mayor-2")
    )
    assert seen_by_leader.proposers[0].name == "张明" and not seen_by_leader.proposers[0].HasField("contact")
    other_leader = await rpc_error(
        api.GetProposal(pb.GetProposalRequest(proposal_id=p.id), metadata=s.as_user("vice-mayor-3"))
    )
    assert other_leader.code() == grpc.StatusCode.PERMISSION_DENIED
    other_body = await rpc_error(
        api.GetProposal(pb.GetProposalRequest(proposal_id=p.id), metadata=s.as_user("county-head"))
    )
    assert other_body.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = await api.ListProposals(pb.ListProposalsRequest(), metadata=office)
    assert [x.id for x in listed.proposals] == [p.id]
    assert PHONE not in str(listed) and ADDRESS not in str(listed)
    assert (
        await api.ListProposals(pb.ListProposalsRequest(), metadata=s.as_user("county-head"))
    ).proposals == []

    # never in the recorded acts nor in the events on the bus
    assert PHONE not in str(seen_by_lead_body.history) and ADDRESS not in str(seen_by_lead_body.history)
    # A80: the read of the contact details is itself recorded, with who read them
    assert "proposal.contacts-read" in [h.act for h in seen_by_lead_body.history]
    engine = create_engine(s.database_url)
    try:
        async with engine.connect() as connection:
            payloads = (await connection.execute(sa.text("SELECT payload FROM outbox"))).scalars().all()
    finally:
        await engine.dispose()
    subjects = [envelope_pb2.EventEnvelope.FromString(bytes(data)).subject for data in payloads]
    assert {"supervision.proposal.registered", "supervision.proposal.replied"} <= set(subjects)
    for data in payloads:
        assert PHONE.encode() not in bytes(data) and ADDRESS.encode() not in bytes(data)


async def test_A67_the_coverage_check_names_the_leaders_who_lead_no_suggestion_and_proposal_yet(supervision):
    s = supervision
    api = s.proposals
    office = s.as_user("supervision-officer")
    evm = s.user_id("evm")
    for number, kind in (
        ("0001", pb.PROPOSAL_KIND_NPC_SUGGESTION),
        ("0002", pb.PROPOSAL_KIND_CPPCC_PROPOSAL),
    ):
        p = await api.RegisterProposal(registration(number=number, kind=kind), metadata=office)
        await api.AssignProposal(
            pb.AssignProposalRequest(
                proposal_id=p.id, lead_body_code="education-bureau", lead_leader_user_id=evm
            ),
            metadata=office,
        )
    p = await api.RegisterProposal(registration(number="0003"), metadata=office)
    await api.AssignProposal(
        pb.AssignProposalRequest(
            proposal_id=p.id, lead_body_code="education-bureau", lead_leader_user_id=s.user_id("mayor")
        ),
        metadata=office,
    )

    coverage = await api.GetLeadCoverage(pb.GetLeadCoverageRequest(), metadata=s.as_user("mayor"))
    by_user = {c.user_id: c for c in coverage.leaders}
    assert coverage.year == TODAY.year
    assert (by_user[evm].suggestions_led, by_user[evm].proposals_led, by_user[evm].covered) == (1, 1, True)
    mayor = by_user[s.user_id("mayor")]
    assert (mayor.suggestions_led, mayor.proposals_led, mayor.covered) == (1, 0, False)
    expected_missing = {s.user_id(u) for u in ("mayor", "vice-mayor-1", "vice-mayor-2", "vice-mayor-3")}
    assert expected_missing <= set(coverage.not_covered_user_ids) and evm not in coverage.not_covered_user_ids
    assert s.user_id("secretary-general") not in by_user  # A67 names the mayor and the vice mayors


@pytest.fixture
async def disclosure_on_supervision_bus(supervision, keycloak, service_database):
    """The disclosure service in-process, consuming from the supervision test's NATS."""
    database = await service_database("disclosure")
    server = build_disclosure(
        DisclosureSettings(
            database_url=database,
            nats_url=supervision.nats.url,
            nats_nkey_seed=supervision.nats.seeds["disclosure"],
            keycloak_url=keycloak.url,
            client_id="disclosure",
            client_secret=keycloak.client_secrets["disclosure"],
            grpc_port=0,
            consume_documents=False,
        )
    )
    async with serving(server):
        channel = grpc.aio.insecure_channel(server.address)
        try:
            yield publications_pb2_grpc.PublicationServiceStub(channel)
        finally:
            await channel.close()


async def test_A67_a_reply_becomes_exactly_one_disclosure_publication_through_nats(
    supervision, disclosure_on_supervision_bus, supervision_js
):
    s = supervision
    publications = disclosure_on_supervision_bus
    office = s.as_user("supervision-officer")
    p = await s.proposals.RegisterProposal(
        registration(
            number="0789", kind=pb.PROPOSAL_KIND_CPPCC_PROPOSAL, session="政协资阳市第五届委员会第三次会议"
        ),
        metadata=office,
    )
    await s.proposals.AssignProposal(
        pb.AssignProposalRequest(proposal_id=p.id, lead_body_code="education-bureau"), metadata=office
    )
    await s.proposals.ReplyToProposal(
        pb.ReplyToProposalRequest(
            proposal_id=p.id,
            reply_class=pb.REPLY_CLASS_A,
            text="已采纳：新建停车场一处。",
            document_number="资教函〔2026〕15号",
        ),
        metadata=s.as_user("department-head"),
    )
    officer = s.as_user("disclosure-officer")

    async def queued() -> list:
        reply = await publications.ListQueue(dpb.ListQueueRequest(), metadata=officer)
        return [x for x in reply.publications if x.kind == dpb.PUBLICATION_KIND_PROPOSAL_RESULT]

    (publication,) = await eventually(queued)
    assert publication.source_document_id == f"proposal/{p.id}/1"
    assert publication.title == "关于政协资阳市第五届委员会第三次会议第0789号提案的答复"
    assert (publication.proposal.proposal_number, publication.proposal.proposer) == ("0789", "张明、李华")
    assert publication.proposal.proposal_kind == dpb.PROPOSAL_KIND_CPPCC_PROPOSAL
    assert PHONE not in str(publication)

    # the same event again (a redelivery) and under a new event id (a replay): still one publication
    sub = await supervision_js.pull_subscribe(
        "supervision.proposal.replied", durable=None, stream="SUPERVISION"
    )
    (message,) = await sub.fetch(1, timeout=5)
    await sub.unsubscribe()
    await supervision_js.publish(
        "supervision.proposal.replied", message.data, headers={"Nats-Msg-Id": str(uuid.uuid4())}
    )
    replayed = envelope_pb2.EventEnvelope.FromString(message.data)
    replayed.event_id = str(uuid.uuid4())
    await supervision_js.publish(
        "supervision.proposal.replied",
        replayed.SerializeToString(),
        headers={"Nats-Msg-Id": replayed.event_id},
    )
    last = (await supervision_js.stream_info("SUPERVISION")).state.last_seq
    await eventually(
        lambda: consumer_settled(supervision_js, "SUPERVISION", "disclosure-proposal-replied", last)
    )
    assert len(await queued()) == 1

    # published by the officer, the result is on the portal
    await publications.PublishPublication(
        dpb.PublishPublicationRequest(publication_id=publication.id), metadata=officer
    )
    latest = await publications.ListLatest(
        dpb.ListLatestRequest(kind=dpb.PUBLICATION_KIND_PROPOSAL_RESULT), metadata=s.as_user("citizen")
    )
    assert [x.id for x in latest.publications] == [publication.id]


async def test_A67_the_sweep_announces_a_limit_near_and_passed_once_each(supervision):
    from services.supervision.acts import items as item_acts
    from services.supervision.acts import proposals as proposal_acts
    from shared.workdays import calendar
    from tests.integration.supervision.conftest import rolled_back

    s = supervision
    office = s.as_user("supervision-officer")
    p = await s.proposals.RegisterProposal(registration(number="0456"), metadata=office)
    assigned = await s.proposals.AssignProposal(
        pb.AssignProposalRequest(proposal_id=p.id, lead_body_code="education-bureau"), metadata=office
    )
    due = date_from_proto(assigned.due, "due")
    cal = calendar()
    ctx = proposal_acts.ProposalContext(TODAY, s.settings.proposal_limits(), s.people)
    async with rolled_back(s.sessions) as session:
        assert await proposal_acts.warn_limits(session, item_acts.SYSTEM_ACTOR, ctx, cal, 10) == 0
        ctx.today = cal.add_working_days(due, -3).due
        assert await proposal_acts.warn_limits(session, item_acts.SYSTEM_ACTOR, ctx, cal, 10) == 1
        assert await proposal_acts.warn_limits(session, item_acts.SYSTEM_ACTOR, ctx, cal, 10) == 0
        ctx.today = cal.add_working_days(due, 1).due
        assert await proposal_acts.warn_limits(session, item_acts.SYSTEM_ACTOR, ctx, cal, 10) == 1
        subjects = (
            await session.execute(
                sa.text("SELECT count(*) FROM outbox WHERE subject = 'supervision.proposal.limit-warned'")
            )
        ).scalar()
        assert subjects == 2
