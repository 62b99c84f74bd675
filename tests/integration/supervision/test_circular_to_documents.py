"""A61 end to end: the office drafts the month's circular in supervision and asks for its issue; the real
documents service, on the same NATS JetStream, drafts it as an outgoing document of kind circular (通报) of
the supervision office, once. The supervision officer reads that draft in documents (`document:read`,
which documents limits to the reader's own body and what it countersigns) and no other body's
documents."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from services.documents.__main__ import build as build_documents
from services.documents.config import DocumentsSettings
from tests.fixtures.org import serving
from tests.fixtures.polling import eventually
from zgov.documents.v1 import documents_pb2 as docs_pb
from zgov.documents.v1 import documents_pb2_grpc
from zgov.supervision.v1 import circulars_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def test_A61_the_circular_asked_for_in_supervision_is_drafted_once_in_documents(
    supervision, keycloak, service_database
):
    s = supervision
    documents = build_documents(
        DocumentsSettings(
            database_url=await service_database("documents"),
            nats_url=s.nats.url,
            nats_nkey_seed=s.nats.seeds["documents"],
            keycloak_url=keycloak.url,
            client_id="documents",
            client_secret=keycloak.client_secrets["documents"],
            grpc_port=0,
            org_address=s.org_address,
            org_cache_seconds=300,
            countersign_clock_seconds=3600,
        )
    )
    office = s.as_user("supervision-officer")
    circular = await s.circulars.DraftCircular(
        pb.DraftCircularRequest(year=TODAY.year, month=TODAY.month), metadata=office
    )
    async with serving(documents):
        async with grpc.aio.insecure_channel(documents.address) as channel:
            docs = documents_pb2_grpc.DocumentsServiceStub(channel)
            await s.circulars.RequestCircularIssue(
                pb.RequestCircularIssueRequest(circular_id=circular.id), metadata=office
            )

            async def drafted() -> list[docs_pb.Document]:
                listed = await docs.ListDocuments(
                    docs_pb.ListDocumentsRequest(kind=docs_pb.DOCUMENT_KIND_CIRCULAR),
                    metadata=s.as_user("office-staff"),
                )
                return list(listed.documents)

            (draft,) = await eventually(drafted, timeout=60)
            await officer_reads_the_draft_and_no_other_bodys(s, docs, draft)
    assert (draft.state, draft.content.kind, draft.content.title) == (
        docs_pb.DOCUMENT_STATE_DRAFT,
        docs_pb.DOCUMENT_KIND_CIRCULAR,
        circular.title,
    )
    assert draft.content.body.startswith(f"现将{TODAY.year}年{TODAY.month}月市政府督查事项办理情况通报如下")
    assert draft.created_by.user_id == s.user_id("supervision-officer")
    assert draft.created_by.organisation_code == "supervision-office"


async def officer_reads_the_draft_and_no_other_bodys(s, docs, draft: docs_pb.Document) -> None:
    """The office's own circular is readable by its officer; a department's draft is not (NOT_FOUND, as
    for a document that does not exist), nor listed."""
    officer = s.as_user("supervision-officer")
    read = await docs.GetDocument(docs_pb.GetDocumentRequest(document_id=draft.id), metadata=officer)
    assert (read.id, read.content.title) == (draft.id, draft.content.title)
    departments = await docs.DraftDocument(
        docs_pb.DraftDocumentRequest(
            direction=docs_pb.DIRECTION_OUTGOING,
            content=docs_pb.DocumentContent(
                kind=docs_pb.DOCUMENT_KIND_NOTICE,
                title="关于做好本部门安全生产检查的通知",
                body="……",
                urgency=docs_pb.URGENCY_ORDINARY,
                classification=docs_pb.CLASSIFICATION_NONE,
                authority=docs_pb.SIGN_OFF_AUTHORITY_ROUTINE,
                issuer_code="资财函",
                disclosure=docs_pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
            ),
        ),
        metadata=s.as_user("department-head"),
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await docs.GetDocument(docs_pb.GetDocumentRequest(document_id=departments.id), metadata=officer)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await docs.ListDocuments(docs_pb.ListDocumentsRequest(), metadata=officer)
    assert [d.id for d in listed.documents] == [draft.id]
