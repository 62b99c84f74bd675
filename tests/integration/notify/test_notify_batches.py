"""Issue 17: notify's officers' consumers plan a whole fetch of events at once (consumers.py `planned`, a
batch handler of shared/consumer.py: one `plan_all` per fetch and subject), through real NATS, PostgreSQL
and an SMTP server. Proven here against the per-event path (each event's notices planned alone, in its
own transaction, as the handlers did before): the same deliveries — recipients, channels, titles, when
due under quiet hours — and the same messages; and a redelivered batch sends nothing twice, whether
the consumer's processed ids or the deliveries' unique key stops it."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.notify.acts import notices as acts
from services.notify.config import NotifySettings
from shared.consumer import EventConsumer
from shared.db import transaction
from shared.outbox import MSG_ID_HEADER, build_envelope
from tests.fixtures.polling import eventually
from tests.integration.notify.test_notify import d, deliveries, refused_topic
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.notify.v1 import notify_pb2 as pb
from zgov.org.v1 import events_pb2 as org_events
from zgov.org.v1 import org_pb2
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.supervision.v1 import circulars_pb2
from zgov.supervision.v1 import events_pb2 as supervision_events
from zgov.supervision.v1 import supervision_pb2

pytestmark = pytest.mark.integration

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(CHINA).date()
LATE = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 0, tzinfo=CHINA)
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=CHINA) + timedelta(days=1)
# What a delivery says about its planning (not its sending): compared between the two paths.
PLANNED = (
    "event_subject",
    "kind",
    "urgency",
    "recipient_user_id",
    "recipient_name",
    "acting_for_user_id",
    "body_code",
    "channel",
    "address",
    "title",
    "text",
    "link",
    "digest",
    "state",
    "next_attempt_at",
)


def countersign_due(body: str = "education-bureau") -> documents_events.CountersignDue:
    return documents_events.CountersignDue(
        document_id=str(uuid.uuid4()),
        countersign=documents_pb2.Countersign(
            organisation_code=body, state=documents_pb2.COUNTERSIGN_STATE_REQUESTED
        ),
    )


def burst(s) -> list[tuple[str, object]]:
    """Events of six subjects, several of most, as the other services' sweeps publish them: urgent and
    not, to a body's contact (the department head, whose quiet hours hold what is not urgent), to a
    person, to a stand-in."""
    head, officer, staff = (s.user_id(u) for u in ("department-head", "supervision-officer", "office-staff"))

    def leave(user: str, acting: str) -> org_events.LeaveApproved:
        return org_events.LeaveApproved(
            leave=org_pb2.Leave(
                id=str(uuid.uuid4()),
                user_id=user,
                acting_user_id=acting,
                position="department-head",
                first_day=d(TODAY + timedelta(days=2)),
                last_day=d(TODAY + timedelta(days=3)),
            )
        )

    def escalated(number: str, step, user: str = "", body: str = "") -> supervision_events.ItemEscalated:
        return supervision_events.ItemEscalated(
            item=supervision_events.ItemSummary(item_id=str(uuid.uuid4()), number=number),
            escalation=supervision_pb2.Escalation(
                step=step, recipient_user_id=user, recipient_body_code=body, against_due=d(TODAY)
            ),
        )

    def overdue(number: str) -> petitions_events.CaseOverdue:
        return petitions_events.CaseOverdue(
            case=petitions_events.CaseSummary(case_id=str(uuid.uuid4()), number=number),
            responsible_body_code="education-bureau",
            due=d(TODAY),
        )

    return [
        *(("meetings.topic.refused", refused_topic(f"关于第{n}片区停车收费的议题")) for n in range(3)),
        ("documents.countersign.due", countersign_due()),
        ("documents.countersign.due", countersign_due("supervision-office")),
        ("org.leave.approved", leave(head, officer)),
        ("org.leave.approved", leave(staff, "")),
        (
            "supervision.item.escalated",
            escalated("督〔2026〕7号", supervision_pb2.ESCALATION_STEP_WARNED, body="education-bureau"),
        ),
        (
            "supervision.item.escalated",
            escalated("督〔2026〕8号", supervision_pb2.ESCALATION_STEP_URGED, staff),
        ),
        (
            "supervision.circular.requested",
            circulars_pb2.CircularRequested(
                circular_id=str(uuid.uuid4()), title="督查通报", organisation_code="supervision-office"
            ),
        ),
        *(("petitions.case.overdue", overdue(f"资信〔2026〕{n}号")) for n in (11, 12)),
    ]


def planned(row) -> tuple:
    return tuple(row[c] for c in PLANNED)


@asynccontextmanager
async def consuming(s, subjects: set[str], handlers=None):
    """notify's consumers of these subjects as services/notify/__main__.py runs them (its subscriptions'
    handlers, batch_commit, a fetch of `consume_batch`), under notify's NATS rights."""
    handlers = handlers or s.server.notify_state["handlers"]
    bus = await s.nats.connect("notify")
    consumers = [
        EventConsumer(
            bus.jetstream(timeout=5),
            s.sessions,
            stream,
            durable,
            subject,
            handler,
            batch_commit=True,
            batch=NotifySettings.model_fields["consume_batch"].default,
        )
        for stream, durable, subject, handler in handlers.subscriptions()
        if subject in subjects
    ]
    for consumer in consumers:
        await consumer.start()
    try:
        yield
    finally:
        for consumer in consumers:
            await consumer.stop()
        await bus.close()


async def processed(s) -> int:
    async with s.sessions() as session:
        return await session.scalar(sa.text("SELECT count(*) FROM processed_messages"))


async def reached(s, n: int) -> bool:
    return await processed(s) >= n


async def test_a_burst_across_subjects_planned_a_fetch_at_once_tells_whom_and_when_the_per_event_path_does(
    start_notify, mailbox
):
    """The same events planned twice: (a) each event's notices alone, in its own transaction (the
    per-event path: acts.notices.plan per notice, as the handlers did); (b) published on NATS before
    the consumers start, so each consumer's first fetch holds all its subject's events, planned with one
    insert per subject. At 23:00, the department head keeping quiet hours 22:00-07:00: both paths plan
    the same deliveries (recipient, stand-in, channel, address, title, text, due at once or at 07:00),
    and the dispatcher then sends the same messages for both, urgent ones at night, the rest at 07:00."""
    async with start_notify(consume_events=False, dispatch_seconds=3600) as s:
        await s.stub.SetMyPreferences(
            pb.SetMyPreferencesRequest(preferences=pb.Preferences(quiet_start="22:00", quiet_end="07:00")),
            metadata=s.as_user("department-head"),
        )
        s.clock.fixed = LATE
        # the dispatcher is not woken by this test's handlers: it runs when the test says (s.dispatch)
        handlers = dataclasses.replace(s.server.notify_state["handlers"], woken=lambda: None)
        notices_of = {subject: build for _, _, subject, build in handlers.officer_subscriptions()}
        events = burst(s)
        # (a) per event
        alone = [str(uuid.uuid4()) for _ in events]
        for event_id, (subject, payload) in zip(alone, events, strict=True):
            envelope = build_envelope(subject, payload, "test/1", event_id=uuid.UUID(event_id))
            async with transaction(s.sessions) as session:
                for notice in notices_of[subject](envelope, payload):
                    now = handlers.now()
                    day = now.astimezone(CHINA).date()
                    await acts.plan(session, notice, handlers.people, handlers.offered, now, day)
        # (b) a fetch at once, counting the inserts of deliveries
        together = [await s.publish(subject, payload) for subject, payload in events]
        inserts = []
        engine = s.sessions.kw["bind"].sync_engine

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT INTO DELIVERY"):
                inserts.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            async with consuming(s, {subject for subject, _ in events}, handlers):
                await eventually(lambda: reached(s, len(events)), timeout=60)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        subjects = {subject for subject, _ in events}
        assert len(inserts) == len(subjects) < len(events)  # one per subject's fetch, not one per event

        rows = {event_id: await deliveries(s, event_id=event_id) for event_id in alone + together}
        for n, (a, b) in enumerate(zip(alone, together, strict=True)):
            assert rows[a], f"event {n} ({events[n][0]}) told nobody"
            assert sorted(map(planned, rows[a])) == sorted(map(planned, rows[b])), events[n][0]
        # quiet hours, in both: the department head's normal and low messages wait until 07:00, urgent
        # ones (countersign due today, a petition overdue) go at once; others keep no quiet hours
        head = s.user_id("department-head")
        for n, (subject, _) in enumerate(events):
            for event_id in (alone[n], together[n]):
                for row in rows[event_id]:
                    held = row["recipient_user_id"] == head and row["urgency"] != "urgent"
                    assert row["next_attempt_at"] == (MORNING if held else LATE), (subject, row["title"])
        assert {r["title"] for r in rows[alone[5]]} | {r["title"] for r in rows[together[5]]} == {
            "请假已批准",
            "代行职责通知",
        }

        def told() -> Counter:
            return Counter((tuple(m["to"]), m["subject"], m["body"]) for m in mailbox.messages)

        # at night the urgent ones and those to people without quiet hours, twice each (a and b)
        await s.dispatch()
        night = told()
        due = [r for e in alone for r in rows[e] if r["next_attempt_at"] == LATE]
        assert sum(night.values()) == 2 * len(due) and set(night.values()) == {2}
        assert not [m for m in mailbox.to("department-head@ziyang.example") if m["subject"] == "请假已批准"]
        # at 07:00 the rest, twice each
        s.clock.fixed = MORNING + timedelta(minutes=1)
        while await s.dispatch():
            pass
        everything = told()
        assert sum(everything.values()) == 2 * sum(len(rows[e]) for e in alone)
        assert set(everything.values()) == {2}
        assert everything - night  # the held ones came in the morning


async def test_a_redelivered_batch_sends_nothing_twice(start_notify, mailbox):
    """A fetch of seven events of two subjects is planned and sent. The same seven again, twice: (1) as a
    relay's re-run republishes them (new message ids, the same event ids) — the consumer's processed ids
    leave them out of the batch —; (2) once the consumer has forgotten them (processed ids purged) —
    planned again as a batch, the deliveries' unique key adds nothing. Each time a new event rides in the
    same fetch, so we know the fetch was handled. Every message arrived once."""
    async with start_notify(consume_events=False) as s:
        subjects = {"meetings.topic.refused", "documents.countersign.due"}
        first = [("meetings.topic.refused", refused_topic(f"关于第{n}号路段改造的议题")) for n in range(4)]
        first += [("documents.countersign.due", countersign_due()) for _ in range(3)]
        ids = [await s.publish(subject, payload) for subject, payload in first]
        async with consuming(s, subjects):
            await eventually(lambda: reached(s, 7), timeout=60)
        await eventually(lambda: _at_least(mailbox, 7), timeout=60)

        for again, round_ in (("again", 1), ("third", 2)):
            if round_ == 2:
                async with s.sessions() as session, session.begin():
                    await session.execute(sa.text("DELETE FROM processed_messages"))
            for event_id, (subject, payload) in zip(ids, first, strict=True):
                await s.publish(
                    subject, payload, event_id=uuid.UUID(event_id), message_id=f"{again}-{event_id}"
                )
            news = [
                await s.publish("meetings.topic.refused", refused_topic(f"关于{again}批议题")),
                await s.publish("documents.countersign.due", countersign_due("supervision-office")),
            ]
            async with consuming(s, subjects):
                await eventually(lambda: _all_planned(s, news), timeout=60)
            await eventually(lambda: _at_least(mailbox, 7 + 2 * round_), timeout=60)

        told = Counter((tuple(m["to"]), m["subject"], m["body"]) for m in mailbox.messages)
        assert sum(told.values()) == 11 and set(told.values()) == {1}
        for event_id in ids:
            assert len(await deliveries(s, event_id=event_id)) == 1
        async with s.sessions() as session:
            assert not await session.scalar(sa.text("SELECT count(*) FROM dead_letters"))


async def _at_least(mailbox, n: int) -> bool:
    return len(mailbox.messages) >= n


async def _all_planned(s, event_ids: list[str]) -> bool:
    for event_id in event_ids:
        if not await deliveries(s, event_id=event_id):
            return False
    return True


async def test_a_forged_event_in_a_fetch_is_dead_lettered_alone_and_the_rest_planned_at_once(
    start_notify, mailbox
):
    """Every event of a fetch is checked for its sender by the consumer before the batch handler sees
    it: an envelope on meetings' subject that says petitions made it, amid three genuine ones of the
    same fetch, is dead-lettered and tells nobody; the three are planned and sent."""
    async with start_notify(consume_events=False) as s:
        genuine = [
            await s.publish("meetings.topic.refused", refused_topic(f"关于第{n}号议题")) for n in range(2)
        ]
        forged = build_envelope(
            "meetings.topic.refused", refused_topic("伪造的议题"), "topic/1", event_id=uuid.uuid4()
        )
        forged.producer = "petitions"
        await s.js.publish(
            "meetings.topic.refused", forged.SerializeToString(), headers={MSG_ID_HEADER: forged.event_id}
        )
        genuine.append(await s.publish("meetings.topic.refused", refused_topic("关于第2号议题")))

        async def dead_letters():
            async with s.sessions() as session:
                return await session.scalar(sa.text("SELECT count(*) FROM dead_letters"))

        async with consuming(s, {"meetings.topic.refused"}):
            await eventually(lambda: reached(s, 3), timeout=60)
            assert await eventually(dead_letters, timeout=60) == 1
        assert await processed(s) == 3
        await eventually(lambda: _at_least(mailbox, 3), timeout=60)
        assert sorted(m["subject"] for m in mailbox.messages) == [
            f"议题未获同意：关于第{n}号议题" for n in range(3)
        ]
        assert not await deliveries(s, event_id=forged.event_id)
        for event_id in genuine:
            assert len(await deliveries(s, event_id=event_id)) == 1
