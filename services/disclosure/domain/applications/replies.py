"""Applications for information: the kinds of reply and what each must say (art. 35–39, 41)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from services.disclosure.domain.applications.kinds import (
    CORRECTION_REPLIES,
    Exemption,
    MAX_SHORT,
    MAX_TEXT,
    ReplyKind,
    RequestKind,
    State,
)


# ---- art. 35–39: replies ----------------------------------------------------------------------


@dataclass(frozen=True)
class Withheld:
    """A part not disclosed (art. 37): what, on which ground, why."""

    part: str
    exemption: Exemption | None
    reason: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind | None
    # ALREADY_PUBLISHED: where it is published (URL, gazette, reading room) and how to get it
    published_at: str = ""
    # PROVIDED / PARTLY_PROVIDED: what is provided, and how and when the applicant gets it
    provided: str = ""
    # PARTLY_PROVIDED: the parts withheld
    withheld: tuple[Withheld, ...] = ()
    # NOT_DISCLOSED
    exemption: Exemption | None = None
    # NOT_HELD: the agency that holds it, if it can be determined
    holder_name: str = ""
    holder_contact: str = ""
    # REPEATED: the earlier application this repeats (its number)
    earlier_application: str = ""
    # SPECIAL_LAW: the law or regulation with its own access procedure, and where to apply
    special_law: str = ""
    # art. 15 / 32: disclosed although the third party objected — the public interest, and the
    # day the third party was told in writing
    public_interest_reason: str = ""
    third_party_notified_on: date | None = None
    # every kind: the reasons or explanation given to the applicant
    reason: str = ""


# What each kind must say, besides the kind: field → what is missing.
REQUIRED_FIELDS: Mapping[ReplyKind, Mapping[str, str]] = {
    ReplyKind.ALREADY_PUBLISHED: {"published_at": "art. 36(1): where it is published and how to get it"},
    ReplyKind.PROVIDED: {"provided": "art. 36(2): what is provided, and how and when it is delivered"},
    ReplyKind.PARTLY_PROVIDED: {
        "provided": "art. 37: what is provided",
        "withheld": "art. 37: the parts withheld, each with its reason",
    },
    ReplyKind.NOT_DISCLOSED: {
        "exemption": "art. 36(3): the ground of articles 14–16",
        "reason": "art. 36(3): the reasons (说明理由)",
    },
    ReplyKind.DOES_NOT_EXIST: {"reason": "art. 36(4): what was searched, and that it does not exist"},
    ReplyKind.NOT_HELD: {"reason": "art. 36(5): why this agency is not the one to disclose it"},
    ReplyKind.REPEATED: {"earlier_application": "art. 36(6): the earlier application already answered"},
    ReplyKind.SPECIAL_LAW: {
        "special_law": "art. 36(7): the law or regulation that governs access",
        "reason": "art. 36(7): where and how to apply under it",
    },
    ReplyKind.NEEDS_PROCESSING: {"reason": "art. 38: why the information would have to be made or analysed"},
    ReplyKind.STILL_UNCLEAR: {"reason": "art. 30: what is still unclear after the completion"},
    ReplyKind.NOT_AN_APPLICATION: {
        "reason": "art. 39: what it is (petition, complaint, report) and where to turn"
    },
    ReplyKind.PUBLICATION_REQUEST: {"published_at": "art. 39: the publication and where to obtain it"},
    ReplyKind.EXCESSIVE: {"reason": "art. 35: why the reasons given are not reasonable"},
    ReplyKind.CORRECTED: {"reason": "art. 41: what was corrected"},
    ReplyKind.CORRECTION_TRANSFERRED: {"holder_name": "art. 41: the agency competent to correct it"},
    ReplyKind.CORRECTION_REFERRED: {"holder_name": "art. 41: the agency competent to correct it"},
    ReplyKind.CORRECTION_REFUSED: {"reason": "art. 41: why the record is not found inaccurate"},
}


def check_reply(
    reply: Reply,
    *,
    state: State,
    started_on: date | None,
    replied_on: date,
    today: date,
    reasons_asked: bool = False,
    third_party_consented: bool | None = None,
    third_party_objected: bool = False,
    request_kind: RequestKind = RequestKind.INFORMATION,
) -> None:
    """A reply of the kind it claims to be, complete (field violations), and lawful (rule ids)."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}; it cannot be replied to"})
    if reply.kind is None:
        raise InvalidInput({"reply.kind": "which kind of reply (art. 36–39, 41)"})
    if (reply.kind in CORRECTION_REPLIES) != (request_kind is RequestKind.CORRECTION):
        raise InvalidInput(
            {
                "reply.kind": "a request for correction gets a reply of art. 41, an application "
                "for information one of art. 35–39"
            }
        )
    bad: list[tuple[str, str]] = []
    present = {
        "published_at": reply.published_at.strip(),
        "provided": reply.provided.strip(),
        "withheld": reply.withheld,
        "exemption": reply.exemption,
        "holder_name": reply.holder_name.strip(),
        "earlier_application": reply.earlier_application.strip(),
        "special_law": reply.special_law.strip(),
        "reason": reply.reason.strip(),
    }
    for name, missing in REQUIRED_FIELDS[reply.kind].items():
        if not present[name]:
            bad.append((f"reply.{name}", missing))
    for i, part in enumerate(reply.withheld):
        if not part.part.strip():
            bad.append((f"reply.withheld[{i}].part", "which part is withheld"))
        if part.exemption is None:
            bad.append((f"reply.withheld[{i}].exemption", "the ground of articles 14–16"))
        if not part.reason.strip():
            bad.append((f"reply.withheld[{i}].reason", "art. 37: the reason it is withheld"))
    if reply.withheld and reply.kind is not ReplyKind.PARTLY_PROVIDED:
        bad.append(("reply.withheld", "only a reply in part lists withheld parts"))
    if reply.exemption is not None and reply.kind is not ReplyKind.NOT_DISCLOSED:
        bad.append(("reply.exemption", "only a reply not disclosing names one exemption (parts: withheld)"))
    for name, value in (
        ("published_at", reply.published_at),
        ("provided", reply.provided),
        ("reason", reply.reason),
        ("public_interest_reason", reply.public_interest_reason),
    ):
        if len(value) > MAX_TEXT:
            bad.append((f"reply.{name}", f"at most {MAX_TEXT} characters"))
    for name, value in (
        ("holder_name", reply.holder_name),
        ("holder_contact", reply.holder_contact),
        ("earlier_application", reply.earlier_application),
        ("special_law", reply.special_law),
    ):
        if len(value) > MAX_SHORT:
            bad.append((f"reply.{name}", f"at most {MAX_SHORT} characters"))
    if started_on is not None and not started_on <= replied_on <= today:
        bad.append(("replied_on", "between the start of the limit and today"))
    if bad:
        raise InvalidInput(bad)
    grounds = {reply.exemption} if reply.exemption else {w.exemption for w in reply.withheld}
    if Exemption.THIRD_PARTY_RIGHTS in grounds and third_party_consented:
        raise RuleViolation(
            "OGI15.third-party-consented",
            "the third party agreed to disclosure: its rights are no ground to withhold",
        )
    discloses = reply.kind in (ReplyKind.PROVIDED, ReplyKind.PARTLY_PROVIDED)
    if discloses and third_party_objected:
        # art. 15, 32: disclosed against the objection only for an overriding public interest, and
        # the third party is told in writing what is disclosed and why.
        missing = []
        if not reply.public_interest_reason.strip():
            missing.append(
                (
                    "reply.public_interest_reason",
                    "art. 15, 32: the third party objected; the overriding public interest",
                )
            )
        if reply.third_party_notified_on is None:
            missing.append(
                ("reply.third_party_notified_on", "art. 32: the day the third party was told in writing")
            )
        if missing:
            raise InvalidInput(missing)
    if reply.kind is ReplyKind.EXCESSIVE and not reasons_asked:
        raise RuleViolation(
            "OGI35.reasons-first",
            "an application is refused as excessive only after the applicant was asked for reasons",
        )
