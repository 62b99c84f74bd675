"""The documents service's GB/T 9704 renderer: seconds per PDF and its size, by what the page uses.

Faces are parsed once per process (shared.gbt9704.render keeps them); each PDF embeds the subsets
of the faces it uses: a plain notice (小标宋, 仿宋, 宋体), one with 一、/（一） headings and an urgency
mark (黑体, 楷体 as well), and a long one (pages counted). Real fonts, no server.

Issue 17's row: the one-page notice after the first render in the process, < 0.1 s, beside the
renderer's own floor: the same page drawn with the same code in a core PDF font (nothing parsed,
nothing embedded; each character replaced by a Latin letter of the grid).

    python -m tests.bench render
"""

from __future__ import annotations

import io
import time
from datetime import date
from unittest import mock

from pypdf import PdfReader

from shared.gbt9704 import Layout, render_pdf
from shared.gbt9704 import render as renderer

TITLE = "documents: GB/T 9704 rendering (seconds per PDF)"
ROUNDS = 3
GOAL = 0.1  # s per one-page notice after the first (issue 17)


def layout(**overrides) -> Layout:
    values = dict(
        issuer_mark="资阳市人民政府文件",
        document_number="资府发〔2026〕13号",
        title="资阳市人民政府关于加强城市供水管理的通知",
        body="现将有关事项通知如下。",
        signature="资阳市人民政府",
        written_on=date(2026, 11, 26),
        main_receivers=["各县（区）人民政府", "市政府各部门"],
        copies=["市委办公室"],
    )
    values.update(overrides)
    return Layout(**values)


CASES = {
    "plain notice (3 faces)": layout(),
    "headings and urgency (5 faces)": layout(
        urgency="特急", body="一、总体要求\n（一）明确责任。各部门要落实。\n二、保障措施"
    ),
    "long text (3 faces)": layout(body="\n".join(["各县（区）要加强城市供水管理，确保水质达标。" * 6] * 24)),
}


class _CoreFontPdf(renderer._Pdf):
    """Every character outside Latin-1 drawn as an x: one glyph of the core font for each."""

    def normalize_text(self, text: str) -> str:
        return super().normalize_text("".join(c if ord(c) < 256 else "x" for c in text))


def without_fonts(page: Layout) -> bytes:
    """The same page through the same layout code, in the core font Times: the renderer's floor."""
    families = ("XIAOBIAOSONG", "FANGSONG", "HEITI", "KAITI", "SONGTI")
    with mock.patch.multiple(renderer, **{name: "times" for name in families}):
        pdf = _CoreFontPdf(orientation="P", unit="mm", format="A4")
        pdf.c_margin = 0
        pdf.set_margins(renderer.LEFT, renderer.TOP, renderer.RIGHT)
        pdf.set_auto_page_break(True, margin=renderer.BOTTOM)
        pdf.add_page()
        renderer._head(pdf, page)
        renderer._main(pdf, page)
        renderer._record(pdf, page)
        return bytes(pdf.output())


def seconds_per(render, page, rounds: int = ROUNDS) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        render(page)
    return (time.perf_counter() - started) / rounds


def run() -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    notice = CASES["plain notice (3 faces)"]
    started = time.perf_counter()
    render_pdf(notice)  # the first in this process: parses the faces
    first = time.perf_counter() - started
    without_fonts(notice)
    after = seconds_per(render_pdf, notice, 10)
    floor = seconds_per(without_fonts, notice, 10)
    rows.append(("one-page notice, the first in the process (faces parsed)", f"{first:.2f} s"))
    rows.append(
        (
            "one-page notice, after the first",
            f"{after:.3f} s",
            f"< {GOAL} s",
            f"floor {floor:.3f} s without fonts ({after / floor:.1f}×)",
        )
    )
    for name, page in CASES.items():
        pdf = render_pdf(page)
        rows.append((f"{name}: s per PDF", f"{seconds_per(render_pdf, page):.3f}"))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        rows.append((f"{name}: pages, KB", f"{pages}, {len(pdf) / 1024:.0f}"))
    return rows
