"""Acts on normative documents and government rules (规范性文件、政府规章), A21–A25: the justice
bureau's legality review (合法性审查) or review of a department's filing (备案审查), the public comment
on a draft rule, the filing (备案) with each body the rules name, the clean-up (revise, repeal or
continue) and the expiry the clock records."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, models, store
from services.documents.acts import Env
from services.documents.acts.common import check_lead_body, document_reply, ref_of
from services.documents.protos import (
    CLEANUP_TO_PROTO,
    Cleanup,
    CommentPeriod,
    FilingRecord,
    LegalityVerdict,
    content_of,
    document_to_proto,
    filing_to_proto,
)
from shared.audit import actor_record, record_act
from shared.convert import date_to_proto
from shared.identity import Actor
from shared.outbox import add_event


def _authority(row: models.Document) -> domain.Authority | None:
    return domain.Authority(row.authority) if row.authority else None


async def review_legality(
    session: AsyncSession, actor: Actor, verdict: LegalityVerdict, env: Env
) -> pb.Document:
    """A21, A23: the justice bureau reviews a normative document or rule before sign-off; A24: or a
    department's filed normative document, any time after it was filed."""
    row = await store.get_document(session, verdict.document_id, for_update=True)
    filing = row.direction == domain.Direction.INCOMING.value and content_of(row).normative_filing
    if filing:
        domain.FILING_REVIEW.check(domain.State(row.state))
        authority = domain.Authority.NORMATIVE_DOCUMENT
    else:
        domain.SIGN_OUTGOING.check(domain.State(row.state))
        authority = _authority(row)
    domain.check_legality_review_request(authority, verdict.opinion)
    row.legality_review = {
        "passed": verdict.passed,
        "opinion": verdict.opinion.strip(),
        "reviewed_by": actor_record(actor),
        "reviewed_on": env.today().isoformat(),
    }
    await session.flush()
    passed = "passed" if verdict.passed else "not passed"
    act = "document.filing-reviewed" if filing else "document.legality-reviewed"
    await record_act(session, ref_of(row), act, actor, f"{passed}: {verdict.opinion.strip()}")
    return await document_reply(session, row, env.today())


async def open_public_comment(
    session: AsyncSession, actor: Actor, period: CommentPeriod, env: Env
) -> pb.Document:
    """A22: the draft of a government rule is opened for public comment; the disclosure portal
    publishes it from the `documents.rule.comment-opened` event."""
    row = await store.get_document(session, period.document_id, for_update=True)
    check_lead_body(actor, row)
    domain.check_comment_period(_authority(row), domain.State(row.state), period.until, env.today())
    row.comment_until = period.until
    await session.flush()
    await record_act(session, ref_of(row), "document.comment-opened", actor, f"until {period.until}")
    reply = await document_reply(session, row, env.today())
    await add_event(
        session,
        "documents.rule.comment-opened",
        events_pb2.RuleCommentOpened(document=reply, until=date_to_proto(period.until)),
        ref_of(row),
        actor,
    )
    return reply


async def record_filing(session: AsyncSession, actor: Actor, given: FilingRecord, env: Env) -> pb.Document:
    """A22, A24: an issued rule or normative document is filed (备案) with each body the rules name."""
    row = await store.get_document(session, given.document_id, for_update=True)
    body = given.filed_with
    domain.check_filing_record(
        _authority(row),
        domain.State(row.state),
        body,
        given.filing_reference,
        [f["filed_with"] for f in row.filings or []],
    )
    assert body
    record = {
        "filed_with": body.value,
        "filing_reference": given.filing_reference.strip(),
        "recorded_by": actor_record(actor),
        "filed_on": env.today().isoformat(),
    }
    row.filings = [*(row.filings or []), record]
    await session.flush()
    await record_act(
        session, ref_of(row), "document.filed-with", actor, f"{body.value}: {record['filing_reference']}"
    )
    reply = await document_reply(session, row, env.today())
    await add_event(
        session,
        "documents.normative.filed",
        events_pb2.NormativeFiled(document=reply, filing=filing_to_proto(record)),
        ref_of(row),
        actor,
    )
    return reply


def _continue(row: models.Document, until: date) -> None:
    row.valid_until = until
    row.content = {**row.content, "valid_until": {"year": until.year, "month": until.month, "day": until.day}}
    row.expiry_recorded_on = None  # a later expiry is recorded again


async def record_cleanup(session: AsyncSession, actor: Actor, cleanup: Cleanup, env: Env) -> pb.Document:
    """A25: revise, repeal or continue an issued rule or normative document."""
    today = env.today()
    row = await store.get_document(session, cleanup.document_id, for_update=True)
    decision = cleanup.decision
    domain.check_cleanup(
        _authority(row),
        domain.State(row.state),
        row.repealed_on is not None,
        decision,
        cleanup.reason,
        cleanup.continue_until,
        today,
    )
    assert decision
    row.cleanup = {
        "decision": decision.value,
        "reason": cleanup.reason.strip(),
        "recorded_by": actor_record(actor),
        "recorded_on": today.isoformat(),
    }
    if decision is domain.CleanupDecision.REPEAL:
        row.repealed_on = today
    if decision is domain.CleanupDecision.CONTINUE:
        assert cleanup.continue_until
        _continue(row, cleanup.continue_until)
    await session.flush()
    await record_act(
        session, ref_of(row), f"document.cleanup-{decision.value}", actor, cleanup.reason.strip()
    )
    reply = await document_reply(session, row, today)
    await add_event(
        session,
        "documents.normative.cleaned-up",
        events_pb2.NormativeCleanedUp(document=reply, decision=CLEANUP_TO_PROTO[decision]),
        ref_of(row),
        actor,
    )
    return reply


async def record_expiry(session: AsyncSession, actor: Actor, row: models.Document, today: date) -> None:
    """A25: an issued rule or normative document past its validity, recorded once with
    `documents.normative.expired` (the clean-up: revise, repeal or continue)."""
    row.expiry_recorded_on = today
    await session.flush()
    ref = f"document/{row.id}"
    await record_act(
        session,
        ref,
        "document.expired",
        actor,
        f"valid until {row.valid_until.isoformat()}: revise, repeal or continue (A25)",
    )
    await add_event(
        session,
        "documents.normative.expired",
        events_pb2.NormativeExpired(document=document_to_proto(row, today=today)),
        ref,
        actor,
    )
