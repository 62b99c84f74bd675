"""The documents service's GB/T 9704 renderer: seconds per PDF and its size, by what the page uses.

Each render parses the faces it needs (a few MB of TrueType each) and embeds their subsets, so the
figures show the cost of a face: a plain notice (小标宋, 仿宋, 宋体), one with 一、/（一） headings and
an urgency mark (黑体, 楷体 as well), and a long one (pages counted). Real fonts, no server.

    python -m tests.bench render
"""

from __future__ import annotations

import io
import time
from datetime import date

from pypdf import PdfReader

from shared.gbt9704 import Layout, render_pdf

TITLE = "documents: GB/T 9704 rendering (seconds per PDF)"
ROUNDS = 3


def layout(**overrides) -> Layout:
    values = dict(issuer_mark="资阳市人民政府文件", document_number="资府发〔2026〕13号",
                  title="资阳市人民政府关于加强城市供水管理的通知", body="现将有关事项通知如下。",
                  signature="资阳市人民政府", written_on=date(2026, 11, 26),
                  main_receivers=["各县（区）人民政府", "市政府各部门"], copies=["市委办公室"])
    values.update(overrides)
    return Layout(**values)


CASES = {
    "plain notice (3 faces)": layout(),
    "headings and urgency (5 faces)": layout(
        urgency="特急", body="一、总体要求\n（一）明确责任。各部门要落实。\n二、保障措施"),
    "long text (3 faces)": layout(body="\n".join(["各县（区）要加强城市供水管理，确保水质达标。" * 6] * 24)),
}


def run() -> list[tuple[str, str]]:
    rows = []
    for name, page in CASES.items():
        render_pdf(page)  # warm the imports and the file cache
        started = time.perf_counter()
        for _ in range(ROUNDS):
            pdf = render_pdf(page)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        rows.append((f"{name}: s per PDF", f"{(time.perf_counter() - started) / ROUNDS:.2f}"))
        rows.append((f"{name}: pages, KB", f"{pages}, {len(pdf) / 1024:.0f}"))
    return rows
