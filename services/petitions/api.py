"""The petitions service's gRPC surface: resolve input, call the rules and the store, map the result.

Each RPC states the permission (a client role of the `petitions` client in Keycloak) it needs;
which positions hold it is configured in Keycloak (composite roles), not here:
  petition:submit    file online, follow one's own cases, rate (every person, by default)
  petition:register  register a petition from any channel (the bureau)
  petition:read      read and list cases (what each shows depends on who reads: domain.case_view)
  petition:assign    triage, record review requests, mark a case for a leader (the bureau)
  petition:handle    acknowledge, object, reply (the assigned body)
  petition:extend    approve an extension of the handling limit (the assigned body's head)
  petition:review    give a review or re-review opinion (the reviewing body)
  petition:instruct  a leader's instruction on a case marked for him or her
  petition:stats     the register (登记簿)
  petition:open-statistics  the aggregate statistics (no case in them): every holder of petition:stats,
                     and the portal's service account for the open data of A38

Privacy (A71, A80): a case shows the petitioner's identity and contacts, the person complained
about and the attachments (their names, and their bytes through GetAttachment) only to the bureau
and to the body assigned to handle or review it, and to the petitioner (GetOwnAttachment);
the body complained about gets PERMISSION_DENIED (and never finds the case in a list); leaders
get the case redacted. Every read — allowed or refused — is recorded as an act ("case.read" /
"case.read.denied"). Events never carry personal data (events.py), and the petitioner's own
acts are published without an actor.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import date

from google.rpc import code_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions import domain, store
from services.petitions.events import (
    CATEGORY_TO_PROTO,
    CHANNEL_TO_PROTO,
    STAGE_TO_PROTO,
    STATE_TO_PROTO,
    publish,
)
from services.petitions.limits import last_answer_on, set_limit, triage_start
from services.petitions.models import PetitionCase
from shared import audit, words
from shared.convert import (
    date_from_proto,
    date_to_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import transaction
from shared.errors import DomainError, Forbidden, InvalidInput, NotFound
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.org_client import Directory, OrgClient
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc

CHANNEL_FROM_PROTO = {v: k for k, v in CHANNEL_TO_PROTO.items()}
CATEGORY_FROM_PROTO = {v: k for k, v in CATEGORY_TO_PROTO.items()}
STATE_FROM_PROTO = {v: k for k, v in STATE_TO_PROTO.items()}
OUTCOME_FROM_PROTO = {
    petitions_pb2.TriageOutcome.Value(f"TRIAGE_OUTCOME_{o.name}"): o for o in domain.TriageOutcome
}
ROUTE_TO_PROTO = {r: petitions_pb2.LegalRoute.Value(f"LEGAL_ROUTE_{r.name}") for r in domain.LegalRoute}
ROUTE_FROM_PROTO = {v: k for k, v in ROUTE_TO_PROTO.items()}
LEVEL_TO_PROTO = {r: petitions_pb2.ReviewLevel.Value(f"REVIEW_LEVEL_{r.name}") for r in domain.ReviewLevel}
SATISFACTION_TO_PROTO = {
    s: petitions_pb2.Satisfaction.Value(f"SATISFACTION_{s.name}") for s in domain.Satisfaction
}
SATISFACTION_FROM_PROTO = {v: k for k, v in SATISFACTION_TO_PROTO.items()}
DIMENSION_FROM_PROTO = {
    petitions_pb2.STATISTICS_DIMENSION_HANDLING_BODY: "handling_body",
    petitions_pb2.STATISTICS_DIMENSION_CATEGORY: "category",
    petitions_pb2.STATISTICS_DIMENSION_CHANNEL: "channel",
    petitions_pb2.STATISTICS_DIMENSION_MONTH: "month",
}

# Positions whose duties pass to an acting holder while away (A10 mayor, A59 A/B pairs).
ACTING_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor")
# The city leaders a case may be marked for (A71: leaders read letters and follow major cases).
LEADER_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor", "secretary-general")
# The public intake is on the internet: an account files at most this many petitions a day.
MAX_ONLINE_PER_DAY = 10
# 16 characters of 31 unambiguous ones (about 79 bits): not guessable, easy to read out on the phone.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 16


class TooManySubmissions(DomainError):
    """The rate limit of the public intake (RESOURCE_EXHAUSTED)."""

    code = code_pb2.RESOURCE_EXHAUSTED


def leader_positions(directory: Directory, user_id: str) -> list[str]:
    """The city leader positions the user holds (A71), in org's order."""
    return [p for p, users in directory.holders.items() if p in LEADER_POSITIONS and user_id in users]


def new_query_code() -> str:
    raw = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, QUERY_CODE_LENGTH, 4))


def query_code_hash(code: str) -> str:
    """The code as typed (any case, with or without dashes and spaces) → the stored hash."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()


# ---- from the wire --------------------------------------------------------------------------------

def intake_from_proto(message: petitions_pb2.Intake) -> domain.Intake:
    return domain.Intake(
        channel=CHANNEL_FROM_PROTO.get(message.channel),
        received_on=date_from_proto(message.received_on, "intake.received_on", required=False),
        category=CATEGORY_FROM_PROTO.get(message.category),
        title=message.title, content=message.content,
        petitioners=[
            domain.Petitioner(name=p.name.strip(), id_number=p.id_number.strip(), phone=p.phone.strip(),
                              address=p.address.strip(), representative=p.representative)
            for p in message.petitioners
        ],
        group_visit=message.group_visit, group_size=message.group_size,
        body_complained_about=message.body_complained_about.strip(),
        person_complained_about=message.person_complained_about.strip(),
        attachments=[
            domain.Attachment(file_name=a.file_name.strip(), media_type=a.media_type.strip(), content=a.content,
                              declared_size=a.size_bytes, declared_sha256=a.sha256.strip().lower())
            for a in message.attachments
        ],
        hotline_ref=message.hotline_ref.strip(),
    )


IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def idempotency_key_of(request: petitions_pb2.SubmitPetitionRequest) -> tuple[str, str] | None:
    """(key, SHA-256 of the intake as sent) of a submit that carries a key; None without one."""
    key = request.idempotency_key.strip()
    if not key:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput({"idempotency_key": "8 to 64 letters, digits, '_' or '-'"})
    return key, hashlib.sha256(request.intake.SerializeToString(deterministic=True)).hexdigest()


def search_words(intake: domain.Intake) -> tuple[list[str], list[str]]:
    """The lexemes (shared.words.lexemes: bigrams and words) of the full title and content, and of what
    a redacted reader is shown (A71). Segmenting 20 000 characters takes about 0.2 s of CPU: callers
    run it in a thread."""
    redacted = domain.redacted_searchable_text(intake.category, intake.title, intake.content,
                                               [vars(p) for p in intake.petitioners],
                                               intake.person_complained_about)
    return (words.lexemes(title=intake.title, body=intake.content),
            words.lexemes(body=redacted) if redacted else [])


def on_or_today(value: common_pb2.Date, field: str) -> date:
    return date_from_proto(value, field, required=False) or today_in_china()


# ---- to the wire ----------------------------------------------------------------------------------

def calendar_deadline_to_proto(d: domain.CalendarDeadline) -> petitions_pb2.CalendarDayDeadline:
    return petitions_pb2.CalendarDayDeadline(
        start=date_to_proto(d.start), days=d.days, due=date_to_proto(d.due),
        moved_to_working_day=d.moved_to_working_day, provisional=d.provisional,
    )


def attachment_to_proto(meta: dict, content: bytes = b"") -> petitions_pb2.Attachment:
    """A file's metadata as the case row lists it (rows from before stored files have no id)."""
    return petitions_pb2.Attachment(
        id=meta.get("id", ""), file_name=meta.get("file_name", ""), media_type=meta.get("media_type", ""),
        size_bytes=meta.get("size_bytes", 0), sha256=meta.get("sha256", ""), content=content)


def case_to_proto(row: PetitionCase, view: domain.View, cal: WorkingCalendar, *, today: date,
                  reader_user_id: str = "", repeat_count: int = 0, history=()) -> petitions_pb2.Case:
    """The case as `view` allows (A71, A80)."""
    full = view in (domain.View.FULL, domain.View.PETITIONER)
    case = petitions_pb2.Case(
        id=str(row.id), number=row.number, channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        received_on=date_to_proto(row.received_on), category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        group_visit=row.group_visit, group_size=row.group_size, hotline_ref=row.hotline_ref,
        state=STATE_TO_PROTO[domain.CaseState(row.state)], repeat_of_case_id=str(row.repeat_of_case_id or ""),
        repeat_count=repeat_count, handling_body_code=row.handling_body_code,
        transferred_to=row.transferred_to,
        legal_route=ROUTE_TO_PROTO[domain.LegalRoute(row.legal_route)] if row.legal_route else 0,
        identity_redacted=not full,
    )
    shows_report = full or domain.redacted_view_shows_report(
        domain.Category(row.category), row.marked_leader_ids, reader_user_id)
    # Free text outside full views: the case's names, numbers and addresses masked.
    terms = [] if full else domain.personal_terms(row.petitioners, row.person_complained_about)

    def text(value: str) -> str:
        return domain.mask_personal(value, terms) if terms else value

    if shows_report:
        case.title = text(row.title)
        case.content = text(row.content)
        case.body_complained_about = row.body_complained_about
    case.triage_notice = text(row.triage_notice)
    case.handling_plan = text(row.handling_plan)
    case.reply = text(row.reply)
    if full:
        case.person_complained_about = row.person_complained_about
        case.petitioners.extend(petitions_pb2.Petitioner(**p) for p in row.petitioners)
        case.attachments.extend(attachment_to_proto(a) for a in row.attachments)
        case.submitted_by_user_id = row.submitted_by_user_id
    state = domain.CaseState(row.state)
    if state is not domain.CaseState.LINKED:
        case.triage_due.CopyFrom(calendar_deadline_to_proto(domain.triage_deadline(triage_start(row), cal)))
    if row.assigned_on:
        case.assigned_on.CopyFrom(date_to_proto(row.assigned_on))
        case.acknowledgement_due.CopyFrom(
            calendar_deadline_to_proto(domain.acknowledgement_deadline(row.assigned_on, cal)))
        objection = domain.objection_deadline(row.assigned_on, cal)
        case.objection_due.CopyFrom(common_pb2.WorkingDayDeadline(
            start=date_to_proto(row.assigned_on), working_days=domain.OBJECTION_WORKING_DAYS,
            due=date_to_proto(objection.due), provisional=objection.provisional))
    for o in row.objections:
        case.objections.append(petitions_pb2.Objection(
            reason=text(o["reason"]), objected_on=date_to_proto(date.fromisoformat(o["objected_on"])),
            body_code=o["body_code"]))
    if row.accepted_on:
        case.accepted_on.CopyFrom(date_to_proto(row.accepted_on))
        case.handling_due.CopyFrom(calendar_deadline_to_proto(
            domain.handling_deadline(row.accepted_on, cal, row.extension_days)))
    if row.extension_days:
        case.extension.CopyFrom(petitions_pb2.Extension(
            days=row.extension_days, reason=text(row.extension_reason),
            approved_by_user_id=row.extension_approved_by,
            notice_sent_on=date_to_proto(row.extension_notice_on)))
    if row.replied_on:
        case.replied_on.CopyFrom(date_to_proto(row.replied_on))
    if state in (domain.CaseState.REPLIED, domain.CaseState.REVIEWED):
        case.review_request_due.CopyFrom(
            calendar_deadline_to_proto(domain.review_request_deadline(last_answer_on(row), cal)))
    for r in row.reviews:
        requested = date.fromisoformat(r["requested_on"])
        review = petitions_pb2.Review(
            level=LEVEL_TO_PROTO[domain.ReviewLevel(r["level"])],
            reviewing_body_code=r["reviewing_body_code"],
            requested_on=date_to_proto(requested), opinion=text(r.get("opinion", "")),
            answer_due=calendar_deadline_to_proto(domain.review_answer_deadline(requested, cal)))
        if r.get("decided_on"):
            review.decided_on.CopyFrom(date_to_proto(date.fromisoformat(r["decided_on"])))
        case.reviews.append(review)
    if view is not domain.View.PETITIONER:
        for i in row.leader_instructions:
            instruction = petitions_pb2.LeaderInstruction(
                leader_user_id=i["leader_user_id"], mark_reason=text(i.get("mark_reason", "")),
                instruction=text(i.get("instruction", "")))
            if i.get("instructed_on"):
                instruction.instructed_on.CopyFrom(date_to_proto(date.fromisoformat(i["instructed_on"])))
            if i.get("due"):
                instruction.due.CopyFrom(date_to_proto(date.fromisoformat(i["due"])))
            case.leader_instructions.append(instruction)
        case.history.extend(audit.to_proto(h) for h in history)
    if row.satisfaction:
        case.satisfaction = SATISFACTION_TO_PROTO[domain.Satisfaction(row.satisfaction)]
    if row.current_stage and domain.is_overdue(row.current_due, today):
        case.overdue = True
        case.overdue_stage = STAGE_TO_PROTO[domain.Stage(row.current_stage)]
    return case


# 回避 (A71): who handles a petition about the petition bureau itself, unless the operator says otherwise.
DEFAULT_ROUTE_ABOVE_BUREAU = "general-office"


class PetitionsServicer(petitions_pb2_grpc.PetitionsServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar, *,
                 bureau_organisation_code: str = "petition-bureau", person_key_secret: bytes = b"",
                 org: OrgClient | None = None, routes_above: Mapping[str, str] | None = None):
        self.sessions = sessions
        self.calendar = calendar
        self.bureau = bureau_organisation_code
        # 回避: body complained about → the body that handles such a case in the bureau's place.
        self.routes_above = dict(routes_above if routes_above is not None
                                 else {bureau_organisation_code: DEFAULT_ROUTE_ABOVE_BUREAU})
        self.person_key_secret = person_key_secret
        # None only where no org runs (the intake benchmark): organisation codes are then checked for form.
        self.org = org

    async def _check_organisation(self, code: str, field: str) -> None:
        """A case names real bodies: a misspelt body complained about would escape the privacy rule."""
        if code and self.org is not None and code not in (await self.org.directory()).organisations:
            raise InvalidInput({field: "no organisation with this code"})

    async def _instructing_for(self, actor: Actor, marked_leader_ids: list[str],
                               day: date) -> tuple[str, Actor]:
        """Whose instruction the caller gives: his or her own, or (A10, A59) that of a marked leader
        who is away that day and whose duties org says the caller holds — recorded with both names."""
        if actor.user_id in marked_leader_ids or self.org is None:
            return actor.user_id, actor
        directory = await self.org.directory()
        for leader in marked_leader_ids:
            for position in leader_positions(directory, leader):
                if position not in ACTING_POSITIONS:
                    continue
                acting = await self.org.who_may_act(position, day=day, holder_user_id=leader)
                if acting.holder_away and acting.acting_user_id == actor.user_id:
                    return leader, actor.acting_for(leader, position)
        return actor.user_id, actor

    # ---- who reads ---------------------------------------------------------------------------------

    def reader(self, actor: Actor) -> domain.Reader:
        return domain.Reader(
            organisation_code=actor.organisation_code, user_id=actor.user_id,
            is_bureau=actor.organisation_code == self.bureau and actor.may("petition:assign"),
            may_handle=actor.may("petition:handle"), may_review=actor.may("petition:review"),
            oversees=actor.may("petition:instruct") or actor.may("petition:stats"),
        )

    def view_of(self, actor: Actor, row: PetitionCase) -> domain.View:
        return domain.case_view(
            self.reader(actor), body_complained_about=row.body_complained_about,
            handling_body_code=row.handling_body_code, reviewing_body_codes=row.reviewing_body_codes,
            submitted_by_user_id=row.submitted_by_user_id,
        )

    async def _refuse_read(self, actor: Actor, case_id: str, act: str = "case.read.denied") -> None:
        """A80: a refused read is recorded too (in its own transaction: the refusal rolls back the
        caller's), then PERMISSION_DENIED."""
        async with transaction(self.sessions) as session:
            await audit.record_act(session, f"case/{case_id}", act, actor)
        raise Forbidden("this case is not open to your organisation", rule_id="A71")

    async def _reply(self, session: AsyncSession, row: PetitionCase, actor: Actor,
                     view: domain.View = domain.View.FULL) -> petitions_pb2.Case:
        counts = await store.repeat_counts(session, [row.id])
        history = await audit.history(session, f"case/{row.id}") if view is domain.View.FULL else ()
        # An acting holder (代行) reads as the leader he or she acts for.
        reader = actor.on_behalf_of_user_id or actor.user_id
        return case_to_proto(row, view, self.calendar, today=today_in_china(), reader_user_id=reader,
                             repeat_count=counts.get(row.id, 0), history=history)

    async def _case_for_bureau_act(self, session: AsyncSession, case_id: str, actor: Actor) -> PetitionCase:
        """The case, for an act of the bureau (or of a reviewing body); refused, saying nothing of the
        case's state, when the caller's organisation is the body complained about (A71)."""
        row = await store.get_case(session, case_id, for_update=True)
        if actor.organisation_code and actor.organisation_code == row.body_complained_about:
            await self._refuse_read(actor, case_id, "case.act.denied")
        return row

    async def _handled_case(self, session: AsyncSession, case_id: str, actor: Actor) -> PetitionCase:
        """The case, for an act of the body it is assigned to (the bureau does not act in its place)."""
        row = await store.get_case(session, case_id, for_update=True)
        if not actor.organisation_code or actor.organisation_code != row.handling_body_code:
            raise Forbidden("only the body the case is assigned to acts on it", reason="NOT_ASSIGNED_BODY")
        return row

    # ---- intake --------------------------------------------------------------------------------------

    async def _register(self, session: AsyncSession, intake: domain.Intake, actor: Actor, *,
                        explicit_repeat_of: str = "", submitted_by: str = "", event_actor=None,
                        searched: tuple[list[str], list[str]] = ([], []), idempotency: tuple = (None, None)):
        keys = domain.person_keys(intake.petitioners, self.person_key_secret)
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
            earlier = domain.find_same_matter(await store.cases_of_persons(session, keys), keys,
                                              intake.category, intake.body_complained_about)
        linked = earlier is not None and domain.links_as_repeat(earlier.state)
        code = new_query_code()
        files = store.describe_attachments(intake.attachments)
        petitioners = [vars(p) for p in intake.petitioners]
        row = await store.add_case(
            session, received_on=intake.received_on or today_in_china(), channel=intake.channel.value,
            category=intake.category.value,
            state=(domain.CaseState.LINKED if linked else domain.CaseState.REGISTERED).value,
            title=intake.title.strip(), content=intake.content.strip(),
            petitioners=petitioners, group_visit=intake.group_visit,
            group_size=intake.group_size or len(intake.petitioners),
            body_complained_about=intake.body_complained_about,
            person_complained_about=intake.person_complained_about,
            attachments=[vars(f) for f in files], hotline_ref=intake.hotline_ref,
            person_keys=keys, query_code_hash=query_code_hash(code), submitted_by_user_id=submitted_by,
            idempotency_key=idempotency[0], idempotency_fingerprint=idempotency[1],
            repeat_of_case_id=uuid.UUID(earlier.case_id) if earlier else None,
            search_full=store.search_vector(searched[0]), search_redacted=store.search_vector(searched[1]),
            before_insert=lambda new: set_limit(new, self.calendar),
        )
        # The files with the case, in its transaction: a case is never registered without its files.
        await store.add_attachments(session, row.id, intake.attachments, files)
        ref = f"case/{row.id}"
        await audit.record_act(session, ref, "case.registered", actor,
                               f"linked to {earlier.case_id}" if linked else "")
        if linked:
            await publish(session, "linked", row, event_actor, repeat_of_case_id=earlier.case_id)
        else:
            await publish(session, "registered", row, event_actor, triage_due=date_to_proto(row.current_due))
            await self._route_above(session, row, actor, event_actor)
        return row, code

    async def _route_above(self, session: AsyncSession, row: PetitionCase, actor: Actor, event_actor) -> None:
        """A71 回避: a case about the bureau (or another body that would handle or oversee it) is assigned
        at once to the body above, so the body complained about never triages, reads or lists it."""
        above = domain.routed_above(row.body_complained_about, self.routes_above)
        if not above:
            return
        row.state = domain.CaseState.ASSIGNED.value
        row.handling_body_code = above
        row.triaged_on = row.assigned_on = row.received_on
        set_limit(row, self.calendar)
        await session.flush()
        await audit.record_act(session, f"case/{row.id}", "case.accept_and_assign", actor,
                               f"routed above the body complained about (A71): {above}")
        await publish(session, "assigned", row, event_actor, acknowledgement_due=date_to_proto(row.current_due))

    @requires("petition:register")
    async def RegisterCase(self, request, context):
        """The bureau registers a petition from any channel (登记)."""
        actor = current_actor()
        intake = intake_from_proto(request.intake)
        domain.check_intake(intake, today_in_china())
        await self._check_organisation(intake.body_complained_about, "intake.body_complained_about")
        searched = await asyncio.to_thread(search_words, intake)  # off the event loop
        async with transaction(self.sessions) as session:
            row, code = await self._register(session, intake, actor,
                                             explicit_repeat_of=request.intake.repeat_of_case_id.strip(),
                                             event_actor=actor, searched=searched)
            # A case about the registering officer's own body went above it: the reply shows no identity.
            about_own = actor.organisation_code and actor.organisation_code == row.body_complained_about
            reply = await self._reply(session, row, actor, domain.View.REDACTED if about_own else domain.View.FULL)
        return petitions_pb2.RegisterCaseResponse(case=reply, query_code=code)

    @requires("petition:submit")
    async def SubmitPetition(self, request, context):
        """Online filing (网上信访) under the citizen's account: today, channel online, rate-limited.
        The citizen is the petitioner, so the events name no actor.

        A visitor without an account files through the portal's service account, which holds
        `petition:submit-anonymous`: the case then belongs to no account (followed by its query code
        only, never listed as anyone's own) and the portal limits such filings per visitor (by IP)."""
        actor = current_actor()
        anonymous = actor.is_service and actor.may("petition:submit-anonymous")
        today = today_in_china()
        intake = intake_from_proto(request.intake)
        if request.intake.channel not in (petitions_pb2.CHANNEL_UNSPECIFIED, petitions_pb2.CHANNEL_ONLINE):
            raise InvalidInput({"intake.channel": "a petition filed on the portal is online"})
        if intake.received_on not in (None, today):
            raise InvalidInput({"intake.received_on": "an online petition is received the day it is filed"})
        if request.intake.repeat_of_case_id:
            raise InvalidInput({"intake.repeat_of_case_id": "set by the bureau, not by the petitioner"})
        intake = domain.Intake(**{**vars(intake), "channel": domain.Channel.ONLINE, "received_on": today})
        domain.check_intake(intake, today)
        await self._check_organisation(intake.body_complained_about, "intake.body_complained_about")
        key = idempotency_key_of(request)
        searched = await asyncio.to_thread(search_words, intake)  # off the event loop
        owner = "" if anonymous else actor.user_id
        async with transaction(self.sessions) as session:
            if key:
                # one petition per submit: a refresh or a double tap returns the first case
                await store.lock_idempotency_key(session, owner, key[0])
                earlier = await store.by_idempotency_key(session, owner, key[0])
                if earlier is not None:
                    if earlier.idempotency_fingerprint != key[1]:
                        raise InvalidInput({"idempotency_key": "already used for a different petition"})
                    reply = await self._reply(session, earlier, actor, domain.View.PETITIONER)
                    return petitions_pb2.SubmitPetitionResponse(case=reply, replayed=True)
            filed_today = 0 if anonymous else await store.online_submissions_on(session, actor.user_id, today)
            if filed_today >= MAX_ONLINE_PER_DAY:
                raise TooManySubmissions(f"at most {MAX_ONLINE_PER_DAY} online petitions a day per account")
            row, code = await self._register(session, intake, actor, submitted_by=owner, searched=searched,
                                             idempotency=key or (None, None))
            reply = await self._reply(session, row, actor, domain.View.PETITIONER)
        return petitions_pb2.SubmitPetitionResponse(case=reply, query_code=code)

    # ---- reads (each one recorded, A80) ---------------------------------------------------------------

    @requires("petition:read")
    async def GetCase(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_case(session, request.case_id)
            view = self.view_of(actor, row)
            if view is not domain.View.NONE:
                await audit.record_act(session, f"case/{row.id}", "case.read", actor, view.value)
                return await self._reply(session, row, actor, view)
        await self._refuse_read(actor, request.case_id)

    @requires("petition:read")
    async def ListCases(self, request, context):
        actor = current_actor()
        reader = self.reader(actor)
        scope = store.Scope(everything=reader.is_bureau, organisation_code=reader.organisation_code,
                            handling=reader.may_handle, reviewing=reader.may_review, oversees=reader.oversees)
        # Words match only what each case shows this reader (store.list_cases): a search must not tell a
        # redacted reader what a complaint's hidden title or a petitioner's masked name says (A71).
        return await self._list(actor, scope, request, request.page)

    @requires("petition:submit")
    async def ListMyCases(self, request, context):
        actor = current_actor()
        return await self._list(actor, store.Scope(submitted_by_user_id=actor.user_id),
                                petitions_pb2.ListCasesRequest(), request.page)

    async def _list(self, actor: Actor, scope: store.Scope, request, page) -> petitions_pb2.ListCasesResponse:
        limit = page_limit(page)
        if len(request.text) > 200:
            raise InvalidInput({"text": "at most 200 characters"})
        after = decode_received_cursor(page.page_token)
        today = today_in_china()
        async with transaction(self.sessions) as session:
            rows = await store.list_cases(
                session, scope, state=STATE_FROM_PROTO[request.state].value if request.state else "",
                handling_body_code=request.handling_body_code.strip(),
                category=CATEGORY_FROM_PROTO[request.category].value if request.category else "",
                channel=CHANNEL_FROM_PROTO[request.channel].value if request.channel else "",
                overdue_on=today if request.overdue_only else None,
                received_from=date_from_proto(request.received_from, "received_from", required=False),
                received_to=date_from_proto(request.received_to, "received_to", required=False),
                after=after, limit=limit + 1, text_query=request.text.strip(),
            )
            more = len(rows) > limit
            rows = rows[:limit]
            counts = await store.repeat_counts(session, [r.id for r in rows])
            cases = []
            for row in rows:
                view = self.view_of(actor, row)
                if view is domain.View.NONE:  # the scope already keeps these out; never show one
                    continue
                await audit.record_act(session, f"case/{row.id}", "case.read", actor, f"list, {view.value}")
                cases.append(case_to_proto(row, view, self.calendar, today=today,
                                           reader_user_id=actor.user_id, repeat_count=counts.get(row.id, 0)))
        token = encode_page_token(rows[-1].received_on.isoformat(), str(rows[-1].id)) if more else ""
        return petitions_pb2.ListCasesResponse(cases=cases,
                                               page=common_pb2.PageResponse(next_page_token=token))

    # ---- attached files (A71, A80: the case's privacy, every read recorded) -------------------------

    @requires("petition:read")
    async def GetAttachment(self, request, context):
        """A file of a case, to readers who see the case in full; refused (and recorded) to the body
        complained about and to redacted readers, who are not shown that the file exists."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_case(session, request.case_id)
            view = self.view_of(actor, row)
            if view in (domain.View.FULL, domain.View.PETITIONER):
                return await self._attachment(session, row, request.attachment_id, actor, view.value)
        await self._refuse_read(actor, request.case_id, "attachment.read.denied")

    @requires("petition:submit")
    async def GetOwnAttachment(self, request, context):
        """The petitioner's own file: by query code (the portal, for a visitor without an account), or
        by case id under the account that filed the case."""
        actor = current_actor()
        if bool(request.case_id) == bool(request.query_code):
            raise InvalidInput({"case_id": "give the case id or the query code, one of them"})
        async with transaction(self.sessions) as session:
            if request.query_code:
                row = await store.get_case_by_query_code(session, query_code_hash(request.query_code))
                if row is None:
                    raise NotFound("a case with this query code", resource_type="petition case")
                how = "query code"
            else:
                row = await store.get_case(session, request.case_id)
                how = "own account"
                if not row.submitted_by_user_id or row.submitted_by_user_id != actor.user_id:
                    row = None
            if row is not None:
                return await self._attachment(session, row, request.attachment_id, actor, how)
        await self._refuse_read(actor, request.case_id, "attachment.read.denied")

    async def _attachment(self, session: AsyncSession, row: PetitionCase, attachment_id: str, actor: Actor,
                          how: str) -> petitions_pb2.Attachment:
        stored = await store.get_attachment(session, row.id, attachment_id)
        # The record names the file by id only: its name may name people.
        await audit.record_act(session, f"case/{row.id}", "attachment.read", actor, f"{stored.id}, {how}")
        meta = {"id": str(stored.id), "file_name": stored.file_name, "media_type": stored.media_type,
                "size_bytes": stored.size_bytes, "sha256": stored.sha256}
        return attachment_to_proto(meta, stored.content)

    @requires("petition:submit")
    async def FollowCase(self, request, context):
        """The petitioner's own case by query code, without an account (or from the portal)."""
        actor = current_actor()
        if not request.query_code.strip():
            raise InvalidInput({"query_code": "the code given at intake"})
        async with transaction(self.sessions) as session:
            row = await store.get_case_by_query_code(session, query_code_hash(request.query_code))
            if row is None:
                raise NotFound("a case with this query code", resource_type="petition case")
            await audit.record_act(session, f"case/{row.id}", "case.read", actor, "query code")
            return await self._reply(session, row, actor, domain.View.PETITIONER)

    # ---- triage by the bureau ----------------------------------------------------------------------

    @requires("petition:assign")
    async def TriageCase(self, request, context):
        actor = current_actor()
        triage = domain.Triage(
            outcome=OUTCOME_FROM_PROTO.get(request.outcome),
            handling_body_code=request.handling_body_code.strip(),
            transfer_to=request.transfer_to.strip(), legal_route=ROUTE_FROM_PROTO.get(request.legal_route),
            notice=request.notice.strip(), new_facts_and_reasons=request.new_facts_and_reasons.strip(),
        )
        on = on_or_today(request.triaged_on, "triaged_on")
        if triage.outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
            await self._check_organisation(triage.handling_body_code, "handling_body_code")
        async with transaction(self.sessions) as session:
            row = await self._case_for_bureau_act(session, request.case_id, actor)
            earlier_state = None
            if row.repeat_of_case_id:
                first = await store.get_case(session, str(row.repeat_of_case_id))
                earlier_state = domain.CaseState(first.state)
            domain.check_triage(
                triage, state=domain.CaseState(row.state), body_complained_about=row.body_complained_about,
                earlier_state=earlier_state, triaged_on=on, received_on=triage_start(row),
                today=today_in_china(),
            )
            row.triaged_on = on
            row.triage_notice = triage.notice
            row.new_facts_and_reasons = triage.new_facts_and_reasons
            outcome = triage.outcome
            if outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
                row.state = domain.CaseState.ASSIGNED.value
                row.handling_body_code = triage.handling_body_code
                row.assigned_on = on
            elif outcome is domain.TriageOutcome.TRANSFER:
                row.state = domain.CaseState.TRANSFERRED.value
                row.transferred_to = triage.transfer_to
            elif outcome is domain.TriageOutcome.LEGAL_ROUTE:
                row.state = domain.CaseState.LEGAL_ROUTE.value
                row.legal_route = triage.legal_route.value
            else:
                row.state = domain.CaseState.NOT_ACCEPTED.value
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", f"case.{outcome.value}", actor,
                                   triage.notice or triage.handling_body_code)
            if outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
                await publish(session, "assigned", row, actor,
                              acknowledgement_due=date_to_proto(row.current_due))
            elif outcome is domain.TriageOutcome.TRANSFER:
                await publish(session, "transferred", row, actor, transferred_to=row.transferred_to)
            elif outcome is domain.TriageOutcome.LEGAL_ROUTE:
                await publish(session, "legal-route", row, actor,
                              legal_route=ROUTE_TO_PROTO[triage.legal_route])
            else:
                rule = "A71.no-third-time" if earlier_state is domain.CaseState.RE_REVIEWED else ""
                await publish(session, "not-accepted", row, actor, rule_id=rule)
            return await self._reply(session, row, actor)

    # ---- the assigned body -----------------------------------------------------------------------------

    @requires("petition:handle")
    async def AcknowledgeCase(self, request, context):
        """The body accepts (受理) and tells the petitioner how it will handle the case."""
        actor = current_actor()
        on = on_or_today(request.acknowledged_on, "acknowledged_on")
        async with transaction(self.sessions) as session:
            row = await self._handled_case(session, request.case_id, actor)
            domain.check_acknowledgement(state=domain.CaseState(row.state), assigned_on=row.assigned_on,
                                         acknowledged_on=on, today=today_in_china(),
                                         handling_plan=request.handling_plan)
            row.state = domain.CaseState.IN_HANDLING.value
            row.accepted_on = on
            row.handling_plan = request.handling_plan.strip()
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.accepted", actor, row.handling_plan)
            await publish(session, "accepted", row, actor, handling_due=date_to_proto(row.current_due))
            return await self._reply(session, row, actor)

    @requires("petition:handle")
    async def ObjectToAssignment(self, request, context):
        actor = current_actor()
        on = on_or_today(request.objected_on, "objected_on")
        async with transaction(self.sessions) as session:
            row = await self._handled_case(session, request.case_id, actor)
            domain.check_objection(state=domain.CaseState(row.state), assigned_on=row.assigned_on,
                                   objected_on=on, today=today_in_china(), reason=request.reason,
                                   objection_due=domain.objection_deadline(row.assigned_on, self.calendar))
            body = row.handling_body_code
            row.objections = [*row.objections, {"body_code": body, "reason": request.reason.strip(),
                                                "objected_on": on.isoformat()}]
            row.state = domain.CaseState.REGISTERED.value
            row.handling_body_code = ""
            row.assigned_on = None
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.objected", actor, request.reason.strip())
            await publish(session, "objected", row, actor, body_code=body)
            # The body is no longer assigned: from now on it sees no identity.
            return await self._reply(session, row, actor, domain.View.REDACTED)

    @requires("petition:extend")
    async def ExtendHandling(self, request, context):
        """Approved by the handling body's head (who holds petition:extend), once, ≤ 30 days."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await self._handled_case(session, request.case_id, actor)
            state = domain.CaseState(row.state)
            handling_due = domain.handling_deadline(row.accepted_on, self.calendar).due \
                if row.accepted_on else today_in_china()
            notice = date_from_proto(request.notice_sent_on, "notice_sent_on", required=False)
            domain.check_extension(state=state, already_extended=row.extension_days > 0, days=request.days,
                                   reason=request.reason, notice_sent_on=notice, handling_due=handling_due,
                                   accepted_on=row.accepted_on or today_in_china(), today=today_in_china())
            row.extension_days = request.days
            row.extension_reason = request.reason.strip()
            row.extension_approved_by = actor.user_id
            row.extension_notice_on = notice
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.extended", actor, row.extension_reason)
            await publish(session, "extended", row, actor, days=request.days,
                          handling_due=date_to_proto(row.current_due))
            return await self._reply(session, row, actor)

    @requires("petition:handle")
    async def ReplyCase(self, request, context):
        actor = current_actor()
        on = on_or_today(request.replied_on, "replied_on")
        async with transaction(self.sessions) as session:
            row = await self._handled_case(session, request.case_id, actor)
            domain.check_reply(state=domain.CaseState(row.state), accepted_on=row.accepted_on or on,
                               replied_on=on, today=today_in_china(), reply=request.reply)
            late = domain.is_overdue(row.current_due, on)
            row.state = domain.CaseState.REPLIED.value
            row.replied_on = on
            row.reply = request.reply.strip()
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.replied", actor)
            await publish(session, "replied", row, actor, replied_on=date_to_proto(on), late=late)
            return await self._reply(session, row, actor)

    # ---- review and re-review --------------------------------------------------------------------------

    @requires("petition:assign")
    async def RequestReview(self, request, context):
        """The bureau records the petitioner's request and the body one level up that answers it."""
        actor = current_actor()
        on = on_or_today(request.requested_on, "requested_on")
        body = request.reviewing_body_code.strip()
        async with transaction(self.sessions) as session:
            row = await self._case_for_bureau_act(session, request.case_id, actor)
            state = domain.CaseState(row.state)
            level = domain.check_review_request(
                state=state, answered_on=last_answer_on(row) or on, requested_on=on, today=today_in_china(),
                reviewing_body_code=body, earlier_bodies=[row.handling_body_code, *row.reviewing_body_codes],
                body_complained_about=row.body_complained_about, cal=self.calendar,
            )
            row.reviews = [*row.reviews, {"level": level.value, "reviewing_body_code": body,
                                          "requested_on": on.isoformat(), "reason": request.reason.strip()}]
            row.reviewing_body_codes = [*row.reviewing_body_codes, body]
            row.state = (domain.CaseState.UNDER_REVIEW if level is domain.ReviewLevel.REVIEW
                         else domain.CaseState.UNDER_RE_REVIEW).value
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", f"case.{level.value}-requested", actor,
                                   request.reason.strip())
            await publish(session, "review-requested", row, actor, level=LEVEL_TO_PROTO[level],
                          reviewing_body_code=body, answer_due=date_to_proto(row.current_due))
            return await self._reply(session, row, actor)

    @requires("petition:review")
    async def DecideReview(self, request, context):
        """The reviewing body's opinion; the bureau may record one given by a body outside the city."""
        actor = current_actor()
        on = on_or_today(request.decided_on, "decided_on")
        async with transaction(self.sessions) as session:
            row = await self._case_for_bureau_act(session, request.case_id, actor)
            state = domain.CaseState(row.state)
            pending = row.reviews[-1] if row.reviews else None
            under_review = state in (domain.CaseState.UNDER_REVIEW, domain.CaseState.UNDER_RE_REVIEW)
            if pending is None or not under_review:
                raise InvalidInput({"case_id": f"the case is {state.value}; no review is pending"})
            if actor.organisation_code != pending["reviewing_body_code"] and not self.reader(actor).is_bureau:
                raise Forbidden("the body asked to review gives the opinion", reason="NOT_REVIEWING_BODY")
            domain.check_review_decision(
                state=state, requested_on=date.fromisoformat(pending["requested_on"]), decided_on=on,
                today=today_in_china(), opinion=request.opinion,
            )
            row.reviews = [*row.reviews[:-1], {**pending, "decided_on": on.isoformat(),
                                               "opinion": request.opinion.strip()}]
            level = domain.ReviewLevel(pending["level"])
            row.state = (domain.CaseState.REVIEWED if level is domain.ReviewLevel.REVIEW
                         else domain.CaseState.RE_REVIEWED).value
            set_limit(row, self.calendar)
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", f"case.{level.value}ed", actor)
            await publish(session, "reviewed", row, actor, level=LEVEL_TO_PROTO[level],
                          reviewing_body_code=pending["reviewing_body_code"])
            return await self._reply(session, row, actor)

    # ---- leaders (A71) -----------------------------------------------------------------------------

    @requires("petition:assign")
    async def MarkForLeader(self, request, context):
        actor = current_actor()
        leader = request.leader_user_id.strip()
        bad = []
        if not leader or len(leader) > 64:
            bad.append(("leader_user_id", "the leader's user id"))
        if not request.reason.strip():
            bad.append(("reason", "why: an important letter, a reception-day visit, a major case"))
        if bad:
            raise InvalidInput(bad)
        if self.org is not None and not leader_positions(await self.org.directory(), leader):
            raise InvalidInput({"leader_user_id": "not a mayor, vice mayor or secretary-general"})
        async with transaction(self.sessions) as session:
            row = await self._case_for_bureau_act(session, request.case_id, actor)
            if leader in row.marked_leader_ids:
                raise InvalidInput({"leader_user_id": "the case is marked for this leader already"})
            row.marked_leader_ids = [*row.marked_leader_ids, leader]
            row.leader_instructions = [*row.leader_instructions,
                                       {"leader_user_id": leader, "mark_reason": request.reason.strip()}]
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.leader-marked", actor,
                                   f"{leader}: {request.reason.strip()}")
            await publish(session, "leader-marked", row, actor, leader_user_id=leader)
            return await self._reply(session, row, actor)

    @requires("petition:instruct")
    async def InstructCase(self, request, context):
        """The marked leader's instruction (批示); supervision makes it an instructed item."""
        actor = current_actor()
        today = today_in_china()
        due = date_from_proto(request.due, "due", required=False)
        async with transaction(self.sessions) as session:
            marked = list((await store.get_case(session, request.case_id)).marked_leader_ids)
        leader, instructing = await self._instructing_for(actor, marked, today)
        async with transaction(self.sessions) as session:
            row = await store.get_case(session, request.case_id, for_update=True)
            domain.check_instruction(marked_leader_ids=row.marked_leader_ids, caller_user_id=leader,
                                     instruction=request.instruction, due=due, today=today)
            entry = {"instruction": request.instruction.strip(), "instructed_on": today.isoformat(),
                     "due": due.isoformat() if due else "",
                     "acting_user_id": actor.user_id if leader != actor.user_id else ""}
            instructions = list(row.leader_instructions)
            open_mark = next((i for i, e in enumerate(instructions)
                              if e["leader_user_id"] == leader and not e.get("instruction")), None)
            if open_mark is None:
                mark_reason = next(e["mark_reason"] for e in instructions if e["leader_user_id"] == leader)
                instructions.append({"leader_user_id": leader, "mark_reason": mark_reason, **entry})
            else:
                instructions[open_mark] = {**instructions[open_mark], **entry}
            row.leader_instructions = instructions
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.leader-instructed", instructing,
                                   entry["instruction"])
            # The event goes to supervision: the case's names and numbers masked in the leader's words.
            terms = domain.personal_terms(row.petitioners, row.person_complained_about)
            facts = dict(leader_user_id=leader, instruction=domain.mask_personal(entry["instruction"], terms),
                         instructed_on=date_to_proto(today))
            if due:
                facts["due"] = date_to_proto(due)
            await publish(session, "leader-instructed", row, instructing, **facts)
            return await self._reply(session, row, instructing, self.view_of(instructing, row))

    # ---- satisfaction --------------------------------------------------------------------------------

    @requires("petition:submit")
    async def RateCase(self, request, context):
        """The petitioner rates (by account or query code), or the bureau records a rating given by phone."""
        actor = current_actor()
        satisfaction = SATISFACTION_FROM_PROTO.get(request.satisfaction)
        if bool(request.case_id) == bool(request.query_code):
            raise InvalidInput({"case_id": "give the case id or the query code, one of them"})
        async with transaction(self.sessions) as session:
            if request.query_code:
                row = await store.get_case_by_query_code(session, query_code_hash(request.query_code),
                                                         for_update=True)
                if row is None:
                    raise NotFound("a case with this query code", resource_type="petition case")
                by_petitioner = True
            else:
                row = await store.get_case(session, request.case_id, for_update=True)
                by_petitioner = bool(row.submitted_by_user_id) and row.submitted_by_user_id == actor.user_id
                bureau_records = actor.may("petition:register") and self.reader(actor).is_bureau
                if not (by_petitioner or bureau_records):
                    raise Forbidden("a case is rated by its petitioner, or recorded by the bureau",
                                    reason="NOT_PETITIONER")
            domain.check_rating(state=domain.CaseState(row.state), already_rated=bool(row.satisfaction),
                                satisfaction=satisfaction)
            row.satisfaction = satisfaction.value
            row.satisfaction_comment = request.comment.strip()[:2000]
            await session.flush()
            await audit.record_act(session, f"case/{row.id}", "case.rated", actor, satisfaction.value)
            await publish(session, "rated", row, None if by_petitioner else actor,
                          satisfaction=SATISFACTION_TO_PROTO[satisfaction])
            view = domain.View.PETITIONER if by_petitioner else domain.View.FULL
            return await self._reply(session, row, actor, view)

    # ---- statistics ----------------------------------------------------------------------------------

    @requires("petition:open-statistics")
    async def GetStatistics(self, request, context):
        dimension = DIMENSION_FROM_PROTO.get(request.dimension)
        if dimension is None:
            raise InvalidInput({"dimension": "handling body, category, channel or month"})
        received_from = date_from_proto(request.received_from, "received_from", required=False)
        received_to = date_from_proto(request.received_to, "received_to", required=False)
        if received_from and received_to and received_to < received_from:
            raise InvalidInput({"received_to": "not before received_from"})
        today = today_in_china()
        async with transaction(self.sessions) as session:
            rows = await store.statistics(session, dimension, today, received_from=received_from,
                                          received_to=received_to)
            await audit.record_act(session, "statistics", "statistics.read", current_actor(), dimension)
        return petitions_pb2.GetStatisticsResponse(
            dimension=request.dimension, as_of=date_to_proto(today),
            rows=[petitions_pb2.StatisticsRow(**r) for r in rows],
        )

    # ---- the register (登记簿) ----------------------------------------------------------------------

    @requires("petition:stats")
    async def GetRegister(self, request, context):
        """The printable register of a period: no identity, no complained party, no content (A71)."""
        actor = current_actor()
        received_from = date_from_proto(request.received_from, "received_from", required=False)
        received_to = date_from_proto(request.received_to, "received_to", required=False)
        if received_from and received_to and received_to < received_from:
            raise InvalidInput({"received_to": "not before received_from"})
        limit = page_limit(request.page)
        after = decode_received_cursor(request.page.page_token)
        today = today_in_china()
        async with transaction(self.sessions) as session:
            # Not even a line of a case about the reader's own body (A71).
            scope = store.Scope(everything=True, organisation_code=actor.organisation_code)
            rows = await store.list_cases(session, scope, received_from=received_from,
                                          received_to=received_to, after=after, limit=limit + 1)
            more = len(rows) > limit
            rows = rows[:limit]
            numbers = await store.numbers_of(session, {r.repeat_of_case_id for r in rows})
            await audit.record_act(session, "register", "register.read", actor,
                                   f"{received_from or ''}..{received_to or ''}")
        lines = [register_line(r, today, numbers.get(r.repeat_of_case_id, "")) for r in rows]
        token = encode_page_token(rows[-1].received_on.isoformat(), str(rows[-1].id)) if more else ""
        return petitions_pb2.GetRegisterResponse(lines=lines, csv=register_csv(lines),
                                                 page=common_pb2.PageResponse(next_page_token=token))


def decode_received_cursor(token: str) -> tuple[date, str] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        day, last_id = position
        return date.fromisoformat(day), str(uuid.UUID(last_id))
    except ValueError:
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


def register_line(row: PetitionCase, today: date, repeat_of_number: str) -> petitions_pb2.RegisterLine:
    line = petitions_pb2.RegisterLine(
        number=row.number, received_on=date_to_proto(row.received_on),
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        state=STATE_TO_PROTO[domain.CaseState(row.state)], handling_body_code=row.handling_body_code,
        overdue=bool(row.current_stage) and domain.is_overdue(row.current_due, today),
        repeat_of_number=repeat_of_number,
    )
    if row.current_stage and row.current_due:
        line.stage = STAGE_TO_PROTO[domain.Stage(row.current_stage)]
        line.due.CopyFrom(date_to_proto(row.current_due))
    if row.replied_on:
        line.replied_on.CopyFrom(date_to_proto(row.replied_on))
    if row.satisfaction:
        line.satisfaction = SATISFACTION_TO_PROTO[domain.Satisfaction(row.satisfaction)]
    return line


REGISTER_COLUMNS = ("编号", "收到日期", "渠道", "类别", "状态", "承办单位", "当前期限", "是否超期", "答复日期",
                    "满意度", "重复件所属")
CHANNEL_TITLES = {"letter": "来信", "visit": "来访", "online": "网上信访", "phone": "来电",
                  "hotline_transfer": "12345热线转办"}
CATEGORY_TITLES = {"suggestion": "建议意见", "complaint_report": "检举控告", "request_appeal": "申诉求决"}
SATISFACTION_TITLES = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def register_csv(lines: list[petitions_pb2.RegisterLine]) -> str:
    def day_text(value: common_pb2.Date) -> str:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else ""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    channels = {v: CHANNEL_TITLES[k.value] for k, v in CHANNEL_TO_PROTO.items()}
    categories = {v: CATEGORY_TITLES[k.value] for k, v in CATEGORY_TO_PROTO.items()}
    satisfaction = {v: SATISFACTION_TITLES[k.value] for k, v in SATISFACTION_TO_PROTO.items()}
    states = {v: k.value for k, v in STATE_TO_PROTO.items()}
    for line in lines:
        writer.writerow((
            line.number, day_text(line.received_on), channels[line.channel], categories[line.category],
            states[line.state], line.handling_body_code, day_text(line.due), "是" if line.overdue else "",
            day_text(line.replied_on), satisfaction.get(line.satisfaction, ""), line.repeat_of_number,
        ))
    return out.getvalue()
