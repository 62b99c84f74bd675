"""Officers correct queued publications; the A22 account of comments (意见采纳情况) after the comment
period; the issuers (发布机构) with their counts. Real Keycloak, PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest

from shared.errors import rule_id_of
from tests.fixtures.polling import eventually
from tests.integration.disclosure.conftest import publish_documents_event
from tests.integration.disclosure.test_publications_api import (
    OFFICER,
    TODAY,
    create,
    d,
    issued_document,
    publish,
)
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events

pytestmark = pytest.mark.integration


async def test_a_queued_item_is_corrected_as_an_act_and_a_published_one_is_not(disclosure):
    queued = await create(disclosure, title="2026年10月资阳市经济运行情况（初稿）")
    edited = await disclosure.publications.EditPublication(
        pb.EditPublicationRequest(
            publication_id=queued.id,
            title="2026年10月资阳市经济运行情况",
            category=pb.CATEGORY_PLANS,
            body="全市规模以上工业增加值同比增长7.1%。",
            reason="标题和正文数据更正",
        ),
        metadata=disclosure.as_user(OFFICER),
    )
    assert edited.title == "2026年10月资阳市经济运行情况" and edited.category == pb.CATEGORY_PLANS
    assert edited.body == "全市规模以上工业增加值同比增长7.1%。" and edited.document_number == ""
    assert [h.act for h in edited.history] == ["publication.queued", "publication.edited"]
    assert edited.history[-1].reason == "body, category, title: 标题和正文数据更正"

    with pytest.raises(grpc.aio.AioRpcError) as err:  # a reason is required
        await disclosure.publications.EditPublication(
            pb.EditPublicationRequest(publication_id=queued.id, title="x"),
            metadata=disclosure.as_user(OFFICER),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.EditPublication(
            pb.EditPublicationRequest(publication_id=queued.id, title="x", reason="r"),
            metadata=disclosure.as_user("citizen"),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    published = await publish(disclosure, queued.id)
    with pytest.raises(grpc.aio.AioRpcError) as err:  # published: amend and publish anew instead
        await disclosure.publications.EditPublication(
            pb.EditPublicationRequest(publication_id=queued.id, title="改过的标题", reason="更正"),
            metadata=disclosure.as_user(OFFICER),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    seen = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=published.id), metadata=disclosure.as_user("citizen")
    )
    assert seen.title == "2026年10月资阳市经济运行情况"
    # the corrected body is what search finds
    found = await disclosure.publications.SearchPublications(
        pb.SearchPublicationsRequest(query="同比增长"), metadata=disclosure.as_user("citizen")
    )
    assert [h.publication.id for h in found.hits] == [published.id]


async def test_A22_account_of_comments_published_after_the_period_closes_without_commenters(
    disclosure, jetstream
):
    document_id = str(uuid.uuid4())
    document = issued_document(
        document_id,
        signed_on=TODAY,
        title="资阳市城市供水管理办法（草案）",
        authority=documents_pb2.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE,
    )

    async def open_until(day):
        await publish_documents_event(
            jetstream,
            "documents.rule.comment-opened",
            documents_events.RuleCommentOpened(document=document, until=d(day)),
            document_id=document_id,
        )

    async def draft():
        reply = await disclosure.publications.ListCommentDrafts(
            pb.ListCommentDraftsRequest(), metadata=disclosure.as_user("citizen")
        )
        return reply.publications[0] if reply.publications else None

    await open_until(TODAY + timedelta(days=30))
    found = await eventually(draft)
    for text in ("建议明确二次供水设施的维护责任。", "我叫林市民，电话13800000000，建议降低水价。"):
        await disclosure.publications.SubmitComment(
            pb.SubmitCommentRequest(
                publication_id=found.id, author_name="林市民", contact="13800000000", text=text
            ),
            metadata=disclosure.as_user("citizen"),
        )

    feedback = pb.PublishCommentFeedbackRequest(
        publication_id=found.id,
        summary="共收到意见2条。采纳1条：明确二次供水设施的维护责任；未采纳1条：水价由价格主管部门依法定价。",
        adopted=1,
        not_adopted=1,
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:  # still open for comment
        await disclosure.publications.PublishCommentFeedback(feedback, metadata=disclosure.as_user(OFFICER))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err.value) == "A22.feedback-after-close"

    await open_until(TODAY - timedelta(days=1))  # the period closed yesterday
    closed = await eventually(lambda: _closed(draft))
    assert not closed.HasField("comment_feedback")
    with pytest.raises(grpc.aio.AioRpcError) as err:  # more than received
        await disclosure.publications.PublishCommentFeedback(
            pb.PublishCommentFeedbackRequest(publication_id=found.id, summary="……", adopted=3),
            metadata=disclosure.as_user(OFFICER),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.PublishCommentFeedback(feedback, metadata=disclosure.as_user("citizen"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    done = await disclosure.publications.PublishCommentFeedback(
        feedback, metadata=disclosure.as_user(OFFICER)
    )
    assert done.comment_feedback.version == 1 and done.comment_feedback.received == 2
    public = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=found.id), metadata=disclosure.as_user("citizen")
    )
    f = public.comment_feedback
    assert (f.received, f.adopted, f.partly_adopted, f.not_adopted) == (
        2,
        1,
        0,
        1,
    ) and f.summary == feedback.summary
    # nothing of the commenters in the public reply
    assert "林市民" not in str(public) and "13800000000" not in str(public)
    corrected = await disclosure.publications.PublishCommentFeedback(
        pb.PublishCommentFeedbackRequest(
            publication_id=found.id, summary=feedback.summary + "（更正）", adopted=1, partly_adopted=1
        ),
        metadata=disclosure.as_user(OFFICER),
    )
    assert corrected.comment_feedback.version == 2
    assert [h.act for h in corrected.history].count("publication.comment-feedback") == 2

    # reopened for comment: the account is not shown until the new period closes
    await open_until(TODAY + timedelta(days=10))
    reopened = await eventually(lambda: _open(draft))
    assert not reopened.HasField("comment_feedback")


async def _open(draft):
    found = await draft()
    return found if found and found.comment_open else None


async def _closed(draft):
    found = await draft()
    return found if found and not found.comment_open else None


async def test_issuers_with_their_published_counts(disclosure):
    for title in ("统计快报一", "统计快报二"):
        await publish(disclosure, (await create(disclosure, title=title)).id)
    await publish(
        disclosure,
        (
            await create(
                disclosure, title="教育通知", issuer_code="education-bureau", issuer_name="资阳市教育局"
            )
        ).id,
    )
    await create(disclosure, title="未发布的", issuer_code="finance-bureau", issuer_name="资阳市财政局")
    reply = await disclosure.publications.ListIssuers(
        pb.ListIssuersRequest(), metadata=disclosure.as_user("citizen")
    )
    assert [(i.code, i.name, i.count) for i in reply.issuers] == [
        ("statistics-bureau", "资阳市统计局", 2),
        ("education-bureau", "资阳市教育局", 1),
    ]
    listed = await disclosure.publications.ListPublications(
        pb.ListPublicationsRequest(filter=pb.PublicationFilter(issuer_code="education-bureau")),
        metadata=disclosure.as_user("citizen"),
    )
    assert [p.title for p in listed.publications] == ["教育通知"]
