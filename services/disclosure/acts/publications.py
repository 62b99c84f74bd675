"""Acts on proactive disclosure (主动公开): an item queued with its article 26 limit (by hand or on an
event), published (a policy with its interpretations, A37), declined, edited before publishing, its
validity changed (A25), comments on a draft (A22) and the account of them; the article 26 limits put
on their official day once a year's holiday schedule is known.

Acts return the changed row; the entry point reads the reply (api_publications.PublicationServicer).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.domain import publications as domain
from services.disclosure.domain.publications import Category, Kind, State, Validity
from services.disclosure.models import Publication, PublicationComment
from services.disclosure.protos.publications import VALIDITY_TO_PROTO, to_proto
from services.disclosure.store import publications as store
from shared.audit import record_act
from shared.errors import InvalidInput, NotFound
from shared.identity import Actor
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import events_pb2


# Who records a limit moved by a newly loaded holiday schedule: the platform itself.
SCHEDULE_SWEEP = Actor(
    user_id="", username="system:disclosure", display_name="政务公开系统（节假日安排更新）", is_service=True
)


def ref_of(publication_id) -> str:
    return f"publication/{publication_id}"


def item_of(row: Publication) -> domain.Item:
    return domain.Item(
        id=str(row.id),
        kind=Kind(row.kind),
        state=State(row.state),
        requires_interpretation=row.requires_interpretation,
        policy_id=str(row.policy_id) if row.policy_id else "",
    )


# ---- acts shared with the event consumers (events.py) ------------------------------------------------------


async def queue_publication(
    session: AsyncSession,
    calendar: WorkingCalendar,
    today: date,
    *,
    kind: Kind,
    category: Category,
    made_on: date | None,
    **fields,
) -> Publication:
    """A new queued publication with its article 26 limit (none when the date made is unknown)."""
    due = domain.publish_limit(calendar, made_on) if made_on else None
    return await store.add(
        session,
        kind=kind.value,
        category=category.value,
        made_on=made_on,
        year=(made_on or today).year,
        state=State.QUEUED.value,
        validity=Validity.IN_FORCE.value,
        publish_due=due.due if due else None,
        publish_due_provisional=due.provisional if due else False,
        **fields,
    )


async def recompute_provisional_limits(
    session: AsyncSession, calendar: WorkingCalendar, batch: int = 500
) -> int:
    """docs/design.md "Time": an article 26 limit computed into a year whose official schedule was not
    known takes its official day once the schedule is loaded; each changed day is a recorded act."""
    changed = 0
    for row in await store.queued_with_provisional_limit(session, calendar.first_unknown_day, batch):
        due = domain.publish_limit(calendar, row.made_on)
        old, row.publish_due, row.publish_due_provisional = row.publish_due, due.due, due.provisional
        if old != due.due:
            changed += 1
            await record_act(
                session,
                ref_of(row.id),
                "publication.limit-recomputed",
                SCHEDULE_SWEEP,
                f"article 26: {old} → {due.due} (official schedule of {old.year} loaded)",
            )
    await session.flush()
    return changed


async def publish(session: AsyncSession, row: Publication, today: date, actor) -> None:
    """Published today: indexed for search, a recorded act, the disclosure.publication.published event."""
    row.state = State.PUBLISHED.value
    row.published_on = today
    await session.flush()
    await store.index_for_search(session, row)
    late = domain.is_late(row.publish_due, today, today)
    reason = row.title + (f"; after the article 26 limit of {row.publish_due}" if late else "")
    await record_act(session, ref_of(row.id), "publication.published", actor, reason)
    await add_event(
        session,
        "disclosure.publication.published",
        events_pb2.PublicationPublished(publication=to_proto(row, today)),
        ref_of(row.id),
        actor,
    )


async def change_validity(
    session: AsyncSession, row: Publication, validity: Validity, today: date, actor, reason: str
) -> None:
    previous = domain.effective_validity(Validity(row.validity), row.valid_until, today)
    row.validity = validity.value
    await session.flush()
    await record_act(session, ref_of(row.id), f"publication.{validity.value}", actor, reason)
    await add_event(
        session,
        "disclosure.publication.validity-changed",
        events_pb2.PublicationValidityChanged(
            publication=to_proto(row, today), previous=VALIDITY_TO_PROTO[previous]
        ),
        ref_of(row.id),
        actor,
    )


# ---- the officer's acts -----------------------------------------------------------------------------------


async def create(
    session: AsyncSession, actor: Actor, calendar: WorkingCalendar, today: date, content: domain.Content
) -> Publication:
    """An item added by hand (statistics, powers A39, proposal results A67, interpretations A37, ...):
    queued with its article 26 limit."""
    domain.check_content(content, today)
    policy_id = None
    if content.policy_id:
        policy = await store.get(session, content.policy_id, field="content.policy_id")
        if policy.kind != Kind.POLICY.value:
            raise InvalidInput({"content.policy_id": "an interpretation explains a policy"})
        policy_id = policy.id
    row = await queue_publication(
        session,
        calendar,
        today,
        kind=content.kind,
        category=content.category,
        title=content.title,
        body=content.body,
        issuer_code=content.issuer_code,
        issuer_name=content.issuer_name,
        document_number=content.document_number,
        made_on=content.made_on,
        valid_until=content.valid_until,
        normative=content.normative,
        requires_interpretation=content.requires_interpretation,
        policy_id=policy_id,
        comment_until=content.comment_until,
        proposal=content.proposal,
        power=content.power,
    )
    await record_act(session, ref_of(row.id), "publication.queued", actor, row.title)
    await add_event(
        session,
        "disclosure.publication.queued",
        events_pb2.PublicationQueued(publication=to_proto(row, today)),
        ref_of(row.id),
        actor,
    )
    return row


async def publish_queued(
    session: AsyncSession,
    actor: Actor,
    today: date,
    publication_id: str,
    *,
    category: Category | None,
    interpretation_ids: list[str],
) -> Publication:
    """Publish a queued item (A35); a policy with the interpretations given, in one act (A37)."""
    together_ids = [store.parse_id(i, "interpretation_ids") for i in interpretation_ids]
    if len(set(together_ids)) != len(together_ids):
        raise InvalidInput({"interpretation_ids": "an interpretation is named twice"})
    row = await store.get(session, publication_id, for_update=True)
    together = await store.get_many(session, together_ids, for_update=True)
    if len(together) != len(together_ids):
        raise NotFound("an interpretation named", resource_type="publication")
    policy = await store.get(session, row.policy_id) if row.policy_id else None
    published = await store.count_published_interpretations(session, row.id)
    domain.check_publish(
        item_of(row), item_of(policy) if policy else None, [item_of(t) for t in together], published
    )
    if category is not None:
        row.category = category.value
    for item in [row, *together]:
        await publish(session, item, today, actor)
    return row


async def decline(session: AsyncSession, actor: Actor, publication_id: str, reason: str) -> Publication:
    row = await store.get(session, publication_id, for_update=True)
    domain.check_decline(item_of(row), reason)
    row.state = State.DECLINED.value
    row.decline_reason = reason.strip()
    await session.flush()
    await record_act(session, ref_of(row.id), "publication.declined", actor, row.decline_reason)
    return row


async def set_validity(
    session: AsyncSession,
    actor: Actor,
    today: date,
    publication_id: str,
    validity: Validity | None,
    reason: str,
) -> Publication:
    """Amended, repealed or expired by the officer (documents' clean-up events do it for rules)."""
    row = await store.get(session, publication_id, for_update=True)
    domain.check_validity_change(Validity(row.validity), validity, reason)
    assert validity is not None
    await change_validity(session, row, validity, today, actor, reason.strip())
    return row


async def edit(
    session: AsyncSession, actor: Actor, publication_id: str, changes: dict, reason: str
) -> Publication:
    """A queued item corrected before it is published, with the reason (a recorded act naming the
    fields changed). A published one is not edited (domain.check_edit)."""
    row = await store.get(session, publication_id, for_update=True)
    domain.check_edit(State(row.state), changes, reason)
    changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, changes[name])
    await session.flush()
    await record_act(
        session,
        ref_of(row.id),
        "publication.edited",
        actor,
        f"{', '.join(changed) or 'nothing changed'}: {reason.strip()}",
    )
    return row


# ---- A22: comments on a draft -----------------------------------------------------------------------------


async def comment(
    session: AsyncSession,
    actor: Actor,
    today: date,
    publication_id: str,
    *,
    author_name: str,
    contact: str,
    text: str,
) -> tuple[Publication, PublicationComment]:
    """A comment on a draft, on or before its closing day."""
    row = await store.get(session, publication_id, for_update=True)
    domain.check_comment(
        Kind(row.kind), State(row.state), row.comment_until, today, author_name, contact, text
    )
    received = await store.add_comment(
        session,
        publication_id=row.id,
        author_name=author_name.strip(),
        contact=contact.strip(),
        text=text.strip(),
        submitted_by=actor.user_id,
        received_on=today,
    )
    row.comment_count += 1
    await session.flush()
    # The commenter's name and contact stay out of the act and the event.
    await record_act(session, ref_of(row.id), "publication.comment-received", actor, f"comment {received.id}")
    await add_event(
        session,
        "disclosure.comment.received",
        events_pb2.CommentReceived(publication_id=str(row.id), comment_count=row.comment_count),
        ref_of(row.id),
    )
    return row, received


async def publish_feedback(
    session: AsyncSession,
    actor: Actor,
    today: date,
    publication_id: str,
    *,
    summary: str,
    adopted: int,
    partly_adopted: int,
    not_adopted: int,
) -> Publication:
    """A22: 意见采纳情况 — after the comment period closed, how the comments were taken into account;
    public with the draft. Published again, it is a corrected version (a recorded act each time)."""
    row = await store.get(session, publication_id, for_update=True)
    domain.check_feedback(
        Kind(row.kind),
        State(row.state),
        row.comment_until,
        today,
        row.comment_count,
        summary,
        adopted,
        partly_adopted,
        not_adopted,
    )
    version = (row.comment_feedback or {}).get("version", 0) + 1
    row.comment_feedback = {
        "summary": summary.strip(),
        "received": row.comment_count,
        "adopted": adopted,
        "partly_adopted": partly_adopted,
        "not_adopted": not_adopted,
        "published_on": today.isoformat(),
        "version": version,
    }
    await session.flush()
    await record_act(
        session,
        ref_of(row.id),
        "publication.comment-feedback",
        actor,
        f"version {version}: {row.comment_count} received, {adopted} adopted, "
        f"{partly_adopted} partly, {not_adopted} not adopted",
    )
    return row
