"""Attached files kept by the petitions service, and the full-text search of cases, against the real
servers (Keycloak tokens, PostgreSQL, NATS).

A71, A80: a file is read like its case — by the bureau, the body assigned to handle (or review) it
and the petitioner; never by the body complained about nor by a redacted reader (a leader); every
read, allowed or refused, recorded. A search finds a case only by words the reader is shown.
"""

from __future__ import annotations

import hashlib
from datetime import date

import grpc
import pytest
import sqlalchemy as sa

from shared.db import create_engine
from shared.errors import field_violations_of
from tests.integration.petitions.test_petitions_api import (
    CONTENT,
    NAME,
    RECEIPT,
    assign,
    complaint,
    d,
    get,
    register,
    rpc_error,
)
from zgov.org.v1 import org_pb2
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def org_answers_in_time(petitions):
    """The first directory reads of a fresh org go to Keycloak's admin API, which on a cold, busy test
    machine can take longer than the 10 s the petitions service waits for org: read once, unhurried,
    so the tests measure the petitions service rather than Keycloak's warm-up."""
    for _ in range(2):
        try:
            await petitions.org.ListOrganisations(
                org_pb2.ListOrganisationsRequest(),
                timeout=120,
                metadata=petitions.as_user("petition-officer"),
            )
        except grpc.aio.AioRpcError:
            pass


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
NOTE = "情况说明：三个月来多次反映，未获答复。".encode()


async def attachment(p, case_id: str, attachment_id: str, user: str) -> petitions_pb2.Attachment:
    return await p.stub.GetAttachment(
        petitions_pb2.GetAttachmentRequest(case_id=case_id, attachment_id=attachment_id),
        metadata=p.as_user(user),
    )


async def stored_files(database_url: str) -> list[tuple]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT case_id, position, file_name, size_bytes, sha256, content FROM petition_attachment "
                    "ORDER BY case_id, position"
                )
            )
            return [tuple(r) for r in rows]
    finally:
        await engine.dispose()


async def test_A71_A80_a_file_is_kept_with_its_case_and_read_only_where_the_case_is_seen_in_full(petitions):
    p = petitions
    intake = complaint(
        attachments=[
            petitions_pb2.Attachment(file_name="收据.jpg", media_type="image/jpeg", content=RECEIPT),
            petitions_pb2.Attachment(
                file_name="说明.txt",
                media_type="text/plain; charset=utf-8",
                content=NOTE,
                size_bytes=len(NOTE),
                sha256=hashlib.sha256(NOTE).hexdigest(),
            ),
        ]
    )
    registered = (await register(p, intake)).case
    receipt, note = registered.attachments
    assert (receipt.file_name, receipt.media_type, receipt.size_bytes) == (
        "收据.jpg",
        "image/jpeg",
        len(RECEIPT),
    )
    assert receipt.sha256 == hashlib.sha256(RECEIPT).hexdigest() and not receipt.content
    assert note.media_type == "text/plain"
    # The bytes are in the service's own database, with the case.
    rows = await stored_files(p.database_url)
    assert [(str(r[0]), r[1], r[2], r[5]) for r in rows] == [
        (registered.id, 0, "收据.jpg", RECEIPT),
        (registered.id, 1, "说明.txt", NOTE),
    ]

    got = await attachment(p, registered.id, receipt.id, "petition-officer")
    assert (got.content, got.file_name, got.sha256) == (RECEIPT, "收据.jpg", receipt.sha256)

    # The body complained about, a leader (redacted view) and a citizen: refused.
    for user in ("department-head", "mayor", "citizen"):
        refused = await rpc_error(attachment(p, registered.id, receipt.id, user))
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED, user
        assert "收据" not in refused.details()
    # Assigned: the handling body reads it; the body complained about still does not.
    await assign(p, registered.id, date(2025, 9, 20))
    assert (await attachment(p, registered.id, note.id, "county-head")).content == NOTE
    assert (
        await rpc_error(attachment(p, registered.id, note.id, "department-head"))
    ).code() == grpc.StatusCode.PERMISSION_DENIED
    # A file of another case, or no file: not found (after the case's own check).
    other = (await register(p, complaint(received=date(2025, 9, 17), attachments=[]))).case
    missing = await rpc_error(attachment(p, other.id, receipt.id, "petition-officer"))
    assert missing.code() == grpc.StatusCode.NOT_FOUND

    history = (await get(p, registered.id)).history
    reads = [(h.act, h.actor.username) for h in history if h.act.startswith("attachment.")]
    assert ("attachment.read", "petition-officer") in reads and ("attachment.read", "county-head") in reads
    assert reads.count(("attachment.read.denied", "department-head")) == 2
    # (A citizen holds no petition:read: refused before the service looks at the case, as for GetCase.)
    assert ("attachment.read.denied", "mayor") in reads
    # The record names the file by id, never by its name.
    assert not any("收据" in h.reason or "说明" in h.reason for h in history)


async def test_A71_the_petitioner_downloads_own_files_by_query_code_or_account_and_nobody_elses(petitions):
    p = petitions
    filed = await p.stub.SubmitPetition(
        petitions_pb2.SubmitPetitionRequest(
            intake=petitions_pb2.Intake(
                category=petitions_pb2.CATEGORY_REQUEST_APPEAL,
                title="低保申请未答复",
                content="三个月前申请低保，至今未答复。",
                petitioners=[petitions_pb2.Petitioner(name="林市民", phone="13700001111")],
                attachments=[
                    petitions_pb2.Attachment(file_name="申请表.png", media_type="image/png", content=PNG)
                ],
            )
        ),
        metadata=p.as_user("citizen"),
    )
    (meta,) = filed.case.attachments
    assert meta.file_name == "申请表.png" and meta.id

    def own(user="citizen", **by):
        return p.stub.GetOwnAttachment(
            petitions_pb2.GetOwnAttachmentRequest(attachment_id=meta.id, **by), metadata=p.as_user(user)
        )

    assert (await own(query_code=filed.query_code.lower())).content == PNG
    assert (await own(case_id=filed.case.id)).content == PNG
    # Someone else with the case id but not the code (here an officer who did not file it): refused.
    assert (
        await rpc_error(own("petition-officer", case_id=filed.case.id))
    ).code() == grpc.StatusCode.PERMISSION_DENIED
    assert (await rpc_error(own(query_code="AAAA-BBBB-CCCC-DDDD"))).code() == grpc.StatusCode.NOT_FOUND
    # The code of another case does not open this case's file.
    other = await register(p, complaint(attachments=[]))
    assert (await rpc_error(own(query_code=other.query_code))).code() == grpc.StatusCode.NOT_FOUND
    assert "case_id" in field_violations_of(await rpc_error(own()))
    history = (await get(p, filed.case.id)).history
    assert ("attachment.read", "citizen") in [(h.act, h.actor.username) for h in history]


async def test_a_file_whose_bytes_are_not_its_type_is_refused_and_nothing_is_stored(petitions):
    p = petitions
    fake = petitions_pb2.Attachment(
        file_name="照片.png", media_type="image/png", content=b"MZ\x90\x00\x03\x00"
    )
    empty = petitions_pb2.Attachment(file_name="空.pdf", media_type="application/pdf")
    exe = petitions_pb2.Attachment(
        file_name="run.exe", media_type="application/x-msdownload", content=b"MZ\x90"
    )
    err = await rpc_error(register(p, complaint(attachments=[fake, empty, exe])))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {
        "intake.attachments[0].content",
        "intake.attachments[1].content",
        "intake.attachments[2].media_type",
    } <= set(field_violations_of(err))
    listed = await p.stub.ListCases(petitions_pb2.ListCasesRequest(), metadata=p.as_user("petition-officer"))
    assert list(listed.cases) == [] and await stored_files(p.database_url) == []


async def test_the_intake_takes_files_up_to_the_caps_over_grpc(petitions):
    """A case with files of 10 MiB and 20 MiB in all passes the server's message size (4 MiB by default),
    and the file comes back whole."""
    p = petitions
    big = b"%PDF-1.7\n" + bytes(10 * 1024 * 1024 - 9)
    second = b"%PDF-1.4\n" + b"\x01" * (10 * 1024 * 1024 - 9)
    registered = (
        await register(
            p,
            complaint(
                attachments=[
                    petitions_pb2.Attachment(
                        file_name="卷宗一.pdf", media_type="application/pdf", content=big
                    ),
                    petitions_pb2.Attachment(
                        file_name="卷宗二.pdf", media_type="application/pdf", content=second
                    ),
                ]
            ),
        )
    ).case
    got = await attachment(p, registered.id, registered.attachments[0].id, "petition-officer")
    assert got.content == big
    over = await rpc_error(
        register(
            p,
            complaint(
                attachments=[
                    petitions_pb2.Attachment(
                        file_name="卷宗.pdf", media_type="application/pdf", content=big + b"x"
                    )
                ]
            ),
        )
    )
    assert "intake.attachments[0].content" in field_violations_of(over)


async def test_A71_search_finds_cases_by_words_each_reader_is_shown_and_no_others(petitions):
    """Full readers (the bureau, the assigned body) find cases by words of title and content; a leader
    only by the masked text of cases that show it — never by a complaint's hidden words nor by a
    petitioner's name; the body complained about finds nothing."""
    p = petitions
    report = (await register(p, complaint(received=date(2025, 10, 1)))).case.id
    await assign(p, report, date(2025, 10, 9))
    suggestion = (
        await register(
            p,
            complaint(
                received=date(2025, 10, 3),
                category=petitions_pb2.CATEGORY_SUGGESTION,
                body_complained_about="",
                person_complained_about="",
                title="增设公交线路",
                content="赵六建议在岳阳镇增设公交站点。",
                petitioners=[petitions_pb2.Petitioner(name="赵六", phone="13600000003")],
            ),
        )
    ).case.id

    async def found(user, text, **filters):
        reply = await p.stub.ListCases(
            petitions_pb2.ListCasesRequest(text=text, **filters), metadata=p.as_user(user)
        )
        return [c.id for c in reply.cases]

    assert await found("petition-officer", "资料费") == [report]  # a word of the content, not the title
    assert await found("petition-officer", "资料费 学生") == [report]  # every word must match
    assert await found("petition-officer", "资料费 公交") == []
    assert await found("petition-officer", "公交站") == [suggestion]
    assert await found("petition-officer", "赵六") == [suggestion]
    # every run of characters is found, whatever jieba cuts (bigrams, shared/words.py; issue 15)
    for part in ("设公交", "阳镇增设", "议在岳", "公交站点。"):
        assert await found("petition-officer", part) == [suggestion], part
    assert await found("petition-officer", "公交", category=petitions_pb2.CATEGORY_COMPLAINT_REPORT) == []
    assert await found("petition-officer", "公交", received_from=d(date(2025, 10, 2))) == [suggestion]
    assert await found("petition-officer", "公交", received_to=d(date(2025, 10, 2))) == []
    assert await found("county-head", "资料费") == [report]
    assert await found("county-head", "公交") == []  # not its case
    assert await found("department-head", "资料费") == []  # the body complained about
    # The leader: the suggestion by its words, never by the petitioner's name; the report not at all.
    assert await found("mayor", "公交站点") == [suggestion]
    assert await found("mayor", "赵六") == []
    assert await found("mayor", "资料费") == []
    assert await found("mayor", NAME) == []
    # Marked for the mayor, the report's content is shown to him, but the search stays on what every
    # redacted view shows (the conservative choice, README).
    await p.stub.MarkForLeader(
        petitions_pb2.MarkForLeaderRequest(
            case_id=report, leader_user_id=p.user_id("mayor"), reason="重要来信"
        ),
        metadata=p.as_user("petition-officer"),
    )
    assert (await get(p, report, "mayor")).content == CONTENT
    assert await found("mayor", "资料费") == []
