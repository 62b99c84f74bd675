"""Proactive disclosure end to end: real Keycloak tokens, real PostgreSQL, real NATS JetStream.

Demo people (deploy/local/keycloak.py): disclosure-officer (publication:write), citizen and every
position (publication:read; citizens publication:comment too).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.convert import date_to_proto as d
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.polling import at_least, eventually
from tests.fixtures.rpc import day
from tests.fixtures.streams import read_events
from tests.integration.disclosure.conftest import publish_documents_event
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import events_pb2
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
OFFICER = "disclosure-officer"


def content(**overrides) -> pb.PublicationContent:
    fields = dict(
        kind=pb.PUBLICATION_KIND_POLICY,
        category=pb.CATEGORY_STATISTICS,
        title="2026年10月资阳市经济运行情况",
        body="全市规模以上工业增加值同比增长，供水供电保障有力。",
        issuer_code="statistics-bureau",
        issuer_name="资阳市统计局",
        made_on=d(TODAY),
    )
    fields.update(overrides)
    return pb.PublicationContent(**fields)


async def create(p, **overrides) -> pb.Publication:
    return await p.publications.CreatePublication(
        pb.CreatePublicationRequest(content=content(**overrides)), metadata=p.as_user(OFFICER)
    )


async def publish(p, publication_id: str, *together: str) -> pb.Publication:
    return await p.publications.PublishPublication(
        pb.PublishPublicationRequest(publication_id=publication_id, interpretation_ids=list(together)),
        metadata=p.as_user(OFFICER),
    )


async def test_A35_A36_an_officer_publishes_and_everyone_reads_it(disclosure, jetstream):
    queued = await create(disclosure)
    assert queued.state == pb.PUBLICATION_STATE_QUEUED
    # not public while queued
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.GetPublication(
            pb.GetPublicationRequest(publication_id=queued.id), metadata=disclosure.as_user("citizen")
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    # a citizen may not publish
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.PublishPublication(
            pb.PublishPublicationRequest(publication_id=queued.id), metadata=disclosure.as_user("citizen")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    published = await publish(disclosure, queued.id)
    assert published.state == pb.PUBLICATION_STATE_PUBLISHED and day(published.published_on) == TODAY
    assert [h.act for h in published.history] == ["publication.queued", "publication.published"]

    for reader in ("citizen", "petition-officer", "security-officer"):
        seen = await disclosure.publications.GetPublication(
            pb.GetPublicationRequest(publication_id=queued.id), metadata=disclosure.as_user(reader)
        )
        assert seen.title == "2026年10月资阳市经济运行情况" and seen.body and not seen.history
        assert seen.validity == pb.VALIDITY_IN_FORCE and seen.issuer_name == "资阳市统计局"

    async def listed(**f):
        reply = await disclosure.publications.ListPublications(
            pb.ListPublicationsRequest(filter=pb.PublicationFilter(**f)),
            metadata=disclosure.as_user("citizen"),
        )
        return [x.id for x in reply.publications]

    assert await listed(category=pb.CATEGORY_STATISTICS) == [queued.id]
    assert await listed(category=pb.CATEGORY_FEES) == []
    assert await listed(issuer_code="statistics-bureau", year=TODAY.year) == [queued.id]
    assert await listed(year=TODAY.year - 1) == []
    latest = await disclosure.publications.ListLatest(
        pb.ListLatestRequest(limit=5), metadata=disclosure.as_user("citizen")
    )
    assert [x.id for x in latest.publications] == [queued.id] and not latest.publications[0].body

    events = await read_events(
        jetstream,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda seen: any(e.subject == "disclosure.publication.published" for e in seen),
    )
    (event,) = [e for e in events if e.subject == "disclosure.publication.published"]
    payload = events_pb2.PublicationPublished()
    event.payload.Unpack(payload)
    assert payload.publication.id == queued.id and event.actor.username == OFFICER


async def test_art26_limit_across_the_national_day_holiday_and_the_late_queue(disclosure):
    """Made on Tue 29 Sep 2026: 20 working days run past 1-7 Oct and count Sat 10 Oct (调休): 2 Nov."""
    old = await create(
        disclosure,
        made_on=d(date(2026, 9, 29)),
        title="关于做好国庆期间安全生产工作的通知",
        category=pb.CATEGORY_INSPECTIONS,
    )
    assert day(old.publish_due.due) == date(2026, 11, 2) and not old.publish_due.provisional
    assert old.publish_due.working_days == 20 and day(old.publish_due.start) == date(2026, 9, 29)
    assert old.late == (TODAY > date(2026, 11, 2))
    fresh = await create(disclosure, title="本月统计快报")
    assert not fresh.late

    queue = await disclosure.publications.ListQueue(
        pb.ListQueueRequest(), metadata=disclosure.as_user(OFFICER)
    )
    assert [x.id for x in queue.publications] == [old.id, fresh.id]  # earliest limit first
    assert queue.late_count == 1
    late = await disclosure.publications.ListQueue(
        pb.ListQueueRequest(late_only=True), metadata=disclosure.as_user(OFFICER)
    )
    assert [x.id for x in late.publications] == [old.id]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.ListQueue(pb.ListQueueRequest(), metadata=disclosure.as_user("citizen"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # published late: still marked late, and the act says so
    published = await publish(disclosure, old.id)
    assert published.late
    assert "after the article 26 limit of 2026-11-02" in published.history[-1].reason


async def test_a_full_last_page_hands_out_no_token_to_an_empty_page(disclosure):
    """shared.convert.Page: one row more is fetched than the page holds, so two queued items read two
    at a time are one page without a token (a token used to lead to an empty page), three are two."""
    first, second = await create(disclosure, title="统计快报一"), await create(disclosure, title="统计快报二")
    officer = disclosure.as_user(OFFICER)
    two = common_pb2.PageRequest(page_size=2)
    whole = await disclosure.publications.ListQueue(pb.ListQueueRequest(page=two), metadata=officer)
    assert {x.id for x in whole.publications} == {first.id, second.id} and whole.page.next_page_token == ""
    third = await create(disclosure, title="统计快报三")
    page = await disclosure.publications.ListQueue(pb.ListQueueRequest(page=two), metadata=officer)
    assert len(page.publications) == 2 and page.page.next_page_token
    rest = await disclosure.publications.ListQueue(
        pb.ListQueueRequest(page=common_pb2.PageRequest(page_size=2, page_token=page.page.next_page_token)),
        metadata=officer,
    )
    assert len(rest.publications) == 1 and rest.page.next_page_token == ""
    assert {x.id for x in [*page.publications, *rest.publications]} == {first.id, second.id, third.id}


def issued_document(
    document_id: str,
    *,
    signed_on: date,
    authority=documents_pb2.SIGN_OFF_AUTHORITY_ROUTINE,
    major=False,
    title="关于进一步加强城市供水安全保障工作的通知",
) -> documents_pb2.Document:
    return documents_pb2.Document(
        id=document_id,
        state=documents_pb2.DOCUMENT_STATE_ISSUED,
        document_number="资府发〔2026〕21号",
        content=documents_pb2.DocumentContent(
            kind=documents_pb2.DOCUMENT_KIND_NOTICE,
            title=title,
            body="各县（区）人民政府：为保障城市供水安全……",
            authority=authority,
            major_matter=major,
            issuer_code="资府发",
            lead_organisation_code="housing-construction-bureau",
            valid_until=d(date(2031, 12, 31))
            if authority != documents_pb2.SIGN_OFF_AUTHORITY_ROUTINE
            else None,
        ),
        sender=documents_pb2.Sender(organisation_code="city-government", name="资阳市人民政府"),
        sign_offs=[documents_pb2.SignOff(signer_name="王建国", signed_on=d(signed_on))],
        issued_on=d(signed_on),
    )


async def queued_from(disclosure, document_id: str) -> list[pb.Publication]:
    reply = await disclosure.publications.ListQueue(
        pb.ListQueueRequest(), metadata=disclosure.as_user(OFFICER)
    )
    return [x for x in reply.publications if x.source_document_id == document_id]


async def test_art26_documents_issued_proactive_is_queued_once_and_into_an_unknown_year_provisional(
    disclosure, jetstream
):
    """documents.document.issued (主动公开) → queued; signed 15 Dec 2026, the limit reaches into 2027,
    whose official schedule is not known: 12 Jan 2027, provisional. A redelivery changes nothing."""
    proactive, on_request = str(uuid.uuid4()), str(uuid.uuid4())
    event_id = uuid.uuid4()
    issued = documents_events.DocumentIssued(
        document=issued_document(proactive, signed_on=date(2026, 12, 15)),
        document_number="资府发〔2026〕21号",
        disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE,
    )
    for _ in range(2):  # the same event twice (a re-publish outside the duplicate window)
        await publish_documents_event(
            jetstream, "documents.document.issued", issued, event_id=event_id, document_id=proactive
        )
    await publish_documents_event(
        jetstream,
        "documents.document.issued",
        documents_events.DocumentIssued(
            document=issued_document(on_request, signed_on=TODAY),
            disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_ON_REQUEST,
        ),
        document_id=on_request,
    )
    # and again under a new event id: one publication per document still
    await publish_documents_event(jetstream, "documents.document.issued", issued, document_id=proactive)

    items = await eventually(lambda: queued_from(disclosure, proactive))
    (item,) = items
    assert item.document_number == "资府发〔2026〕21号" and item.issuer_name == "资阳市人民政府"
    assert day(item.made_on) == date(2026, 12, 15)
    assert day(item.publish_due.due) == date(2027, 1, 12) and item.publish_due.provisional
    assert item.category == pb.CATEGORY_OTHER and not item.late
    await publish_documents_event(
        jetstream, "documents.document.issued", issued, event_id=uuid.uuid4(), document_id=proactive
    )
    assert len(await queued_from(disclosure, proactive)) == 1
    assert await queued_from(disclosure, on_request) == []
    # the officer classifies it when publishing
    done = await disclosure.publications.PublishPublication(
        pb.PublishPublicationRequest(publication_id=item.id, category=pb.CATEGORY_LIVELIHOOD),
        metadata=disclosure.as_user(OFFICER),
    )
    assert done.category == pb.CATEGORY_LIVELIHOOD
    assert [h.act for h in done.history] == ["publication.queued", "publication.published"]
    assert done.history[0].actor.username == "office-staff"  # the act of the documents event's actor


async def test_A37_interpretation_published_with_its_policy_and_linked_both_ways(disclosure):
    policy = await create(
        disclosure,
        title="资阳市促进民营经济发展若干措施",
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        normative=True,
        requires_interpretation=True,
        document_number="资府规〔2026〕3号",
    )
    reading = await create(
        disclosure,
        kind=pb.PUBLICATION_KIND_INTERPRETATION,
        policy_id=policy.id,
        title="《资阳市促进民营经济发展若干措施》政策解读",
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
    )
    # an interpretation is not published before its policy
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await publish(disclosure, reading.id)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err.value) == "A37.interpretation-with-policy"
    # a policy that requires an interpretation is not published without it
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await publish(disclosure, policy.id)
    assert rule_id_of(err.value) == "A37.interpretation-with-policy"
    # an interpretation without a policy is refused at once
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create(disclosure, kind=pb.PUBLICATION_KIND_INTERPRETATION, title="无所依附的解读")
    assert "content.policy_id" in field_violations_of(err.value)

    both = await publish(disclosure, policy.id, reading.id)
    assert both.state == pb.PUBLICATION_STATE_PUBLISHED
    assert [(x.id, x.state) for x in both.interpretations] == [(reading.id, pb.PUBLICATION_STATE_PUBLISHED)]
    seen = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=reading.id), metadata=disclosure.as_user("citizen")
    )
    assert seen.policy.id == policy.id and seen.policy.title == "资阳市促进民营经济发展若干措施"
    assert seen.state == pb.PUBLICATION_STATE_PUBLISHED and day(seen.published_on) == TODAY


async def test_A22_draft_opened_for_comment_takes_comments_until_its_closing_day(disclosure, jetstream):
    """documents.rule.comment-opened publishes the draft; comments until the closing day inclusive."""
    open_id, closed_id = str(uuid.uuid4()), str(uuid.uuid4())
    for document_id, until in ((open_id, TODAY + timedelta(days=30)), (closed_id, TODAY - timedelta(days=1))):
        document = issued_document(
            document_id,
            signed_on=TODAY,
            title="资阳市城市供水管理办法（草案）",
            authority=documents_pb2.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE,
        )
        await publish_documents_event(
            jetstream,
            "documents.rule.comment-opened",
            documents_events.RuleCommentOpened(document=document, until=d(until)),
            document_id=document_id,
        )

    async def drafts(open_only: bool):
        reply = await disclosure.publications.ListCommentDrafts(
            pb.ListCommentDraftsRequest(open_only=open_only), metadata=disclosure.as_user("citizen")
        )
        return reply.publications

    assert len(await eventually(lambda: at_least(drafts(False), 2))) == 2
    (draft,) = await drafts(True)
    assert draft.source_document_id == open_id and draft.comment_open
    assert day(draft.comment_until) == TODAY + timedelta(days=30)
    assert draft.title == "关于公开征求《资阳市城市供水管理办法（草案）》意见的公告"

    comment = await disclosure.publications.SubmitComment(
        pb.SubmitCommentRequest(
            publication_id=draft.id,
            author_name="林市民",
            contact="13800000000",
            text="建议明确二次供水设施的维护责任。",
        ),
        metadata=disclosure.as_user("citizen"),
    )
    assert comment.text == "建议明确二次供水设施的维护责任。" and not comment.author_name
    seen = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=draft.id), metadata=disclosure.as_user("citizen")
    )
    assert seen.comment_count == 1
    received = await disclosure.publications.ListComments(
        pb.ListCommentsRequest(publication_id=draft.id), metadata=disclosure.as_user(OFFICER)
    )
    assert [(c.author_name, c.contact) for c in received.comments] == [("林市民", "13800000000")]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.ListComments(
            pb.ListCommentsRequest(publication_id=draft.id), metadata=disclosure.as_user("citizen")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    (closed,) = [x for x in await drafts(False) if x.source_document_id == closed_id]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.SubmitComment(
            pb.SubmitCommentRequest(publication_id=closed.id, text="晚了"),
            metadata=disclosure.as_user("citizen"),
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err.value) == "A22.comment-closed"


async def test_A24_normative_catalogue_and_A25_status_from_the_documents_cleanup(disclosure, jetstream):
    """documents.normative.filed → catalogue entry (queued, then published); cleaned-up repeal → repealed."""
    document_id = str(uuid.uuid4())
    document = issued_document(
        document_id,
        signed_on=date(2026, 3, 2),
        title="资阳市城市管理规定",
        authority=documents_pb2.SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT,
    )
    await publish_documents_event(
        jetstream,
        "documents.normative.filed",
        documents_events.NormativeFiled(
            document=document,
            filing=documents_pb2.Filing(
                filed_with=documents_pb2.FILING_BODY_PEOPLES_CONGRESS_STANDING_COMMITTEE,
                filing_reference="资人备〔2026〕5号",
            ),
        ),
        document_id=document_id,
    )
    (entry,) = await eventually(lambda: queued_from(disclosure, document_id))
    assert entry.normative and entry.category == pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS
    await publish(disclosure, entry.id)

    catalogue = await disclosure.publications.GetNormativeCatalogue(
        pb.GetNormativeCatalogueRequest(year=2026), metadata=disclosure.as_user("citizen")
    )
    assert [(e.id, e.document_number) for e in catalogue.entries] == [(entry.id, "资府发〔2026〕21号")]
    assert (
        await disclosure.publications.GetNormativeCatalogue(
            pb.GetNormativeCatalogueRequest(year=2025), metadata=disclosure.as_user("citizen")
        )
    ).entries == []

    document.cleanup.CopyFrom(
        documents_pb2.CleanupRecord(decision=documents_pb2.CLEANUP_DECISION_REPEAL, reason="上位法已修改")
    )
    await publish_documents_event(
        jetstream,
        "documents.normative.cleaned-up",
        documents_events.NormativeCleanedUp(
            document=document, decision=documents_pb2.CLEANUP_DECISION_REPEAL
        ),
        document_id=document_id,
    )

    async def repealed():
        seen = await disclosure.publications.GetPublication(
            pb.GetPublicationRequest(publication_id=entry.id), metadata=disclosure.as_user("citizen")
        )
        return seen.validity == pb.VALIDITY_REPEALED

    assert await eventually(repealed)

    async def by_validity(validity):
        reply = await disclosure.publications.ListPublications(
            pb.ListPublicationsRequest(filter=pb.PublicationFilter(validity=validity)),
            metadata=disclosure.as_user("citizen"),
        )
        return [x.id for x in reply.publications]

    assert await by_validity(pb.VALIDITY_REPEALED) == [entry.id]
    assert await by_validity(pb.VALIDITY_IN_FORCE) == []


async def test_A39_powers_list_and_A67_proposal_results_have_their_own_lists(disclosure):
    power = await create(
        disclosure,
        kind=pb.PUBLICATION_KIND_POWER,
        category=pb.CATEGORY_LICENSING,
        title="食品经营许可",
        power=pb.Power(
            subject="资阳市市场监督管理局",
            basis="《中华人民共和国食品安全法》第三十五条",
            procedure="申请、受理、审查、决定、送达",
            supervision="市纪委监委驻局纪检组；12345",
            power_type="行政许可",
        ),
    )
    result = await create(
        disclosure,
        kind=pb.PUBLICATION_KIND_PROPOSAL_RESULT,
        category=pb.CATEGORY_OTHER,
        title="关于市政协五届三次会议第0123号提案答复的函",
        proposal=pb.ProposalResult(
            proposal_kind=pb.PROPOSAL_KIND_CPPCC_PROPOSAL,
            proposal_number="第0123号",
            proposer="张委员",
            session="市政协五届三次会议",
        ),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create(
            disclosure,
            kind=pb.PUBLICATION_KIND_POWER,
            title="缺依据的职权",
            power=pb.Power(subject="资阳市市场监督管理局"),
        )
    assert {"content.power.basis", "content.power.procedure", "content.power.supervision"} <= set(
        field_violations_of(err.value)
    )
    for item in (power, result):
        await publish(disclosure, item.id)

    async def of_kind(kind):
        reply = await disclosure.publications.ListPublications(
            pb.ListPublicationsRequest(filter=pb.PublicationFilter(kind=kind)),
            metadata=disclosure.as_user("citizen"),
        )
        return reply.publications

    (listed_power,) = await of_kind(pb.PUBLICATION_KIND_POWER)
    assert (
        listed_power.power.basis.startswith("《中华人民共和国食品安全法》") and listed_power.power.supervision
    )
    (listed_result,) = await of_kind(pb.PUBLICATION_KIND_PROPOSAL_RESULT)
    assert listed_result.proposal.proposal_kind == pb.PROPOSAL_KIND_CPPCC_PROPOSAL
    assert listed_result.proposal.proposal_number == "第0123号"


async def test_search_in_chinese_ranked_filtered_with_snippets(disclosure):
    water = await create(
        disclosure,
        title="关于进一步加强城市供水安全保障工作的通知",
        category=pb.CATEGORY_LIVELIHOOD,
        body="各县（区）人民政府：为保障城市供水安全，现就二次供水设施改造通知如下。",
    )
    mention = await create(
        disclosure,
        title="2026年第三季度民生工作情况",
        category=pb.CATEGORY_LIVELIHOOD,
        body="本季度完成老旧小区改造十二个，新建公园三处，城市供水管网延伸八公里。",
    )
    other = await create(
        disclosure,
        title="资阳市2026年度财政预算",
        category=pb.CATEGORY_BUDGETS_AND_ACCOUNTS,
        body="一般公共预算收入安排如下。",
    )
    queued = await create(disclosure, title="供水价格调整（尚未发布）")
    for item in (water, mention, other):
        await publish(disclosure, item.id)

    async def search(query, **f):
        return await disclosure.publications.SearchPublications(
            pb.SearchPublicationsRequest(query=query, filter=pb.PublicationFilter(**f)),
            metadata=disclosure.as_user("citizen"),
        )

    found = await search("城市供水")
    assert list(found.terms) == ["城市", "供水"]
    # both match; the one with the words in its title ranks first; queued ones are not searched
    assert [h.publication.id for h in found.hits] == [water.id, mention.id]
    assert queued.id not in [h.publication.id for h in found.hits]
    assert found.ranked == 2 and not found.capped
    assert found.hits[0].rank > found.hits[1].rank
    marked = [p.text for p in found.hits[1].snippet if p.match]
    assert marked == ["城市", "供水"] and not found.hits[0].publication.body
    # every run of characters is found: 资阳 in the title ranks first; the others' issuer 资阳市统计局
    # is searchable too
    assert [h.publication.id for h in (await search("资阳")).hits][0] == other.id
    assert (await search("城市供水", category=pb.CATEGORY_BUDGETS_AND_ACCOUNTS)).hits == []
    assert [
        h.publication.id
        for h in (await search("供水", year=TODAY.year, issuer_code="statistics-bureau")).hits
    ] == [water.id, mention.id]
    assert (await search("供水", year=TODAY.year - 1)).hits == []
    assert (await search("地铁")).hits == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await search("   ")
    assert "query" in field_violations_of(err.value)


async def test_portal_service_account_reads_and_comments(disclosure):
    """The portal's service account (client credentials of `portal`) holds publication:read and :comment."""
    if "portal" not in disclosure.keycloak.client_secrets:
        pytest.skip("the realm has no confidential portal client yet")
    item = await create(disclosure)
    await publish(disclosure, item.id)
    reply = await disclosure.publications.ListLatest(
        pb.ListLatestRequest(), metadata=disclosure.as_service("portal")
    )
    assert [x.id for x in reply.publications] == [item.id]


@pytest.mark.parametrize("disclosure_settings", [{"search_candidates": 50}], indirect=True)
async def test_search_ranks_the_newest_matches_up_to_the_cap_and_pages_through_them(disclosure):
    """60 matches, a cap of 50: the reply says capped, 50 are ranked, three pages of 20 / 20 / 10."""

    async def add(i: int) -> str:
        item = await create(disclosure, title=f"第{i}期城市供水水质公告", body="城市供水水质符合国家标准。")
        await publish(disclosure, item.id)
        return item.id

    ids: list[str] = []
    for batch in range(6):
        ids += await asyncio.gather(*(add(batch * 10 + i) for i in range(10)))
    seen: list[str] = []
    token = ""
    pages = []
    while True:
        reply = await disclosure.publications.SearchPublications(
            pb.SearchPublicationsRequest(
                query="供水水质", page=common_pb2.PageRequest(page_size=20, page_token=token)
            ),
            metadata=disclosure.as_user("citizen"),
        )
        assert reply.capped and reply.ranked == 50
        pages.append(len(reply.hits))
        seen += [h.publication.id for h in reply.hits]
        token = reply.page.next_page_token
        if not token:
            break
    assert pages == [20, 20, 10] and len(set(seen)) == 50 and set(seen) <= set(ids)


async def test_A35_declining_needs_a_reason_and_validity_changes_are_acts_and_events(disclosure, jetstream):
    """Openness is the rule (A35): an item is not published only with a reason; an officer marks a publication
    amended; documents' expiry marks a rule expired (A25); each an act, the changes as events."""
    wrong = await create(disclosure, title="误标为主动公开的内部文件")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.DeclinePublication(
            pb.DeclinePublicationRequest(publication_id=wrong.id), metadata=disclosure.as_user(OFFICER)
        )
    assert "reason" in field_violations_of(err.value)
    declined = await disclosure.publications.DeclinePublication(
        pb.DeclinePublicationRequest(publication_id=wrong.id, reason="属于内部管理信息（条例第十六条）"),
        metadata=disclosure.as_user(OFFICER),
    )
    assert declined.state == pb.PUBLICATION_STATE_DECLINED and declined.decline_reason.startswith("属于内部")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await publish(disclosure, wrong.id)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    item = await create(disclosure)
    await publish(disclosure, item.id)
    amended = await disclosure.publications.ChangeValidity(
        pb.ChangeValidityRequest(
            publication_id=item.id, validity=pb.VALIDITY_AMENDED, reason="资统发〔2026〕9号修订"
        ),
        metadata=disclosure.as_user(OFFICER),
    )
    assert amended.validity == pb.VALIDITY_AMENDED and amended.history[-1].act == "publication.amended"

    document_id = str(uuid.uuid4())
    rule = issued_document(
        document_id, signed_on=TODAY, authority=documents_pb2.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE
    )
    await publish_documents_event(
        jetstream,
        "documents.document.issued",
        documents_events.DocumentIssued(
            document=rule,
            document_number="资府令第3号",
            disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE,
        ),
        document_id=document_id,
    )
    (queued,) = await eventually(lambda: queued_from(disclosure, document_id))
    assert queued.normative and queued.category == pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS
    await publish(disclosure, queued.id)
    await publish_documents_event(
        jetstream,
        "documents.normative.expired",
        documents_events.NormativeExpired(document=rule),
        document_id=document_id,
    )

    async def expired():
        seen = await disclosure.publications.GetPublication(
            pb.GetPublicationRequest(publication_id=queued.id), metadata=disclosure.as_user("citizen")
        )
        return seen.validity == pb.VALIDITY_EXPIRED

    assert await eventually(expired)

    events = await read_events(
        jetstream,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda seen: sum(e.subject == "disclosure.publication.validity-changed" for e in seen) >= 2,
    )
    changes = []
    for e in events:
        if e.subject == "disclosure.publication.validity-changed":
            payload = events_pb2.PublicationValidityChanged()
            e.payload.Unpack(payload)
            changes.append((payload.publication.id, payload.previous, payload.publication.validity))
    assert changes == [
        (item.id, pb.VALIDITY_IN_FORCE, pb.VALIDITY_AMENDED),
        (queued.id, pb.VALIDITY_IN_FORCE, pb.VALIDITY_EXPIRED),
    ]


async def test_search_reads_months_newest_first_and_finds_the_newest_matches(disclosure):
    """store.search finds the newest matches window by window of months (search.NewestFirst, the month
    published a lexeme of the GIN index): publications spread over two years, searched with a cap of 4,
    with and without filters (a category: the windows run over the months it was published in only),
    with a guard that splits every window of months: the same newest four as sorting every match by
    date, and a page ranked as the servicer ranks it."""
    from services.disclosure.store import publications as store
    from shared import words
    from shared.db import create_engine, session_factory, transaction

    engine = create_engine(disclosure.database_url)
    sessions = session_factory(engine)
    published: dict[str, date] = {}
    livelihood: set[str] = set()
    try:
        for i in range(9):
            item = await create(
                disclosure,
                title=f"第{i}号供水公告",
                category=pb.CATEGORY_LIVELIHOOD if i % 2 else pb.CATEGORY_FEES,
                body="城市供水。",
            )
            await publish(disclosure, item.id)
            # published i * 70 days ago: the month lexeme follows the date (index_for_search)
            async with transaction(sessions) as session:
                row = await store.get(session, item.id)
                row.published_on = TODAY - timedelta(days=70 * i)
                await session.flush()
                await store.index_for_search(session, row)
            published[item.id] = row.published_on
            if i % 2:
                livelihood.add(item.id)
        for f in (store.Filter(), store.Filter(category="livelihood")):
            matching = [k for k in published if f.category is None or k in livelihood]
            expected = sorted(matching, key=lambda k: published[k], reverse=True)[:4]
            for guard in (None, 5):
                async with transaction(sessions) as session:
                    page = await store.search(
                        session,
                        words.search_query("供水"),
                        f,
                        TODAY,
                        candidates=4,
                        offset=0,
                        limit=10,
                        guard=guard,
                    )
                assert sorted(str(r.id) for r in page.rows) == sorted(expected), (f, guard)
                assert page.ranked == 4 and page.capped == (len(matching) > 4)
                # ranked: the word in every title, then newer
                assert [str(r.id) for r in page.rows] == expected
        # nothing to find, or a filter no published row has (its span is empty: no window is read)
        for query, f in (("地铁", store.Filter()), ("供水", store.Filter(issuer_code="no-such-issuer"))):
            async with transaction(sessions) as session:
                assert (
                    await store.search(
                        session, words.search_query(query), f, TODAY, candidates=4, offset=0, limit=10
                    )
                ) == store.SearchPage([], 0, False)
    finally:
        await engine.dispose()


async def test_search_finds_every_run_of_characters_and_ranks_the_title_and_whole_words_first(disclosure):
    """Issue 15: any substring of a title or text is found (bigrams), whatever jieba cuts: 校外 in
    中小学校外培训 (cut 中小学校/外/培训), the document number, the year, 规范性文件, the issuer; random
    substrings of the titles and texts all found (100 %); the title and whole words rank first."""
    import random

    training = await create(
        disclosure,
        title="中小学校外培训管理办法",
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        document_number="资府规〔2026〕1号",
        issuer_name="资阳市教育和体育局",
        body="为规范中小学校外培训机构的设置和管理，根据有关法律法规，制定本办法。",
    )
    water = await create(
        disclosure,
        title="关于进一步加强城市供水安全保障工作的通知",
        body="各县（区）人民政府：校外培训机构用水按居民价格执行。本通知自２０２６年１月１日起施行。",
    )
    lemon = await create(
        disclosure, title="安岳县柠檬产业高质量发展实施意见", body="柠檬产业是安岳县的特色产业。"
    )
    for item in (training, water, lemon):
        await publish(disclosure, item.id)

    async def found(query):
        reply = await disclosure.publications.SearchPublications(
            pb.SearchPublicationsRequest(query=query, page=common_pb2.PageRequest(page_size=100)),
            metadata=disclosure.as_user("citizen"),
        )
        return [h.publication.id for h in reply.hits]

    assert (await found("校外"))[:2] == [training.id, water.id]  # in the title first, then in a text
    assert (await found("校外培训"))[0] == training.id
    for query in ("资府规〔2026〕1号", "资府规〔２０２６〕１号", "规范性文件", "教育和体育局"):
        assert await found(query) == [training.id], query
    assert (await found("外培"))[0] == training.id  # in its title; 校外培训机构 in the other's text
    assert set(await found(str(TODAY.year))) == {training.id, water.id, lemon.id}
    rng = random.Random(15)
    tried = missed = 0
    for item in (training, water, lemon):
        for text in (item.title, item.body):
            for _ in range(20):
                start = rng.randrange(len(text) - 1)
                query = text[start : rng.randrange(start + 2, min(len(text), start + 10) + 1)]
                if not query.strip("（）：，。、〔〕 "):
                    continue
                tried += 1
                missed += item.id not in await found(query)
    assert tried > 100 and missed == 0
