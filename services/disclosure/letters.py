"""Letters to an applicant (依申请公开): the reply letter (政府信息公开申请答复书) and the written
notices (receipt, art. 30 completion, art. 33 extension, art. 35 deferral), laid out as official
documents by the platform's GB/T 9704 library."""

from __future__ import annotations

from datetime import date

from services.disclosure.domain import applications as domain
from services.disclosure.models import InfoApplication
from services.disclosure.protos.applications import reply_from_json
from services.disclosure.store.applications import consultations_of
from shared.errors import InvalidInput, NotFound
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import applications_pb2 as pb

AGENCY = "资阳市人民政府办公室"  # the agency that answers (政府信息公开工作机构)
REVIEW_BODY = "资阳市人民政府"  # reviews of a department of the city government go to the city government


def letter_pdf(row: InfoApplication, *, number: str, title: str, paragraphs: list[str], on: date) -> bytes:
    """A letter to the applicant in the layout of official documents, rendered by the platform's
    GB/T 9704 library (shared.gbt9704: the same layout and faces as issued documents)."""
    from shared.gbt9704 import Layout, render_pdf  # fpdf2 and its fonts load on first use

    return render_pdf(
        Layout(
            issuer_mark=AGENCY,
            document_number=number,
            title=title,
            body="\n".join(paragraphs),
            signature=AGENCY,
            written_on=on,
            main_receivers=[row.applicant["name"]],
            printed_by=AGENCY,
        )
    )


NOTICE_TITLES = {
    pb.NOTICE_KIND_RECEIPT: ("政府信息公开申请登记回执", "回执"),
    pb.NOTICE_KIND_COMPLETION: ("政府信息公开申请补正告知书", "补正告知书"),
    pb.NOTICE_KIND_EXTENSION: ("政府信息公开申请延期答复告知书", "延期答复告知书"),
    pb.NOTICE_KIND_DEFERRAL: ("政府信息公开申请延迟答复告知书", "延迟答复告知书"),
}


def notice_pdf(row: InfoApplication, kind: int, cal: WorkingCalendar) -> tuple[bytes, str]:
    """The written notice of `kind`, or NotFound when the application has none of that kind."""
    if kind not in NOTICE_TITLES:
        raise InvalidInput({"kind": "receipt, completion, extension or deferral"})
    title, short = NOTICE_TITLES[kind]
    missing = NotFound(f"a {short} for application {row.number}", resource_type="notice")
    if row.received_on is None:
        raise missing
    if kind == pb.NOTICE_KIND_RECEIPT:
        first = domain.reply_due(domain.Clock(started_on=row.received_on), cal)
        paragraphs = domain.receipt_paragraphs(
            number=row.number,
            description=row.description,
            received_on=row.received_on,
            due=first.due,
            provisional=first.provisional,
        )
        on = row.received_on
    elif kind == pb.NOTICE_KIND_COMPLETION:
        if not row.completion:
            raise missing
        c = row.completion
        on = date.fromisoformat(c["requested_on"])
        paragraphs = domain.completion_paragraphs(
            description=row.description,
            received_on=row.received_on,
            items=c["items"],
            due=date.fromisoformat(c["due_on"]),
        )
    elif kind == pb.NOTICE_KIND_EXTENSION:
        if not row.extension:
            raise missing
        e = row.extension
        on = date.fromisoformat(e["approved_on"])
        # the limit as the extension left it (later consultations are told separately)
        extended = domain.reply_due(
            domain.Clock(
                started_on=row.clock_started_on,
                extension_days=e["working_days"],
                consultations=consultations_of(row),
            ),
            cal,
        )
        paragraphs = domain.extension_paragraphs(
            description=row.description,
            received_on=row.received_on,
            working_days=e["working_days"],
            reason=e["reason"],
            notice=e["notice"],
            due=extended.due,
        )
    else:
        if not (row.deferral or {}).get("deferred_to"):
            raise missing
        on = date.fromisoformat(row.deferral["reasons_requested_on"])
        paragraphs = domain.deferral_paragraphs(
            description=row.description,
            received_on=row.received_on,
            deferred_to=date.fromisoformat(row.deferral["deferred_to"]),
            notice=row.deferral["notice"],
        )
    pdf = letter_pdf(row, number=row.number, title=title, paragraphs=paragraphs, on=on)
    return pdf, f"{row.number}-{short}.pdf"


def reply_pdf(row: InfoApplication) -> bytes:
    """The reply letter (政府信息公开申请答复书)."""
    reply = reply_from_json(row.reply_kind, row.reply)
    body = domain.reply_paragraphs(
        reply,
        description=row.description,
        received_on=row.received_on,
        agency=AGENCY,
        review_body=REVIEW_BODY,
    )
    return letter_pdf(
        row,
        number=row.reply.get("letter_number", ""),
        title="政府信息公开申请答复书",
        paragraphs=body,
        on=row.replied_on,
    )
