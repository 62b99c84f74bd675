"""The acts of the petitions service (信访), one module per part of a case's life: intake.py (register,
file online, the case about the bureau routed above), reads.py (every read recorded, A80), handling.py
(triage, the assigned body's acts, review and re-review), leaders.py (marked for a leader, the
leader's instruction, the petitioner's rating), overdue.py (the overdue events of the sweep).

An act is one function taking the session, the actor and its typed input (and `env`, what it
consults besides the database). It checks the rules (domain.py), changes the rows (store/,
limits.py), records the act (shared.audit) and adds the event (`publish`, shared.outbox), all in the
caller's transaction: it never commits. RPCs (api.py) and the sweep (sweep.py) call acts.

Privacy (A71, A80): a case shows the petitioner's identity and contacts, the person complained
about and the attachments only to the bureau, to the body assigned to handle or review it, and to
the petitioner; the body complained about is refused (and the refusal recorded); leaders get the
case redacted. Events never carry personal data (protos/cases.py MESSAGE_TYPES), and the petitioner's own
acts are published without an actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.models import PetitionCase
from services.petitions.protos.cases import MESSAGE_TYPES, summary
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.org_client import Directory, OrgClient
from shared.outbox import add_event
from shared.workdays import WorkingCalendar

# 回避 (A71): who handles a petition about the petition bureau itself, unless the operator says otherwise.
DEFAULT_ROUTE_ABOVE_BUREAU = "general-office"
# Positions whose duties pass to an acting holder while away (A10 mayor, A59 A/B pairs).
ACTING_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor")
# The city leaders a case may be marked for (A71: leaders read letters and follow major cases).
LEADER_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor", "secretary-general")


@dataclass(frozen=True)
class Env:
    """What an act consults besides the database: the calendar (limits), the bureau's organisation
    code, the routes above a body complained about (回避), the secret of the person keys (repeat
    petitions), and org (None only where no org runs: the intake benchmark)."""

    calendar: WorkingCalendar
    bureau: str = "petition-bureau"
    routes_above: Mapping[str, str] = field(default_factory=dict)
    person_key_secret: bytes = b""
    org: OrgClient | None = None


class ReadRefused(Forbidden):
    """A80: a read (or act) refused; the entry point records `act` on the case in a transaction of its
    own (the caller's rolls back), then answers PERMISSION_DENIED."""

    def __init__(self, case_id: str, act: str = "case.read.denied"):
        super().__init__("this case is not open to your organisation", rule_id="A71")
        self.case_id = case_id
        self.act = act


def aggregate_ref(row: PetitionCase) -> str:
    return f"case/{row.id}"


async def publish(session: AsyncSession, event: str, row: PetitionCase, actor=None, **facts) -> None:
    """Write `petitions.case.<event>`: the summary plus the act's facts, in the caller's transaction.

    `actor` is None for a petitioner's own acts, so the envelope does not name him or her.
    """
    payload = MESSAGE_TYPES[event](case=summary(row), **facts)
    await add_event(session, f"petitions.case.{event}", payload, aggregate_ref(row), actor)


def leader_positions(directory: Directory, user_id: str) -> list[str]:
    """The city leader positions the user holds (A71), in org's order."""
    return [p for p, users in directory.holders.items() if p in LEADER_POSITIONS and user_id in users]


def reader(env: Env, actor: Actor) -> domain.Reader:
    return domain.Reader(
        organisation_code=actor.organisation_code,
        user_id=actor.user_id,
        is_bureau=actor.organisation_code == env.bureau and actor.may("petition:assign"),
        may_handle=actor.may("petition:handle"),
        may_review=actor.may("petition:review"),
        oversees=actor.may("petition:instruct") or actor.may("petition:stats"),
    )


def view_of(env: Env, actor: Actor, row: PetitionCase) -> domain.View:
    return domain.case_view(
        reader(env, actor),
        body_complained_about=row.body_complained_about,
        handling_body_code=row.handling_body_code,
        reviewing_body_codes=row.reviewing_body_codes,
        submitted_by_user_id=row.submitted_by_user_id,
    )


async def check_organisation(env: Env, code: str, field_name: str) -> None:
    """A case names real bodies: a misspelt body complained about would escape the privacy rule."""
    if code and env.org is not None and code not in (await env.org.directory()).organisations:
        raise InvalidInput({field_name: "no organisation with this code"})
