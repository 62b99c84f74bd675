"""A document as PDF in the national layout of GB/T 9704-2012 (党政机关公文格式).

From a `Layout` (what the page shows): the documents service builds one from an issued document
(services/documents/layout.py), the disclosure service for its reply and notice letters.

What is followed: A4 (210 × 297 mm); 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm; 22 lines of 28
characters a page (3号 = 16 pt set 0.22 pt tighter, line pitch 225/22 mm); the 版头 (urgency, red
issuer's mark 35 mm below the top of the 版心 — 80 mm for documents to a higher body —, the number
centred, or on the left with 签发人 on the right for documents to a higher body, the red line 4 mm
below); the 主体 (title 2号 centred one line below, 主送机关, text with a 2-character indent and no
closing mark at a line's start nor opening one at its end (避头尾), 附件说明,
成文日期 4 characters from the right and 署名 centred over it);
the 版记 at the foot of the last page (抄送 4号, 印发机关 and 印发日期 between separator lines); page
numbers 4号 "— n —" 7 mm below the 版心, odd ones on the right, even ones on the left.

Faces (typefaces.py, fonts/NOTICE.md): free stand-ins for the standard's faces, each element in its
own — 发文机关标志 and 标题 in 小标宋 (FandolSong Bold), 紧急程度 and first-level headings (一、) in 黑体,
second-level headings (（一）) and the signers' names in 楷体, page numbers in 宋体, everything else in
仿宋 (FandolFang), digits and Latin letters in the same face as the Chinese around them. A character
outside the faces' GB 2312 set (a rare name) is drawn from Droid Sans Fallback and logged; without
the faces nothing is rendered (RuleViolation GBT9704.fonts naming the package and the command).

What is not: seals (印章) are not drawn: they are applied by the issuing office's signature system.
"""

from __future__ import annotations

import copy
import io
import itertools
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import structlog
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from shared.gbt9704 import typefaces
from shared.errors import RuleViolation

log = structlog.get_logger(__name__)

FONTS = Path(__file__).parent / "fonts"
# fpdf2 family names of the standard's faces
XIAOBIAOSONG, FANGSONG, HEITI, KAITI, SONGTI = "xiaobiaosong", "fangsong", "heiti", "kaiti", "songti"
FAMILIES = {
    typefaces.XIAOBIAOSONG: XIAOBIAOSONG,
    typefaces.FANGSONG: FANGSONG,
    typefaces.HEITI: HEITI,
    typefaces.KAITI: KAITI,
    typefaces.SONGTI: SONGTI,
}
# glyph by glyph, for what the faces lack: Chinese outside GB 2312, then Latin and symbols
RARE = "rare"
LATIN = "latin"
FONTS_RULE = "GBT9704.fonts"

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
# 28 characters a line (每行28个字): 28 3号 characters are 158 mm, the 版心 156, so the text runs
# tighter by -0.22 pt a character (fpdf2 takes character spacing in points, as the PDF's Tc operator
# does, and counts it between characters when it breaks lines: 27 gaps; two decimals are written)
GRID_SPACING = math.floor((TEXT_W / PT - 28 * SIZE_3) / 27 * 100) / 100
RED = (230, 0, 18)
# 结构层次序数: 一、 (黑体) and （一） (楷体); the third and fourth levels (1. and （1）) stay in 仿宋
NUMERALS = "一二三四五六七八九十"
FIRST_LEVEL = re.compile(f"^[{NUMERALS}]+、")
SECOND_LEVEL = re.compile(f"^（[{NUMERALS}]+）")
# 避头尾: marks that never start a line, and those that never end one
NO_LINE_START = "，。、；：？！）》」』】〕〉”’…—%·"
NO_LINE_END = "（《「『【〔〈“‘"


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
        # 页码: 4号 宋体 "— n —", 7 mm below the 版心; odd pages on the right, even on the left (one char in).
        self.set_font(SONGTI, size=SIZE_4)
        self.set_char_spacing(0)  # fpdf2 restores the text's spacing on the next page
        self.set_text_color(0, 0, 0)
        self.set_y(PAGE_H - BOTTOM + 7 - 3)
        text = f"— {self.page_no()} —"
        align = "R" if self.page_no() % 2 else "L"
        self.set_x(LEFT + (0 if align == "L" else -SIZE_4 * PT))
        self.cell(TEXT_W + (SIZE_4 * PT if align == "L" else 0), 6, text, align=align)


def faces() -> dict[typefaces.Face, Path]:
    """The installed faces, or RuleViolation GBT9704.fonts (FAILED_PRECONDITION) saying how to install them."""
    try:
        return typefaces.find_faces()
    except typefaces.FontsMissing as missing:
        raise RuleViolation(FONTS_RULE, str(missing), metadata={"package": typefaces.PACKAGE}) from missing


def render_pdf(layout: Layout) -> bytes:
    found = faces()
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.c_margin = 0  # positions count from the 版心's edges, as the standard gives them
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    needed = families_of(layout)
    for face, family in FAMILIES.items():
        if family in needed:  # each face's subset is embedded: only those the page uses
            _add_face(pdf, family, found[face])
    if not _covered(layout, [(family, found[face]) for face, family in FAMILIES.items() if family in needed]):
        # a character outside the faces: the fallbacks join (each costs its subset in every such PDF)
        _add_face(pdf, RARE, FONTS / "DroidSansFallback.ttf")
        _add_face(pdf, LATIN, FONTS / "DejaVuSerif.ttf")
        pdf.set_fallback_fonts([RARE, LATIN], exact_match=False)
    pdf.set_title(layout.title)
    pdf.add_page()
    _head(pdf, layout)
    _main(pdf, layout)
    _record(pdf, layout)
    with _OUTPUT:  # the faces' shared tables are read by one output at a time
        out = bytes(pdf.output())
    stand_ins = _drawn_from_fallbacks(pdf)
    if stand_ins:
        log.warning(
            "characters outside the GB/T 9704 faces drawn from the fallback fonts",
            characters=stand_ins,
            title=layout.title,
        )
    return out


# ---- faces parsed once per process -------------------------------------------------------------
# fpdf2's add_font parses a whole face (cmap and the width of every glyph) on every document, and its
# output subsets the face with fontTools, layout tables and all. Per process, each face is read once:
# its tables the page never uses dropped (LEAN_DROPS: OpenType layout, vertical metrics; the renderer
# does no shaping and writes horizontally), and its metrics parsed; each document gets a copy with its
# own subset and its own fontTools object opened lazily from the kept bytes (the output subsets that
# object in place, so it is never shared).

LEAN_DROPS = ("BASE", "GDEF", "GPOS", "GSUB", "JSTF", "MATH", "kern", "vhea", "vmtx", "VORG", "FFTM")
# Drawn by the renderer itself whatever the layout says (labels, dates, page numbers).
FIXED_TEXT = "签发人：附件：抄送：，。印发年月日—0123456789、.\u3000"

_PARSED: dict[tuple[str, str], tuple[TTFFont, ttLib.TTFont]] = {}
_COVERAGE: dict[str, frozenset[int]] = {}
_PARSING = threading.Lock()
_OUTPUT = threading.Lock()


def _lean(path: Path) -> tuple[bytes, ttLib.TTFont]:
    """The face without the tables the page never uses: as a file, and with every table read."""
    font = ttLib.TTFont(str(path), recalcTimestamp=False, lazy=False)
    for tag in LEAN_DROPS:
        if tag in font:
            del font[tag]
    out = io.BytesIO()
    font.save(out)
    # recalcBBoxes off: a subset's glyphs are written back as read, never decoded and re-encoded
    # (the glyphs are shared by every document's copy: nothing may change them)
    font = ttLib.TTFont(io.BytesIO(out.getvalue()), recalcTimestamp=False, recalcBBoxes=False)
    for tag in font.keys():
        font[tag]  # noqa: B018 - read (decompile) every table now, once
    font.getGlyphOrder()
    return out.getvalue(), font


def _for_one_document(face: ttLib.TTFont) -> ttLib.TTFont:
    """A copy the output may subset: fontTools' subsetter replaces a table's glyph-indexed members
    (metrics, glyphs, glyph order, a cmap subtable's map) rather than changing them in place, so each
    table and cmap subtable is copied, and their contents shared. Only for faces of simple glyphs (the
    converted Fandol faces): the subsetter renumbers a composite glyph's components in place."""
    font = copy.copy(face)
    font.tables = {tag: copy.copy(table) for tag, table in face.tables.items()}
    if "cmap" in font.tables:
        font.tables["cmap"].tables = [copy.copy(subtable) for subtable in face["cmap"].tables]
    return font


def _parsed(family: str, path: Path) -> tuple[TTFFont, ttLib.TTFont]:
    key = (str(path), family)
    with _PARSING:  # the documents service renders in worker threads
        if key not in _PARSED:
            data, face = _lean(path)
            parsed = TTFFont(FPDF(), io.BytesIO(data), family, "")
            _COVERAGE.setdefault(str(path), frozenset(parsed.cmap))
            parsed.ttfont = None  # each document gets its own copy (below); the metrics are what is kept
            _PARSED[key] = (parsed, face)
        return _PARSED[key]


def _covered(layout: Layout, faces_used: list[tuple[str, Path]]) -> bool:
    """Whether every character the page may draw is in every face it uses (no fallback needed)."""
    text = "".join(
        [
            layout.issuer_mark,
            layout.document_number,
            layout.title,
            layout.body,
            layout.signature,
            layout.printed_by,
            layout.urgency,
            FIXED_TEXT,
            *layout.main_receivers,
            *layout.attachments,
            *layout.copies,
            *layout.signer_names,
        ]
    )
    wanted = {ord(c) for c in text if not c.isspace() or c == "\u3000"}
    for family, path in faces_used:
        _parsed(family, path)
        if not wanted <= _COVERAGE[str(path)]:
            return False
    return True


def _add_face(pdf: FPDF, family: str, path: Path) -> None:
    """pdf.add_font(family, fname=path), from the face parsed once per process."""
    if family in (RARE, LATIN):  # composite glyphs: a fresh copy of the file for each document
        pdf.add_font(family, fname=str(path))
        return
    parsed, face = _parsed(family, path)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttffile = path
    font.ttfont = _for_one_document(face)
    font._hbfont = None
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font.subset = SubsetMap(font)
    pdf.fonts[family] = font


def families_of(layout: Layout) -> set[str]:
    """The faces a layout's page uses: 小标宋, 仿宋 and 宋体 (page numbers) always, 黑体 and 楷体 if needed."""
    families = {XIAOBIAOSONG, FANGSONG, SONGTI}
    if layout.urgency:
        families.add(HEITI)
    if layout.upward:  # 签发人 names
        families.add(KAITI)
    for paragraph in layout.body.splitlines():
        families.update(family for family, _ in runs_of(paragraph.strip()))
    return families


def _drawn_from_fallbacks(pdf: FPDF) -> str:
    used = []
    for family in (RARE, LATIN):
        if family not in pdf.fonts:  # the faces had every character: no fallback was added
            continue
        for glyph, _ in pdf.fonts[family].subset.items():
            # the subset always holds .notdef and the space: not drawn by choice
            if glyph is not None and glyph.unicode and glyph.unicode[0] not in (0x00, 0x20):
                used.append("".join(map(chr, glyph.unicode)))
    return "".join(used)


def _head(pdf: FPDF, layout: Layout) -> None:
    """版头: urgency, the red issuer's mark, the number (and 签发人), the red line."""
    pdf.set_text_color(0, 0, 0)
    if layout.urgency:
        pdf.set_font(HEITI, size=SIZE_3)  # 紧急程度: 3号黑体
        pdf.set_xy(LEFT, TOP)
        pdf.cell(TEXT_W, LINE, layout.urgency)
    mark_top = TOP + (80 if layout.upward else 35)
    pdf.set_xy(LEFT, mark_top)
    pdf.set_font(XIAOBIAOSONG, size=36)
    pdf.set_text_color(*RED)
    pdf.cell(TEXT_W, 16, layout.issuer_mark, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FANGSONG, size=SIZE_3)
    number_y = mark_top + 16 + 2 * LINE  # two blank lines under the mark
    if layout.upward:
        pdf.set_xy(LEFT + CHAR_3, number_y)
        pdf.cell(TEXT_W / 2, LINE, layout.document_number)
        _signers(pdf, layout.signer_names, number_y)
    else:
        pdf.set_xy(LEFT, number_y)
        pdf.cell(TEXT_W, LINE, layout.document_number, align="C")
    line_y = number_y + LINE + 4  # the red line, 4 mm below the number
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.5)
    pdf.line(LEFT, line_y, LEFT + TEXT_W, line_y)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(line_y + LINE)  # one blank line before the title


def _signers(pdf: FPDF, names: list[str], y: float) -> None:
    """签发人: the label in 3号仿宋, the names in 3号楷体, one character in from the right edge."""
    label, signed = "签发人：", "  ".join(names)
    pdf.set_font(KAITI, size=SIZE_3)
    names_w = pdf.get_string_width(signed)
    pdf.set_font(FANGSONG, size=SIZE_3)
    label_w = pdf.get_string_width(label)
    pdf.set_xy(LEFT + TEXT_W - CHAR_3 - names_w - label_w, y)
    pdf.cell(label_w, LINE, label)
    pdf.set_font(KAITI, size=SIZE_3)
    pdf.cell(names_w, LINE, signed)
    pdf.set_font(FANGSONG, size=SIZE_3)


def _main(pdf: FPDF, layout: Layout) -> None:
    """主体: title, main receivers, text, attachment note, signature and date."""
    pdf.set_font(XIAOBIAOSONG, size=SIZE_2)
    pdf.multi_cell(
        TEXT_W, SIZE_2 * PT * 1.6, layout.title, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(LINE)
    pdf.set_font(FANGSONG, size=SIZE_3)
    pdf.set_char_spacing(GRID_SPACING)
    if layout.main_receivers:
        _flow(pdf, [(FANGSONG, "、".join(layout.main_receivers) + "：")])
    for paragraph in [p.strip() for p in layout.body.splitlines() if p.strip()]:
        _paragraph(pdf, paragraph)
    pdf.set_font(FANGSONG, size=SIZE_3)
    if layout.attachments:
        pdf.ln(LINE)
        for i, name in enumerate(layout.attachments, 1):
            label = "附件：" if i == 1 else "\u3000\u3000\u3000"
            numbered = f"{i}. {name}" if len(layout.attachments) > 1 else name
            _flow(pdf, [(FANGSONG, "\u3000\u3000" + label + numbered)])
    pdf.ln(LINE * 2)
    # 成文日期 4 characters from the right; 署名 centred over it (GB/T 9704 7.3.5.2)
    written = chinese_date(layout.written_on)
    date_right = TEXT_W - 4 * CHAR_3
    centre = date_right - pdf.get_string_width(written) / 2
    half = min(centre, TEXT_W - centre)
    if pdf.get_string_width(layout.signature) <= 2 * half:
        pdf.set_x(LEFT + centre - half)
        pdf.cell(2 * half, LINE, layout.signature, align="C", new_x="LMARGIN", new_y="NEXT")
    else:  # a name longer than the room around the date: flush with it on the right
        pdf.cell(date_right, LINE, layout.signature, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(date_right, LINE, written, align="R", new_x="LMARGIN", new_y="NEXT")


def runs_of(paragraph: str) -> list[tuple[str, str]]:
    """A paragraph of the text as (family, text) runs: a heading numbered 一、 in 黑体 and one numbered
    （一） in 楷体, up to its first full stop when text follows it in the same paragraph; the rest 仿宋."""
    for level, family in ((FIRST_LEVEL, HEITI), (SECOND_LEVEL, KAITI)):
        if level.match(paragraph):
            stop = paragraph.find("。")
            if stop == -1 or stop == len(paragraph) - 1:
                return [(family, paragraph)]
            return [(family, paragraph[: stop + 1]), (FANGSONG, paragraph[stop + 1 :])]
    return [(FANGSONG, paragraph)]


def _paragraph(pdf: FPDF, paragraph: str) -> None:
    """One paragraph of the text, 2 characters indented, in runs of faces on the grid."""
    (family, text), *rest = runs_of(paragraph)
    _flow(pdf, [(family, "\u3000\u3000" + text), *rest])


def _flow(pdf: FPDF, runs: list[tuple[str, str]], size: int = SIZE_3) -> None:
    """Lines of the 版心's width, broken between any two characters, but never with a closing mark at
    the start of a line nor an opening one at its end (避头尾): the character before moves down."""
    chars = [(family, char) for family, text in runs for char in text]
    widths: dict[tuple[str, str], float] = {}
    for family, char in set(chars):
        pdf.set_font(family, size=size)
        widths[family, char] = pdf.get_string_width(char)  # with the character spacing after it
    advances = [widths[fc] for fc in chars]
    spacing = pdf.char_spacing * PT
    start = 0
    while start < len(chars):
        end, width = start, -spacing  # no spacing after a line's last character
        while end < len(chars) and width + advances[end] <= TEXT_W + 1e-6:
            width += advances[end]
            end += 1
        end = max(end, start + 1)
        while start + 1 < end < len(chars) and (
            chars[end][1] in NO_LINE_START or chars[end - 1][1] in NO_LINE_END
        ):
            end -= 1
        # a line cut short by 避头尾 (or by wider Latin letters) is spread to the right edge, as the
        # grid has it; the paragraph's last line stays left-aligned
        room = TEXT_W - (sum(advances[start:end]) - spacing)
        spread = room / (end - start - 1) if end < len(chars) and end - start > 1 else 0.0
        _line(pdf, chars[start:end], size, spread)
        start = end


def _line(pdf: FPDF, chars: list[tuple[str, str]], size: int, spread: float = 0.0) -> None:
    """One line from the left edge, a cell per run of one face (the automatic page break comes first);
    `spread` mm more between characters."""
    spacing = pdf.char_spacing
    if spread > 0:  # points, rounded down as the PDF is written with two decimals
        pdf.set_char_spacing(spacing + math.floor(spread / PT * 100) / 100)
    pdf.set_x(LEFT)
    for family, group in itertools.groupby(chars, key=lambda fc: fc[0]):
        text = "".join(char for _, char in group)
        pdf.set_font(family, size=size)
        pdf.cell(pdf.get_string_width(text), LINE, text)
    pdf.ln(LINE)
    pdf.set_char_spacing(spacing)


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
    pdf.set_char_spacing(0)
    pdf.set_font(FANGSONG, size=SIZE_4)
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
