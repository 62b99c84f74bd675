"""Reconsiderations (A69) on the wire: enum maps, the row as a reply and as an event summary. No rules."""

from __future__ import annotations

from datetime import date

from services.petitions.domain.reconsiderations import (
    DecisionKind,
    ReconsiderationLimits,
    SimplifiedGround,
    State,
    Step,
)
from services.petitions.models import Reconsideration
from shared import audit
from shared.convert import EnumMap, date_to_proto
from zgov.petitions.v1 import reconsideration_events_pb2 as events_pb
from zgov.petitions.v1 import reconsiderations_pb2 as pb

STATE = EnumMap(State, pb.ReconsiderationState, "RECONSIDERATION_STATE")
GROUND = EnumMap(SimplifiedGround, pb.SimplifiedGround, "SIMPLIFIED_GROUND")
DECISION = EnumMap(DecisionKind, pb.DecisionKind, "DECISION_KIND")
STEP = EnumMap(Step, pb.ReconsiderationStep, "RECONSIDERATION_STEP")


def _day(value: date | None):
    return date_to_proto(value) if value else None


def reconsideration_to_proto(row: Reconsideration, history=()) -> pb.Reconsideration:
    return pb.Reconsideration(
        id=str(row.id),
        applicant_name=row.applicant_name,
        applicant_user_id=row.applicant_user_id,
        contested_act=row.contested_act,
        respondent_body_code=row.respondent_body_code,
        request=row.request,
        state=STATE.to_proto[State(row.state)],
        received_on=_day(row.received_on),
        acceptance_due=_day(row.acceptance_due),
        accepted_on=_day(row.accepted_on),
        deemed_accepted=row.deemed_accepted,
        simplified=bool(row.simplified_ground),
        simplified_ground=GROUND.to_proto[SimplifiedGround(row.simplified_ground)]
        if row.simplified_ground
        else 0,
        answer_due=_day(row.answer_due),
        answered_on=_day(row.answered_on),
        decision_due=_day(row.decision_due),
        decision_due_moved_to_working_day=row.decision_due_moved,
        extension_days=row.extension_days,
        extension_reason=row.extension_reason,
        decision=DECISION.to_proto[DecisionKind(row.decision)] if row.decision else 0,
        decision_reasons=row.decision_reasons,
        remedy=row.remedy,
        decided_on=_day(row.decided_on),
        decided_late=bool(row.decided_on and row.decision_due and row.decided_on > row.decision_due),
        refusal_reason=row.refusal_reason,
        history=[audit.to_proto(h) for h in history],
    )


def summary(row: Reconsideration) -> events_pb.ReconsiderationSummary:
    return events_pb.ReconsiderationSummary(
        reconsideration_id=str(row.id),
        state=STATE.to_proto[State(row.state)],
        respondent_body_code=row.respondent_body_code,
        received_on=_day(row.received_on),
        acceptance_due=_day(row.acceptance_due),
        answer_due=_day(row.answer_due),
        decision_due=_day(row.decision_due),
        simplified=bool(row.simplified_ground),
        decision=DECISION.to_proto[DecisionKind(row.decision)] if row.decision else 0,
    )


def step_taken(row: Reconsideration, act: str) -> events_pb.ReconsiderationStepTaken:
    return events_pb.ReconsiderationStepTaken(reconsideration=summary(row), act=act)


def overdue(
    row: Reconsideration, step: Step, due: date, responsible: str
) -> events_pb.ReconsiderationOverdue:
    return events_pb.ReconsiderationOverdue(
        reconsideration=summary(row),
        step=STEP.to_proto[step],
        due=date_to_proto(due),
        responsible_body_code=responsible,
    )


def limits_to_proto(limits: ReconsiderationLimits) -> pb.ReconsiderationLimits:
    return pb.ReconsiderationLimits(**limits.__dict__)
