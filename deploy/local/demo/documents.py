"""The documents storyline (公文): a request filed and read, a notice issued, its PDF written to a file."""

from __future__ import annotations

from zgov.documents.v1 import documents_pb2 as docs_pb
from zgov.documents.v1 import documents_pb2_grpc

from deploy.local.demo.calls import MARK, Run, Story, pages

REQUEST_TITLE = f"{MARK}关于新建城东学校的请示"
NOTICE_TITLE = f"{MARK}关于推进城东学校建设的通知"


def documents(run: Run) -> Story:
    """A department's request filed, checked by the office and read by the leader it is routed to; a
    notice drafted, checked before issue, signed, numbered and issued, and its PDF written to a file."""
    story = Story("documents (公文: filing, review, sign-off, issue, PDF)")
    p = run.platform
    stub = p.stub(documents_pb2_grpc.DocumentsServiceStub, "zgov.documents.v1.DocumentsService")
    mine = [
        d
        for d in pages(
            stub.ListDocuments, docs_pb.ListDocumentsRequest(), p.as_user("office-staff"), "documents"
        )
        if d.content.title.startswith(MARK)
    ]
    issued = next((d for d in mine if d.state == docs_pb.DOCUMENT_STATE_ISSUED), None)
    if mine:
        story.found(issued is not None, "the issued notice")
    else:
        _request_to_the_leader(run, stub, story)
        issued = _issue_notice(run, stub, story)
        story.notes.append(
            "documents are filed, signed and issued today (the service dates these acts itself)"
        )
    if issued is not None:
        _write_pdf(run, stub, issued, story)
    return story


def _request_to_the_leader(run: Run, stub, story: Story) -> None:
    p = run.platform
    filed = stub.FileDocument(
        docs_pb.FileDocumentRequest(
            content=docs_pb.DocumentContent(
                kind=docs_pb.DOCUMENT_KIND_REQUEST,
                title=REQUEST_TITLE,
                body="为缓解城东片区学位紧张，拟新建城东学校一所。妥否，请批示。",
                main_receivers=[docs_pb.Body(code="city-government", name="资阳市人民政府")],
                urgency=docs_pb.URGENCY_ORDINARY,
                classification=docs_pb.CLASSIFICATION_NONE,
                matters=["城东学校建设"],
            )
        ),
        metadata=p.as_user("department-head"),
    )
    routed = stub.ReviewDocument(
        docs_pb.ReviewDocumentRequest(
            document_id=filed.id, outcome=docs_pb.REVIEW_OUTCOME_ACCEPT, opinion="拟请分管领导阅示"
        ),
        metadata=p.as_user("office-staff"),
    )
    leader = _username_of(run, routed.routed_to_user_id)
    if leader:
        stub.SignOffDocument(
            docs_pb.SignOffDocumentRequest(document_id=filed.id, opinion="同意", circle_read=True),
            metadata=p.as_user(leader),
        )
    story.made.append(
        f"request {REQUEST_TITLE} filed by the education bureau, accepted by the office"
        + (f", read and agreed by {leader}" if leader else ", routed (its leader is no demo user)")
    )


LEADERS = ("mayor", "evm", "vice-mayor-1", "vice-mayor-2", "vice-mayor-3", "secretary-general")


def _username_of(run: Run, user_id: str) -> str:
    return next((name for name in LEADERS if run.platform.user_id(name) == user_id), "")


def _issue_notice(run: Run, stub, story: Story) -> docs_pb.Document:
    p = run.platform
    draft = stub.DraftDocument(
        docs_pb.DraftDocumentRequest(
            direction=docs_pb.DIRECTION_OUTGOING,
            content=docs_pb.DocumentContent(
                kind=docs_pb.DOCUMENT_KIND_NOTICE,
                title=NOTICE_TITLE,
                body="各有关单位：根据市政府常务会议决定，现就推进城东学校建设有关事项通知如下。……",
                urgency=docs_pb.URGENCY_ORDINARY,
                classification=docs_pb.CLASSIFICATION_NONE,
                authority=docs_pb.SIGN_OFF_AUTHORITY_ROUTINE,
                issuer_code="资府办函",
                disclosure=docs_pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
            ),
        ),
        metadata=p.as_user("office-staff"),
    )
    stub.CheckBeforeIssue(
        docs_pb.CheckBeforeIssueRequest(document_id=draft.id), metadata=p.as_user("office-staff")
    )
    stub.SignOffDocument(
        docs_pb.SignOffDocumentRequest(document_id=draft.id, opinion="同意", circle_read=True),
        metadata=p.as_user("secretary-general"),
    )
    issued = stub.IssueDocument(
        docs_pb.IssueDocumentRequest(document_id=draft.id), metadata=p.as_user("office-staff")
    )
    story.made.append(
        f"notice {NOTICE_TITLE} drafted, signed by the secretary-general, issued as {issued.document_number}"
    )
    return issued


def _write_pdf(run: Run, stub, issued: docs_pb.Document, story: Story) -> None:
    rendered = stub.RenderDocument(
        docs_pb.RenderDocumentRequest(document_id=issued.id), metadata=run.platform.as_user("office-staff")
    )
    path = run.out_dir / rendered.file_name
    if not path.exists() or path.read_bytes() != rendered.pdf:
        run.out_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.pdf)
    story.where.append(f"the issued document {issued.document_number} as PDF: {path}")
