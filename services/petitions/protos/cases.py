"""Petition cases on the wire: enum maps, the intake from its proto, a case row → the case as a reader's
view allows (A71, A80), the event summary, the register's lines and CSV. No rules.

Privacy (A71, A80): an event carries only `CaseSummary` and the facts of the act — never the
petitioner's identity or contacts, the content, the attachments, or the person or body complained
about (MESSAGE_TYPES lists every event; acts.publish builds them from these few fields).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date

from services.petitions import domain
from services.petitions.limits import last_answer_on, triage_start
from services.petitions.models import PetitionCase
from shared import audit
from shared.convert import date_from_proto, date_to_proto
from shared.errors import InvalidInput
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import events_pb2, petitions_pb2

CHANNEL_TO_PROTO = {c: petitions_pb2.Channel.Value(f"CHANNEL_{c.name}") for c in domain.Channel}
CATEGORY_TO_PROTO = {c: petitions_pb2.Category.Value(f"CATEGORY_{c.name}") for c in domain.Category}
STATE_TO_PROTO = {s: petitions_pb2.CaseState.Value(f"CASE_STATE_{s.name}") for s in domain.CaseState}
STAGE_TO_PROTO = {s: petitions_pb2.Stage.Value(f"STAGE_{s.name}") for s in domain.Stage}
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


# petitions.case.<name> → its message (deploy/nats/streams.yaml lists the same).
MESSAGE_TYPES = {
    "registered": events_pb2.CaseRegistered,
    "linked": events_pb2.CaseLinked,
    "assigned": events_pb2.CaseAssigned,
    "transferred": events_pb2.CaseTransferred,
    "legal-route": events_pb2.CaseLegalRouteNotified,
    "not-accepted": events_pb2.CaseNotAccepted,
    "objected": events_pb2.CaseObjected,
    "accepted": events_pb2.CaseAccepted,
    "extended": events_pb2.CaseExtended,
    "replied": events_pb2.CaseReplied,
    "review-requested": events_pb2.CaseReviewRequested,
    "reviewed": events_pb2.CaseReviewed,
    "leader-marked": events_pb2.CaseLeaderMarked,
    "leader-instructed": events_pb2.CaseLeaderInstructed,
    "rated": events_pb2.CaseRated,
    "overdue": events_pb2.CaseOverdue,
}


def summary(row: PetitionCase) -> events_pb2.CaseSummary:
    return events_pb2.CaseSummary(
        case_id=str(row.id),
        number=row.number,
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        state=STATE_TO_PROTO[domain.CaseState(row.state)],
        received_on=date_to_proto(row.received_on),
        handling_body_code=row.handling_body_code,
    )


# ---- from the wire --------------------------------------------------------------------------------

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def idempotency_key_of(request: petitions_pb2.SubmitPetitionRequest) -> tuple[str, str] | None:
    """(key, SHA-256 of the intake as sent) of a submit that carries a key; None without one."""
    key = request.idempotency_key.strip()
    if not key:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput({"idempotency_key": "8 to 64 letters, digits, '_' or '-'"})
    return key, hashlib.sha256(request.intake.SerializeToString(deterministic=True)).hexdigest()


def intake_from_proto(message: petitions_pb2.Intake) -> domain.Intake:
    return domain.Intake(
        channel=CHANNEL_FROM_PROTO.get(message.channel),
        received_on=date_from_proto(message.received_on, "intake.received_on", required=False),
        category=CATEGORY_FROM_PROTO.get(message.category),
        title=message.title,
        content=message.content,
        petitioners=[
            domain.Petitioner(
                name=p.name.strip(),
                id_number=p.id_number.strip(),
                phone=p.phone.strip(),
                address=p.address.strip(),
                representative=p.representative,
            )
            for p in message.petitioners
        ],
        group_visit=message.group_visit,
        group_size=message.group_size,
        body_complained_about=message.body_complained_about.strip(),
        person_complained_about=message.person_complained_about.strip(),
        attachments=[
            domain.Attachment(
                file_name=a.file_name.strip(),
                media_type=a.media_type.strip(),
                content=a.content,
                declared_size=a.size_bytes,
                declared_sha256=a.sha256.strip().lower(),
            )
            for a in message.attachments
        ],
        hotline_ref=message.hotline_ref.strip(),
    )


# ---- to the wire ----------------------------------------------------------------------------------


def calendar_deadline_to_proto(d: domain.CalendarDeadline) -> petitions_pb2.CalendarDayDeadline:
    return petitions_pb2.CalendarDayDeadline(
        start=date_to_proto(d.start),
        days=d.days,
        due=date_to_proto(d.due),
        moved_to_working_day=d.moved_to_working_day,
        provisional=d.provisional,
    )


def attachment_to_proto(meta: dict, content: bytes = b"") -> petitions_pb2.Attachment:
    """A file's metadata as the case row lists it (rows from before stored files have no id)."""
    return petitions_pb2.Attachment(
        id=meta.get("id", ""),
        file_name=meta.get("file_name", ""),
        media_type=meta.get("media_type", ""),
        size_bytes=meta.get("size_bytes", 0),
        sha256=meta.get("sha256", ""),
        content=content,
    )


def case_to_proto(
    row: PetitionCase,
    view: domain.View,
    cal: WorkingCalendar,
    *,
    today: date,
    reader_user_id: str = "",
    repeat_count: int = 0,
    history=(),
) -> petitions_pb2.Case:
    """The case as `view` allows (A71, A80)."""
    full = view in (domain.View.FULL, domain.View.PETITIONER)
    case = petitions_pb2.Case(
        id=str(row.id),
        number=row.number,
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        received_on=date_to_proto(row.received_on),
        category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        group_visit=row.group_visit,
        group_size=row.group_size,
        hotline_ref=row.hotline_ref,
        state=STATE_TO_PROTO[domain.CaseState(row.state)],
        repeat_of_case_id=str(row.repeat_of_case_id or ""),
        repeat_count=repeat_count,
        handling_body_code=row.handling_body_code,
        transferred_to=row.transferred_to,
        legal_route=ROUTE_TO_PROTO[domain.LegalRoute(row.legal_route)] if row.legal_route else 0,
        identity_redacted=not full,
    )
    shows_report = full or domain.redacted_view_shows_report(
        domain.Category(row.category), row.marked_leader_ids, reader_user_id
    )
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
            calendar_deadline_to_proto(domain.acknowledgement_deadline(row.assigned_on, cal))
        )
        objection = domain.objection_deadline(row.assigned_on, cal)
        case.objection_due.CopyFrom(
            common_pb2.WorkingDayDeadline(
                start=date_to_proto(row.assigned_on),
                working_days=domain.OBJECTION_WORKING_DAYS,
                due=date_to_proto(objection.due),
                provisional=objection.provisional,
            )
        )
    for o in row.objections:
        case.objections.append(
            petitions_pb2.Objection(
                reason=text(o["reason"]),
                objected_on=date_to_proto(date.fromisoformat(o["objected_on"])),
                body_code=o["body_code"],
            )
        )
    if row.accepted_on:
        case.accepted_on.CopyFrom(date_to_proto(row.accepted_on))
        case.handling_due.CopyFrom(
            calendar_deadline_to_proto(domain.handling_deadline(row.accepted_on, cal, row.extension_days))
        )
    if row.extension_days:
        case.extension.CopyFrom(
            petitions_pb2.Extension(
                days=row.extension_days,
                reason=text(row.extension_reason),
                approved_by_user_id=row.extension_approved_by,
                notice_sent_on=date_to_proto(row.extension_notice_on),
            )
        )
    if row.replied_on:
        case.replied_on.CopyFrom(date_to_proto(row.replied_on))
    if state in (domain.CaseState.REPLIED, domain.CaseState.REVIEWED):
        case.review_request_due.CopyFrom(
            calendar_deadline_to_proto(domain.review_request_deadline(last_answer_on(row), cal))
        )
    for r in row.reviews:
        requested = date.fromisoformat(r["requested_on"])
        review = petitions_pb2.Review(
            level=LEVEL_TO_PROTO[domain.ReviewLevel(r["level"])],
            reviewing_body_code=r["reviewing_body_code"],
            requested_on=date_to_proto(requested),
            opinion=text(r.get("opinion", "")),
            answer_due=calendar_deadline_to_proto(domain.review_answer_deadline(requested, cal)),
        )
        if r.get("decided_on"):
            review.decided_on.CopyFrom(date_to_proto(date.fromisoformat(r["decided_on"])))
        case.reviews.append(review)
    if view is not domain.View.PETITIONER:
        for i in row.leader_instructions:
            instruction = petitions_pb2.LeaderInstruction(
                leader_user_id=i["leader_user_id"],
                mark_reason=text(i.get("mark_reason", "")),
                instruction=text(i.get("instruction", "")),
            )
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


# ---- the register (登记簿) ------------------------------------------------------------


def register_line(row: PetitionCase, today: date, repeat_of_number: str) -> petitions_pb2.RegisterLine:
    line = petitions_pb2.RegisterLine(
        number=row.number,
        received_on=date_to_proto(row.received_on),
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        state=STATE_TO_PROTO[domain.CaseState(row.state)],
        handling_body_code=row.handling_body_code,
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


REGISTER_COLUMNS = (
    "编号",
    "收到日期",
    "渠道",
    "类别",
    "状态",
    "承办单位",
    "当前期限",
    "是否超期",
    "答复日期",
    "满意度",
    "重复件所属",
)
CHANNEL_TITLES = {
    "letter": "来信",
    "visit": "来访",
    "online": "网上信访",
    "phone": "来电",
    "hotline_transfer": "12345热线转办",
}
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
        writer.writerow(
            (
                line.number,
                day_text(line.received_on),
                channels[line.channel],
                categories[line.category],
                states[line.state],
                line.handling_body_code,
                day_text(line.due),
                "是" if line.overdue else "",
                day_text(line.replied_on),
                satisfaction.get(line.satisfaction, ""),
                line.repeat_of_number,
            )
        )
    return out.getvalue()
