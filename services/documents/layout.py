"""An issued document (zgov.documents.v1.Document) as the page GB/T 9704 lays out (shared.gbt9704)."""

from __future__ import annotations

from datetime import date

from shared.gbt9704 import Layout
from zgov.documents.v1 import documents_pb2 as pb

# Issuer codes (发文机关代字) and the issuer they stand for: (mark of a 文件, name for 署名).
ISSUERS = (
    ("资府办", "资阳市人民政府办公室"),
    ("资府", "资阳市人民政府"),
)
URGENCY_MARKS = {pb.URGENCY_URGENT: "加急", pb.URGENCY_EXTRA_URGENT: "特急"}
UPWARD_AUTHORITIES = {
    pb.SIGN_OFF_AUTHORITY_TO_PROVINCIAL_GOVERNMENT,
    pb.SIGN_OFF_AUTHORITY_TO_CITY_COMMITTEE,
    pb.SIGN_OFF_AUTHORITY_MOTION_TO_PEOPLES_CONGRESS,
}
UPWARD_KINDS = {pb.DOCUMENT_KIND_REQUEST, pb.DOCUMENT_KIND_REPORT, pb.DOCUMENT_KIND_MOTION}


def issuer_of(issuer_code: str) -> str:
    return next((name for prefix, name in ISSUERS if issuer_code.startswith(prefix)), "资阳市人民政府")


def layout_of(document: pb.Document) -> Layout:
    """The page of an issued outgoing document: 上行文 (to a higher body) show 签发人."""
    c = document.content
    issuer = issuer_of(c.issuer_code)
    letter = c.kind == pb.DOCUMENT_KIND_LETTER  # 函 carry the issuer's name without 文件
    signed = [s for s in document.sign_offs if s.meaning != pb.SIGN_OFF_MEANING_READ]
    written = signed[-1].signed_on if signed else document.issued_on
    return Layout(
        issuer_mark=issuer if letter else f"{issuer}文件",
        document_number=document.document_number,
        title=c.title,
        body=c.body,
        signature=issuer,
        written_on=date(written.year, written.month, written.day),
        main_receivers=[b.name or b.code for b in c.main_receivers],
        attachments=[a.name for a in c.attachments],
        copies=[b.name or b.code for b in c.copies],
        printed_on=date(document.issued_on.year, document.issued_on.month, document.issued_on.day),
        urgency=URGENCY_MARKS.get(c.urgency, ""),
        signer_names=[s.signer_name for s in signed],
        upward=c.authority in UPWARD_AUTHORITIES or c.kind in UPWARD_KINDS,
    )
