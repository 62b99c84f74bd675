"""An issued document as PDF in the national layout of GB/T 9704-2012 (党政机关公文格式).

What is followed: A4 (210 × 297 mm); 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm; 22 lines of text a
page (3号 = 16 pt, line pitch 225/22 mm); the 版头 (urgency, red issuer's mark 35 mm below the top of
the 版心 — 80 mm for documents to a higher body —, the number centred, or on the left with 签发人 on the
right for documents to a higher body, the red line 4 mm below); the 主体 (title 2号 centred one line
below, 主送机关, text with a 2-character indent, 附件说明, 署名 and 成文日期 4 characters from the right);
the 版记 at the foot of the last page (抄送 4号, 印发机关 and 印发日期 between separator lines); page
numbers 4号 "— n —" 7 mm below the 版心, odd ones on the right, even ones on the left.

What is not: the standard's fonts (小标宋, 仿宋, 楷体) are not free; one freely licensed CJK font is
embedded for every part (see fonts/NOTICE.md). Seals (印章) are not drawn: they are applied by the
issuing office's signature system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fpdf import FPDF

from zgov.documents.v1 import documents_pb2 as pb

FONTS = Path(__file__).parent / "fonts"
FONT = "cjk"  # Chinese text
LATIN = "latin"  # digits and Latin letters, which the Chinese font lacks

PAGE_W, PAGE_H = 210.0, 297.0
TOP, LEFT = 37.0, 28.0
TEXT_W, TEXT_H = 156.0, 225.0
RIGHT = PAGE_W - LEFT - TEXT_W
BOTTOM = PAGE_H - TOP - TEXT_H
LINE = TEXT_H / 22  # 22 lines a page
PT = 25.4 / 72  # mm per point
SIZE_3 = 16  # 3号
SIZE_2 = 22  # 2号
SIZE_4 = 14  # 4号
CHAR_3 = SIZE_3 * PT  # one 3号 character, mm
RED = (230, 0, 18)


@dataclass
class Layout:
    """What the page shows (built from an issued document)."""

    issuer_mark: str  # 发文机关标志, e.g. 资阳市人民政府文件
    document_number: str
    title: str
    body: str
    signature: str  # 署名, e.g. 资阳市人民政府
    written_on: date  # 成文日期
    main_receivers: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    printed_by: str = "资阳市人民政府办公室"  # 印发机关
    printed_on: date | None = None  # 印发日期
    urgency: str = ""  # 特急 / 加急
    signer_names: list[str] = field(default_factory=list)  # 签发人, for documents to a higher body
    upward: bool = False  # 上行文


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Pdf(FPDF):
    def footer(self) -> None:
        # 页码: 4号 "— n —", 7 mm below the 版心; odd pages on the right, even on the left (one char in).
        self.set_font(FONT, size=SIZE_4)
        self.set_text_color(0, 0, 0)
        self.set_y(PAGE_H - BOTTOM + 7 - 3)
        text = f"— {self.page_no()} —"
        align = "R" if self.page_no() % 2 else "L"
        self.set_x(LEFT + (0 if align == "L" else -SIZE_4 * PT))
        self.cell(TEXT_W + (SIZE_4 * PT if align == "L" else 0), 6, text, align=align)


def render_pdf(layout: Layout) -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.add_font(FONT, fname=str(FONTS / "DroidSansFallback.ttf"))
    pdf.add_font(LATIN, fname=str(FONTS / "DejaVuSerif.ttf"))
    pdf.set_fallback_fonts([LATIN], exact_match=False)
    pdf.set_title(layout.title)
    pdf.add_page()
    _head(pdf, layout)
    _main(pdf, layout)
    _record(pdf, layout)
    return bytes(pdf.output())


def _head(pdf: FPDF, layout: Layout) -> None:
    """版头: urgency, the red issuer's mark, the number (and 签发人), the red line."""
    pdf.set_text_color(0, 0, 0)
    if layout.urgency:
        pdf.set_font(FONT, size=SIZE_3)
        pdf.set_xy(LEFT, TOP)
        pdf.cell(TEXT_W, LINE, layout.urgency)
    mark_top = TOP + (80 if layout.upward else 35)
    pdf.set_xy(LEFT, mark_top)
    pdf.set_font(FONT, size=36)
    pdf.set_text_color(*RED)
    pdf.cell(TEXT_W, 16, layout.issuer_mark, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=SIZE_3)
    number_y = mark_top + 16 + 2 * LINE  # two blank lines under the mark
    if layout.upward:
        pdf.set_xy(LEFT + CHAR_3, number_y)
        pdf.cell(TEXT_W / 2, LINE, layout.document_number)
        signers = "签发人：" + "  ".join(layout.signer_names)
        pdf.set_xy(LEFT + TEXT_W / 2, number_y)
        pdf.cell(TEXT_W / 2 - CHAR_3, LINE, signers, align="R")
    else:
        pdf.set_xy(LEFT, number_y)
        pdf.cell(TEXT_W, LINE, layout.document_number, align="C")
    line_y = number_y + LINE + 4  # the red line, 4 mm below the number
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.5)
    pdf.line(LEFT, line_y, LEFT + TEXT_W, line_y)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(line_y + LINE)  # one blank line before the title


def _main(pdf: FPDF, layout: Layout) -> None:
    """主体: title, main receivers, text, attachment note, signature and date."""
    pdf.set_font(FONT, size=SIZE_2)
    pdf.multi_cell(TEXT_W, SIZE_2 * PT * 1.6, layout.title, align="C", wrapmode="CHAR",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(LINE)
    pdf.set_font(FONT, size=SIZE_3)
    if layout.main_receivers:
        pdf.multi_cell(TEXT_W, LINE, "、".join(layout.main_receivers) + "：", wrapmode="CHAR",
                       new_x="LMARGIN", new_y="NEXT")
    for paragraph in [p.strip() for p in layout.body.splitlines() if p.strip()]:
        pdf.multi_cell(TEXT_W, LINE, "\u3000\u3000" + paragraph, wrapmode="CHAR", new_x="LMARGIN",
                       new_y="NEXT")
    if layout.attachments:
        pdf.ln(LINE)
        for i, name in enumerate(layout.attachments, 1):
            label = "附件：" if i == 1 else "\u3000\u3000\u3000"
            numbered = f"{i}. {name}" if len(layout.attachments) > 1 else name
            pdf.multi_cell(TEXT_W, LINE, "\u3000\u3000" + label + numbered, wrapmode="CHAR",
                           new_x="LMARGIN", new_y="NEXT")
    pdf.ln(LINE * 2)
    right_in = 4 * CHAR_3  # 成文日期 4 characters from the right
    pdf.cell(TEXT_W - right_in, LINE, layout.signature, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(TEXT_W - right_in, LINE, chinese_date(layout.written_on), align="R", new_x="LMARGIN",
             new_y="NEXT")


def _record(pdf: FPDF, layout: Layout) -> None:
    """版记 at the foot of the last page: 抄送, 印发机关 and 印发日期, between separator lines."""
    rows = (1 if layout.copies else 0) + 1
    height = rows * LINE
    foot = PAGE_H - BOTTOM
    if pdf.get_y() + height + LINE > foot:
        pdf.add_page()
    top = foot - height
    # the record ends exactly on the 版心's lower edge: no automatic break inside it
    pdf.set_auto_page_break(False)
    pdf.set_font(FONT, size=SIZE_4)
    pdf.set_line_width(0.35)
    pdf.line(LEFT, top, LEFT + TEXT_W, top)
    y = top
    if layout.copies:
        pdf.set_xy(LEFT + SIZE_4 * PT, y)
        pdf.cell(TEXT_W - 2 * SIZE_4 * PT, LINE, "抄送：" + "，".join(layout.copies) + "。")
        y += LINE
        pdf.set_line_width(0.25)
        pdf.line(LEFT, y, LEFT + TEXT_W, y)
    pdf.set_xy(LEFT + SIZE_4 * PT, y)
    pdf.cell(TEXT_W / 2, LINE, layout.printed_by)
    printed = chinese_date(layout.printed_on or layout.written_on) + "印发"
    pdf.set_xy(LEFT + TEXT_W / 2, y)
    pdf.cell(TEXT_W / 2 - SIZE_4 * PT, LINE, printed, align="R")
    pdf.set_line_width(0.35)
    pdf.line(LEFT, foot, LEFT + TEXT_W, foot)


# ---- from an issued document --------------------------------------------------------------------

# Issuer codes (发文机关代字) and the issuer they stand for: (mark of a 文件, name for 署名).
ISSUERS = (
    ("资府办", "资阳市人民政府办公室"),
    ("资府", "资阳市人民政府"),
)
URGENCY_MARKS = {pb.URGENCY_URGENT: "加急", pb.URGENCY_EXTRA_URGENT: "特急"}
UPWARD_AUTHORITIES = {pb.SIGN_OFF_AUTHORITY_TO_PROVINCIAL_GOVERNMENT, pb.SIGN_OFF_AUTHORITY_TO_CITY_COMMITTEE,
                      pb.SIGN_OFF_AUTHORITY_MOTION_TO_PEOPLES_CONGRESS}
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
        issuer_mark=issuer if letter else f"{issuer}文件", document_number=document.document_number,
        title=c.title, body=c.body, signature=issuer,
        written_on=date(written.year, written.month, written.day),
        main_receivers=[b.name or b.code for b in c.main_receivers],
        attachments=[a.name for a in c.attachments], copies=[b.name or b.code for b in c.copies],
        printed_on=date(document.issued_on.year, document.issued_on.month, document.issued_on.day),
        urgency=URGENCY_MARKS.get(c.urgency, ""),
        signer_names=[s.signer_name for s in signed],
        upward=c.authority in UPWARD_AUTHORITIES or c.kind in UPWARD_KINDS,
    )
