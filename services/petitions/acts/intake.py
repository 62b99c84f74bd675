"""Intake (登记): the bureau registers a petition from any channel, a citizen files one online (网上信访);
a repeat of an open matter is linked to its first case; a case about the bureau (or another body
that would handle or oversee it) goes at once to the body above (回避, A71)."""

from __future__ import annotations

import uuid

from google.rpc import code_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import Env, aggregate_ref, publish
from services.petitions.acts.reads import reply_of
from services.petitions.limits import set_limit
from services.petitions.models import PetitionCase
from shared import audit, words
from shared.convert import date_to_proto, today_in_china
from shared.errors import DomainError, InvalidInput, NotFound
from shared.identity import Actor
from shared.query_code import new_query_code, query_code_hash
from zgov.petitions.v1 import petitions_pb2

# The public intake is on the internet: an account files at most this many petitions a day.
MAX_ONLINE_PER_DAY = 10


class TooManySubmissions(DomainError):
    """The rate limit of the public intake (RESOURCE_EXHAUSTED)."""

    code = code_pb2.RESOURCE_EXHAUSTED


def search_words(intake: domain.Intake) -> tuple[list[str], list[str]]:
    """The lexemes (shared.words.lexemes: bigrams and words) of the full title and content, and of what
    a redacted reader is shown (A71). Segmenting 20 000 characters takes about 0.2 s of CPU: callers
    run it in a thread."""
    redacted = domain.redacted_searchable_text(
        intake.category,
        intake.title,
        intake.content,
        [vars(p) for p in intake.petitioners],
        intake.person_complained_about,
    )
    return (
        words.lexemes(title=intake.title, body=intake.content),
        words.lexemes(body=redacted) if redacted else [],
    )


async def _register(
    session: AsyncSession,
    env: Env,
    intake: domain.Intake,
    actor: Actor,
    *,
    explicit_repeat_of: str = "",
    submitted_by: str = "",
    event_actor=None,
    searched: tuple[list[str], list[str]] = ([], []),
    idempotency: tuple = (None, None),
) -> tuple[PetitionCase, str]:
    keys = domain.person_keys(intake.petitioners, env.person_key_secret)
    await store.lock_persons(session, keys)
    earlier = None
    if explicit_repeat_of:
        try:
            first = await store.get_case(session, explicit_repeat_of)
        except NotFound:
            raise InvalidInput({"intake.repeat_of_case_id": "no case with this id"}) from None
        if first.repeat_of_case_id:  # link to the first case of the matter, not to another repeat
            first = await store.get_case(session, str(first.repeat_of_case_id))
        earlier = store.as_earlier(first)
    else:
        body = intake.body_complained_about
        earlier = domain.find_same_matter(
            await store.first_cases_of_persons(session, keys, intake.category, body),
            keys,
            intake.category,
            body,
        )
    linked = earlier is not None and domain.links_as_repeat(earlier.state)
    code = new_query_code()
    files = store.describe_attachments(intake.attachments)
    petitioners = [vars(p) for p in intake.petitioners]
    row = await store.add_case(
        session,
        received_on=intake.received_on or today_in_china(),
        channel=intake.channel.value,
        category=intake.category.value,
        state=(domain.CaseState.LINKED if linked else domain.CaseState.REGISTERED).value,
        title=intake.title.strip(),
        content=intake.content.strip(),
        petitioners=petitioners,
        group_visit=intake.group_visit,
        group_size=intake.group_size or len(intake.petitioners),
        body_complained_about=intake.body_complained_about,
        person_complained_about=intake.person_complained_about,
        attachments=[vars(f) for f in files],
        hotline_ref=intake.hotline_ref,
        person_keys=keys,
        query_code_hash=query_code_hash(code),
        submitted_by_user_id=submitted_by,
        idempotency_key=idempotency[0],
        idempotency_fingerprint=idempotency[1],
        repeat_of_case_id=uuid.UUID(earlier.case_id) if earlier else None,
        search_full=store.search_vector(searched[0]),
        search_redacted=store.search_vector(searched[1]),
        before_insert=lambda new: set_limit(new, env.calendar),
    )
    # The files with the case, in its transaction: a case is never registered without its files.
    await store.add_attachments(session, row.id, intake.attachments, files)
    await audit.record_act(
        session,
        aggregate_ref(row),
        "case.registered",
        actor,
        f"linked to {earlier.case_id}" if linked else "",
    )
    if linked:
        await publish(session, "linked", row, event_actor, repeat_of_case_id=earlier.case_id)
    else:
        await publish(session, "registered", row, event_actor, triage_due=date_to_proto(row.current_due))
        await _route_above(session, env, row, actor, event_actor)
    return row, code


async def _route_above(session: AsyncSession, env: Env, row: PetitionCase, actor: Actor, event_actor) -> None:
    """A71 回避: a case about the bureau (or another body that would handle or oversee it) is assigned
    at once to the body above, so the body complained about never triages, reads or lists it."""
    above = domain.routed_above(row.body_complained_about, env.routes_above)
    if not above:
        return
    row.state = domain.CaseState.ASSIGNED.value
    row.handling_body_code = above
    row.triaged_on = row.assigned_on = row.received_on
    set_limit(row, env.calendar)
    await session.flush()
    await audit.record_act(
        session,
        aggregate_ref(row),
        "case.accept_and_assign",
        actor,
        f"routed above the body complained about (A71): {above}",
    )
    await publish(session, "assigned", row, event_actor, acknowledgement_due=date_to_proto(row.current_due))


async def register_case(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    intake: domain.Intake,
    *,
    repeat_of: str,
    searched: tuple[list[str], list[str]],
) -> petitions_pb2.RegisterCaseResponse:
    """The bureau registers a petition from any channel (登记); the caller has checked the intake
    (domain.check_intake) and its organisations before the transaction."""
    row, code = await _register(
        session, env, intake, actor, explicit_repeat_of=repeat_of, event_actor=actor, searched=searched
    )
    # A case about the registering officer's own body went above it: the reply shows no identity.
    about_own = actor.organisation_code and actor.organisation_code == row.body_complained_about
    reply = await reply_of(session, env, row, actor, domain.View.REDACTED if about_own else domain.View.FULL)
    return petitions_pb2.RegisterCaseResponse(case=reply, query_code=code)


async def submit_petition(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    intake: domain.Intake,
    *,
    anonymous: bool,
    searched: tuple[list[str], list[str]],
    idempotency: tuple[str, str] | None = None,
) -> petitions_pb2.SubmitPetitionResponse:
    """Online filing (网上信访), today, rate-limited per account; the citizen is the petitioner, so the
    events name no actor. An anonymous filing (the portal's service account) belongs to no account.
    `idempotency` (key, fingerprint of the intake): a refresh or a double tap returns the first case."""
    today = today_in_china()
    owner = "" if anonymous else actor.user_id
    if idempotency:
        await store.lock_idempotency_key(session, owner, idempotency[0])
        earlier = await store.by_idempotency_key(session, owner, idempotency[0])
        if earlier is not None:
            if earlier.idempotency_fingerprint != idempotency[1]:
                raise InvalidInput({"idempotency_key": "already used for a different petition"})
            reply = await reply_of(session, env, earlier, actor, domain.View.PETITIONER)
            return petitions_pb2.SubmitPetitionResponse(case=reply, replayed=True)
    filed_today = 0 if anonymous else await store.online_submissions_on(session, actor.user_id, today)
    if filed_today >= MAX_ONLINE_PER_DAY:
        raise TooManySubmissions(f"at most {MAX_ONLINE_PER_DAY} online petitions a day per account")
    row, code = await _register(
        session,
        env,
        intake,
        actor,
        submitted_by=owner,
        searched=searched,
        idempotency=idempotency or (None, None),
    )
    reply = await reply_of(session, env, row, actor, domain.View.PETITIONER)
    return petitions_pb2.SubmitPetitionResponse(case=reply, query_code=code)
