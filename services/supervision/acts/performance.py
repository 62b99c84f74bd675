"""Acts of performance management (目标绩效, A64–A66): set the indicators, decompose them into each body's
targets, track progress, score (by hand with evidence, or computed from the supervision items and from the
facts other services' events report: petitions answered on time, petitioners satisfied, countersigns
answered in time), and make the results final by the executive meeting's recorded decision, published as an event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.people import People
from services.supervision.domain import performance as domain
from services.supervision.domain.performance import AssessedKind, Indicator, Measure, SetState
from services.supervision.models import Assessment, IndicatorSet
from services.supervision.store import items as item_store
from services.supervision.store import performance as store
from shared.audit import record_act
from shared.errors import InvalidInput
from shared.outbox import add_event
from zgov.supervision.v1 import performance_pb2 as pb

KIND_TO_PROTO = {k: pb.AssessedKind.Value(f"ASSESSED_KIND_{k.name}") for k in AssessedKind}
GRADE_TO_PROTO = {g: pb.Grade.Value(f"GRADE_{g.name}") for g in domain.Grade}
MESSAGE_TYPES = {"approved": pb.PerformanceResultsApproved}


@dataclass
class PerformanceContext:
    today: date
    people: People
    grades: domain.GradeLimits


def ref_of(row: IndicatorSet) -> str:
    return f"indicator-set/{row.id}"


def assessment_ref(row: Assessment) -> str:
    return f"assessment/{row.id}"


def indicators_of(row: IndicatorSet) -> list[Indicator]:
    return [domain.indicator_of(i) for i in row.indicators]


async def set_indicators(
    session: AsyncSession,
    actor,
    year: int,
    kind: AssessedKind | None,
    indicators: list[Indicator],
    ctx: PerformanceContext,
) -> IndicatorSet:
    """The year's set for departments or counties; replaced until the first score (A64.fixed)."""
    if not ctx.today.year - 1 <= year <= ctx.today.year + 1:
        raise InvalidInput({"year": f"{ctx.today.year - 1} to {ctx.today.year + 1}"})
    domain.check_indicators(kind, indicators)
    rows = [i.as_row() for i in indicators]
    existing = await store.set_of(session, year, kind.value)
    if existing is None:
        existing = IndicatorSet(
            id=uuid.uuid4(),
            year=year,
            kind=kind.value,
            indicators=rows,
            state=SetState.OPEN.value,
            decision_id="",
            decision_reference="",
        )
        await store.add(session, existing)
        act = "performance.indicators-set"
    else:
        domain.check_replaceable(SetState(existing.state), await store.any_scored(session, existing.id))
        existing.indicators = rows
        await session.flush()
        act = "performance.indicators-replaced"
    summary = ", ".join(f"{i.code} {i.weight}" for i in indicators)
    await record_act(session, ref_of(existing), act, actor, f"{year} {kind.value}: {summary}")
    return existing


async def set_targets(
    session: AsyncSession,
    actor,
    indicator_set: IndicatorSet,
    body: str,
    targets: dict[str, str],
    ctx: PerformanceContext,
) -> Assessment:
    """目标分解: one body's target for every indicator of its kind's set."""
    domain.check_open(SetState(indicator_set.state))
    if not await ctx.people.known_body(body):
        raise InvalidInput({"body_code": f"no organisation with code {body!r}"})
    domain.check_body_kind(AssessedKind(indicator_set.kind), await ctx.people.organisation_kind(body))
    domain.check_targets(indicators_of(indicator_set), targets)
    row = await store.assessment_of(session, indicator_set.id, body)
    if row is None:
        row = Assessment(
            id=uuid.uuid4(),
            set_id=indicator_set.id,
            year=indicator_set.year,
            body_code=body,
            targets=targets,
            progress=[],
            scores={},
        )
        await store.add(session, row)
    else:
        row.targets = targets
        await session.flush()
    await record_act(
        session,
        assessment_ref(row),
        "performance.targets-set",
        actor,
        "; ".join(f"{c}: {t}" for c, t in targets.items())[:2000],
    )
    return row


async def report_progress(
    session: AsyncSession,
    actor,
    indicator_set: IndicatorSet,
    row: Assessment,
    code: str,
    text: str,
    ctx: PerformanceContext,
) -> Assessment:
    domain.check_open(SetState(indicator_set.state))
    domain.check_own_body(actor.organisation_code, row.body_code)
    domain.find(indicators_of(indicator_set), code)
    if not text.strip() or len(text) > domain.MAX_TEXT:
        raise InvalidInput({"text": f"required, at most {domain.MAX_TEXT} characters"})
    row.progress = [
        *row.progress,
        {
            "indicator_code": code,
            "text": text.strip(),
            "reported_on": ctx.today.isoformat(),
            "reported_by_user_id": actor.user_id,
        },
    ]
    await session.flush()
    await record_act(session, assessment_ref(row), "performance.progress-reported", actor, f"{code}")
    return row


def _score(centipoints: int, evidence: str, computed: bool, actor, today: date) -> dict:
    return {
        "centipoints": centipoints,
        "evidence": evidence.strip(),
        "computed": computed,
        "scored_by_user_id": actor.user_id,
        "scored_on": today.isoformat(),
    }


async def score(
    session: AsyncSession,
    actor,
    indicator_set: IndicatorSet,
    row: Assessment,
    code: str,
    centipoints: int,
    evidence: str,
    ctx: PerformanceContext,
) -> Assessment:
    """A64: an indicator scored by hand, with its evidence, never by the body assessed."""
    domain.check_open(SetState(indicator_set.state))
    indicator = domain.find(indicators_of(indicator_set), code)
    domain.check_score(indicator, centipoints, evidence, actor.organisation_code, row.body_code)
    row.scores = {**row.scores, code: _score(centipoints, evidence, False, actor, ctx.today)}
    await session.flush()
    await record_act(
        session,
        assessment_ref(row),
        "performance.scored",
        actor,
        f"{code}: {centipoints / domain.CENTI:.2f} — {evidence.strip()}"[:2000],
    )
    return row


async def compute_measured(
    session: AsyncSession, actor, indicator_set: IndicatorSet, row: Assessment, ctx: PerformanceContext
) -> Assessment:
    """A64 uses the supervision results: the measured indicators from the body's items of the year."""
    domain.check_open(SetState(indicator_set.state))
    due, on_time = await store.items_on_time(session, row.body_code, indicator_set.year)
    scores = dict(row.scores)
    for indicator in indicators_of(indicator_set):
        if indicator.measure is Measure.ITEMS_ON_TIME:
            evidence = f"督查事项按期办结 {on_time}/{due}"
            scores[indicator.code] = _score(
                domain.on_time_score(indicator, due, on_time), evidence, True, actor, ctx.today
            )
        elif indicator.measure in domain.FED_MEASURES:
            counted, good = await store.fact_share(
                session, indicator.measure.value, row.body_code, indicator_set.year
            )
            evidence = f"{domain.FED_MEASURES[indicator.measure]} {good}/{counted}"
            scores[indicator.code] = _score(
                domain.on_time_score(indicator, counted, good), evidence, True, actor, ctx.today
            )
    row.scores = scores
    await session.flush()
    await record_act(
        session, assessment_ref(row), "performance.computed", actor, f"items on time {on_time} of {due}"
    )
    return row


async def approve_results(
    session: AsyncSession, actor, indicator_set: IndicatorSet, decision_id: str, ctx: PerformanceContext
) -> IndicatorSet:
    """A64: final once the executive meeting's decision is recorded; published as an event."""
    domain.check_open(SetState(indicator_set.state))
    decision = (
        await item_store.item_of_source(session, "meetings", f"decision/{decision_id.strip()}")
        if decision_id.strip()
        else None
    )
    domain.check_decision(decision is not None, decision_id)
    indicators = indicators_of(indicator_set)
    assessments = await store.assessments_of(session, indicator_set.id)
    domain.check_complete(indicators, {a.body_code: a.scores for a in assessments})
    indicator_set.state = SetState.APPROVED.value
    indicator_set.decision_id = decision_id.strip()
    indicator_set.decision_reference = decision.source_reference
    indicator_set.approved_on = ctx.today
    await session.flush()
    await record_act(
        session,
        ref_of(indicator_set),
        "performance.approved",
        actor,
        f"{decision.source_reference or decision_id}",
    )
    results = [
        pb.BodyResult(
            body_code=a.body_code,
            total_centipoints=domain.total(a.scores),
            grade=GRADE_TO_PROTO[domain.grade(indicators, a.scores, ctx.grades)],
        )
        for a in assessments
    ]
    await add_event(
        session,
        "supervision.performance.approved",
        pb.PerformanceResultsApproved(
            set_id=str(indicator_set.id),
            year=indicator_set.year,
            kind=KIND_TO_PROTO[AssessedKind(indicator_set.kind)],
            decision_id=indicator_set.decision_id,
            decision_reference=indicator_set.decision_reference,
            results=results,
        ),
        ref_of(indicator_set),
        actor,
    )
    return indicator_set


async def record_fact(session: AsyncSession, fact: domain.Fact, *, latest: bool = False) -> None:
    """A64: a fact another service's event reported about a body (a petition reply on time, a rating, a
    countersign answered or deemed agreed), kept for the computed indicators; once per source."""
    if not fact.body_code:
        return  # not attributable to a body (e.g. a case not yet assigned): nothing to count
    await store.record_fact(
        session,
        fact.measure.value,
        fact.source_ref,
        fact.body_code,
        fact.good,
        fact.happened_on,
        latest=latest,
    )


async def record_facts(session: AsyncSession, facts: Sequence[domain.Fact]) -> None:
    """A64: the facts of a batch of events at once (one statement), each as `record_fact` records it
    without `latest`: once per source, the first kept; one not attributable to a body skipped."""
    await store.record_facts(
        session,
        [
            dict(
                measure=f.measure.value,
                source_ref=f.source_ref,
                body_code=f.body_code,
                year=f.happened_on.year,
                good=f.good,
                happened_on=f.happened_on,
            )
            for f in facts
            if f.body_code
        ],
    )
