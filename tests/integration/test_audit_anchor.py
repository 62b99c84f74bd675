"""The head of the audit hash chain anchored on NATS (A20, A26; shared/audit_anchor.py): published as the
service's own NATS user while the chain grows, kept in a stream nobody may delete from or purge, and
checked by `python -m shared.audit verify` — a superuser who alters an act and rewrites every link after
it (or cuts the tail off) leaves a whole chain, but not one that agrees with the anchors."""

from __future__ import annotations

import asyncio
import logging
import sys

import nats.errors
import pytest
import sqlalchemy as sa
from nats.js.errors import APIError

from deploy.local.servers import free_port
from shared import audit_chain
from shared.audit_anchor import (
    ANCHOR_MAX_AGE,
    Anchor,
    AuditAnchor,
    ForeignAnchor,
    anchor_message,
    anchor_stream,
    anchor_subject,
    check_anchors,
    ensure_anchor_stream,
    first_contradiction,
    read_anchors,
)
from shared.db import create_engine
from shared.migrations import run_migrations
from tests.fixtures.bus_auth import ADMIN
from tests.integration.test_audit_hash_chain import migrations_of, record_concurrently

pytestmark = pytest.mark.integration

STREAM = anchor_stream("org")


@pytest.fixture
async def org_chain(database):
    """org's database, migrated, with an engine to read it."""
    await run_migrations(database, migrations_of("org"))
    engine = create_engine(database)
    yield database, engine
    await engine.dispose()


@pytest.fixture
def bus(production_nats):
    return production_nats("anchor")


@pytest.fixture
async def org_anchor(bus, org_chain):
    """org's anchoring as org's own NATS user, its stream declared as the service declares it."""
    client = await bus.connect("org")
    js = client.jetstream(timeout=5)
    await ensure_anchor_stream(js, "org")
    return AuditAnchor("org", org_chain[1], js)


async def admin_js(bus):
    return (await bus.connect(ADMIN)).jetstream(timeout=5)


async def heads(database: str) -> list[tuple[int, str]]:
    return [(r["chain_seq"], r["chain_hash"]) for r in await audit_chain.read_chain(database)]


async def rewrite_as_superuser(database: str, *, alter_seq: int, delete_from: int | None = None) -> None:
    """What a superuser could do: switch the trigger off, alter one act's reason and link every act
    after it anew (the chain stays whole), or delete the acts from `delete_from` on."""
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only"))
            if delete_from is not None:
                await conn.execute(
                    sa.text("DELETE FROM audit_record WHERE chain_seq >= :s"), {"s": delete_from}
                )
            rows = [dict(r._mapping) for r in await conn.execute(sa.text(audit_chain.CHAIN_ORDER_SQL))]
            prev_hash = audit_chain.GENESIS
            for row in rows:
                if row["chain_seq"] == alter_seq:
                    row["reason"] = "改过了"
                if row["chain_seq"] >= alter_seq:
                    linked = audit_chain.link(
                        row, seq=row["chain_seq"], prev_hash=prev_hash, algorithm=row["chain_algorithm"]
                    )
                    await conn.execute(
                        sa.text(
                            "UPDATE audit_record SET reason = :reason, prev_hash = :prev_hash,"
                            " chain_hash = :chain_hash WHERE id = :id"
                        ),
                        {k: linked[k] for k in ("id", "reason", "prev_hash", "chain_hash")},
                    )
                    row = linked
                prev_hash = row["chain_hash"]
            await conn.execute(sa.text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only"))
    finally:
        await engine.dispose()


async def verify_command(database: str, nats_url: str, seed_file) -> tuple[int, str, str]:
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "shared.audit", "verify", "--service", "org", "--database-url", database),
        *("--nats-url", nats_url, "--nats-seed-file", str(seed_file)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await command.communicate()
    return command.returncode, out.decode(), err.decode()


async def test_A20_the_chain_head_is_anchored_when_it_moves_and_nothing_is_published_while_idle(
    bus, org_chain, org_anchor
):
    database, engine = org_chain
    assert await org_anchor.round() == 0  # no act yet: nothing to anchor
    await record_concurrently(database, 3)
    assert (await org_anchor.round(), await org_anchor.round()) == (1, 0)
    await record_concurrently(database, 2)
    assert await org_anchor.round() == 1
    read = await read_anchors(await admin_js(bus), "org")
    chain = await heads(database)
    assert [(a.head.seq, a.head.hash, a.head.algorithm) for a in read] == [
        (3, chain[2][1], "sha256"),
        (5, chain[4][1], "sha256"),
    ]
    # another replica (or this one restarted) finds the head anchored in the stream: nothing to add
    other_replica = AuditAnchor("org", engine, org_anchor.js)
    assert await other_replica.round() == 0
    assert first_contradiction(read, await audit_chain.read_chain(database)) is None
    # two replicas anchoring a new head at the same moment: stored once (its message id)
    await record_concurrently(database, 1)
    await asyncio.gather(org_anchor.round(), other_replica.round())
    assert [a.head.seq for a in await read_anchors(await admin_js(bus), "org")] == [3, 5, 6]


async def test_A20_a_superuser_rewrite_of_the_tail_keeps_the_chain_whole_but_contradicts_its_anchor(
    bus, org_chain, org_anchor, tmp_path, caplog
):
    database, _ = org_chain
    await record_concurrently(database, 3)
    await org_anchor.round()
    await record_concurrently(database, 2)
    await org_anchor.round()
    anchored_hash = (await heads(database))[4][1]
    await rewrite_as_superuser(database, alter_seq=4)
    assert (await audit_chain.verify_database(database)) == (5, None)  # the chain alone sees nothing

    check = await check_anchors(
        bus.url, "org", await audit_chain.read_chain(database), nkeys_seed_str=bus.seeds["org"]
    )
    # the anchor of act #3 still agrees; the one of act #5 (covering act #4) is the first contradicted
    assert check.contradiction.anchor.head == check.anchors[1].head
    assert check.contradiction.anchor.head.hash == anchored_hash
    assert "rewritten" in check.contradiction.problem

    # the service says so in its log at its next anchor, and publishes the forged head: the earlier
    # anchor keeps contradicting it
    await record_concurrently(database, 1)
    with caplog.at_level(logging.ERROR, logger="shared.audit_anchor"):
        assert await org_anchor.round() == 1
    assert "contradicts its last anchor: act #5" in caplog.text
    seed_file = tmp_path / "org.nk"
    seed_file.write_text(bus.seeds["org"])
    code, out, err = await verify_command(database, bus.url, seed_file)
    assert code == 1, out
    assert "org: the database contradicts an anchor: act #5 now hashes to" in err
    assert anchored_hash in err and "broken chain" not in err


async def test_A20_a_deleted_tail_leaves_a_whole_chain_that_its_anchor_contradicts(
    bus, org_chain, org_anchor, tmp_path
):
    database, _ = org_chain
    await record_concurrently(database, 4)
    await org_anchor.round()
    await rewrite_as_superuser(database, alter_seq=99, delete_from=3)  # acts #3 and #4 deleted
    assert (await audit_chain.verify_database(database)) == (2, None)
    seed_file = tmp_path / "org.nk"
    seed_file.write_text(bus.seeds["org"])
    code, _, err = await verify_command(database, bus.url, seed_file)
    assert code == 1 and "act #4 is anchored but no longer in the database (deleted)" in err


async def test_A20_the_verify_command_agrees_with_anchors_of_an_untouched_chain(
    bus, org_chain, org_anchor, tmp_path
):
    database, _ = org_chain
    await record_concurrently(database, 2)
    await org_anchor.round()
    await record_concurrently(database, 1)  # after the last anchor: covered by the chain only
    seed_file = tmp_path / "org.nk"
    seed_file.write_text(bus.seeds["org"])
    code, out, err = await verify_command(database, bus.url, seed_file)
    assert code == 0, err
    assert "org: the chain of 3 recorded acts is whole and agrees with its 1 anchors" in out
    assert "acts after #2 are covered by the chain only" in out
    # anchors asked for but unreadable: never reported as agreeing
    code, out, err = await verify_command(database, f"nats://127.0.0.1:{free_port()}", seed_file)
    assert code == 2 and "org: anchors not checked: cannot read them from" in err and not out


async def test_A20_the_anchor_stream_refuses_delete_purge_and_a_shorter_keep_even_from_the_admin(
    bus, org_chain, org_anchor
):
    database, _ = org_chain
    await record_concurrently(database, 2)
    await org_anchor.round()
    admin = await admin_js(bus)
    config = (await admin.stream_info(STREAM)).config
    assert (config.deny_delete, config.deny_purge) == (True, True)
    assert config.max_age == ANCHOR_MAX_AGE.total_seconds() and config.subjects == [anchor_subject("org")]

    # org's own user has no right to any of it: NATS drops the requests (no answer) and says why
    org = (await bus.connect("org", probe=True)).jetstream(timeout=1)
    for attempt in (
        org.purge_stream(STREAM),
        org.delete_msg(STREAM, 1),
        org.delete_stream(STREAM),
        org.update_stream(config),
    ):
        with pytest.raises(nats.errors.TimeoutError):
            await attempt
    refused = "\n".join(bus.refusals["org"]).lower()  # nats-py writes the subject in lower case
    for verb in ("PURGE", "MSG.DELETE", "DELETE", "UPDATE"):
        assert f"$JS.API.STREAM.{verb}.{STREAM}".lower() in refused

    # the stream itself refuses the admin, who holds every right
    with pytest.raises(APIError) as purge:
        await admin.purge_stream(STREAM)
    with pytest.raises(APIError) as delete:
        await admin.delete_msg(STREAM, 1)
    config.deny_delete = False
    with pytest.raises(APIError) as update:
        await admin.update_stream(config)
    assert purge.value.description == "stream purge not permitted"
    assert delete.value.description == "message delete not permitted"
    assert "can not cancel deny message deletes" in update.value.description
    assert len(await read_anchors(admin, "org")) == 1


async def test_A20_an_anchor_forged_by_another_service_is_refused_by_nats_or_ignored_by_verify(
    bus, org_chain, org_anchor
):
    database, _ = org_chain
    await record_concurrently(database, 2)
    await org_anchor.round()
    head = org_anchor.last
    forged = head._replace(hash="f" * 64)
    # petitions may not publish on org's anchor subject: NATS drops it, nothing is stored
    petitions = (await bus.connect("petitions", probe=True)).jetstream(timeout=1)
    with pytest.raises(nats.errors.TimeoutError):
        await petitions.publish(anchor_subject("org"), anchor_message("org", forged, head.at)[0])
    assert any("audit.org.anchored" in line for line in bus.refusals["petitions"])

    # an envelope naming another sender that reached the stream anyway (here through the admin) is no
    # anchor of org's: listed, never checked against the database
    admin = await admin_js(bus)
    data, headers = anchor_message("petitions", forged, head.at)
    await admin.publish(anchor_subject("org"), data, headers=headers)
    read = await read_anchors(admin, "org")
    assert [type(a) for a in read] == [Anchor, ForeignAnchor]
    assert "producer 'petitions'" in read[1].problem and "service 'petitions'" in read[1].problem
    check = await check_anchors(
        bus.url, "org", await audit_chain.read_chain(database), nkeys_seed_str=bus.seeds["org"]
    )
    assert (len(check.anchors), len(check.foreign), check.contradiction) == (1, 1, None)
