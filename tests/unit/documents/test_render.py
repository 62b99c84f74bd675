"""GB/T 9704-2012 rendering: the elements of the layout are on the page, on A4, each in its face and size.

The layout library is shared/gbt9704 (documents and disclosure use it); `layout_of` is the documents
service's page of an issued document. Needs the converted Fandol fonts (shared/gbt9704/typefaces.py;
.ci/run installs them)."""

import io
from datetime import date

import pytest
from pypdf import PdfReader
from structlog.testing import capture_logs

from services.documents.layout import layout_of
from shared.gbt9704 import render, typefaces
from shared.gbt9704.render import Layout, render_pdf, runs_of
from shared.errors import RuleViolation
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb

SIZE_2, SIZE_3, SIZE_4 = 22, 16, 14  # 2号, 3号, 4号 in points
XIAOBIAOSONG, FANGSONG, HEITI, KAITI, SONGTI = (
    f.pdf_name
    for f in (typefaces.XIAOBIAOSONG, typefaces.FANGSONG, typefaces.HEITI, typefaces.KAITI, typefaces.SONGTI)
)

A4_POINTS = (595.28, 841.89)


def text_of(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    # lines wrap where the page ends them: compare without the line breaks
    return reader, "".join(page.extract_text().replace("\n", "") for page in reader.pages)


def runs(pdf: bytes) -> list[tuple[str, float, str]]:
    """The text as the page draws it: (font as embedded, size in points, text), neighbours in the same
    font and size joined, line breaks left out."""
    out: list[tuple[str, float, str]] = []

    def visit(text, cm, tm, font, size):
        if not text.strip() or font is None:
            return
        name = str(font["/BaseFont"]).split("+", 1)[-1]
        text = text.replace("\n", "")
        if out and out[-1][:2] == (name, size):
            out[-1] = (name, size, out[-1][2] + text)
        else:
            out.append((name, size, text))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return out


def set_in(pdf_runs, text: str) -> set[tuple[str, float]]:
    """The fonts and sizes of the runs that hold `text` whole."""
    return {(font, size) for font, size, run in pdf_runs if text in run}


def layout(**overrides) -> Layout:
    values = dict(
        issuer_mark="资阳市人民政府文件",
        document_number="资府发〔2026〕13号",
        title="资阳市人民政府关于加强城市供水管理的通知",
        body="现将有关事项通知如下。\n一、……",
        signature="资阳市人民政府",
        written_on=date(2026, 11, 26),
        main_receivers=["各县（区）人民政府", "市政府各部门"],
        attachments=["资阳市城市供水管理办法"],
        copies=["市委办公室", "市人大常委会办公室"],
        printed_on=date(2026, 11, 27),
        urgency="特急",
    )
    values.update(overrides)
    return Layout(**values)


def test_issued_document_renders_every_element_of_the_layout_on_a4():
    reader, text = text_of(render_pdf(layout()))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    for element in (
        "特急",
        "资阳市人民政府文件",
        "资府发〔2026〕13号",
        "关于加强城市供水管理的通知",
        "各县（区）人民政府、市政府各部门：",
        "现将有关事项通知如下。",
        "附件：资阳市城市供水管理办法",
        "资阳市人民政府",
        "2026年11月26日",
        "抄送：市委办公室，市人大常委会办公室。",
        "资阳市人民政府办公室",
        "2026年11月27日印发",
        "— 1 —",
    ):
        assert element in text, element
    assert "签发人" not in text  # a document to lower bodies shows no signer
    assert "印发" in reader.pages[-1].extract_text()  # the record (版记) closes the last page


def test_document_to_a_higher_body_shows_its_signers_and_long_text_runs_onto_more_pages():
    reader, text = text_of(render_pdf(layout(signer_names=["王建国"], upward=True, body="正文。" * 600)))
    assert "签发人：王建国" in text
    assert len(reader.pages) >= 3
    assert "— 2 —" in text and "印发" in reader.pages[-1].extract_text()
    assert "印发" not in reader.pages[0].extract_text()  # the record is on the last page only


def test_layout_of_an_issued_request_to_the_province():
    document = pb.Document(
        document_number="资府〔2026〕4号",
        issued_on=common_pb2.Date(year=2026, month=11, day=27),
        content=pb.DocumentContent(
            kind=pb.DOCUMENT_KIND_REQUEST,
            title="关于请求支持某项目的请示",
            issuer_code="资府",
            authority=pb.SIGN_OFF_AUTHORITY_TO_PROVINCIAL_GOVERNMENT,
            main_receivers=[pb.Body(name="四川省人民政府")],
        ),
        sign_offs=[
            pb.SignOff(
                signer_name="王建国",
                meaning=pb.SIGN_OFF_MEANING_OPINION,
                signed_on=common_pb2.Date(year=2026, month=11, day=26),
            )
        ],
    )
    page = layout_of(document)
    assert (page.issuer_mark, page.signature, page.upward, page.signer_names) == (
        "资阳市人民政府文件",
        "资阳市人民政府",
        True,
        ["王建国"],
    )
    assert page.written_on == date(2026, 11, 26) and page.printed_on == date(2026, 11, 27)


def test_GBT9704_each_element_is_set_in_its_face_and_size():
    """发文机关标志 and 标题 小标宋, 紧急程度 黑体, 发文字号, 主送, 正文, 附件说明, 署名, 成文日期 3号仿宋, 版记 4号仿宋,
    页码 4号宋体; digits in the face of the text around them."""
    body = "现将有关事项通知如下。\n一、总体要求\n（一）明确责任。各部门要在2026年12月31日前完成自查。\n1. 第三层仍用仿宋。"
    pdf_runs = runs(render_pdf(layout(body=body)))
    expected = {
        "资阳市人民政府文件": {(XIAOBIAOSONG, 36)},
        "关于加强城市供水管理的通知": {(XIAOBIAOSONG, SIZE_2)},
        "特急": {(HEITI, SIZE_3)},
        "资府发〔2026〕13号": {(FANGSONG, SIZE_3)},
        "各县（区）人民政府、市政府各部门：": {(FANGSONG, SIZE_3)},
        "现将有关事项通知如下。": {(FANGSONG, SIZE_3)},
        "一、总体要求": {(HEITI, SIZE_3)},
        "（一）明确责任。": {(KAITI, SIZE_3)},
        "各部门要在2026年12月31日前完成自查。": {(FANGSONG, SIZE_3)},
        "1. 第三层仍用仿宋。": {(FANGSONG, SIZE_3)},
        "附件：资阳市城市供水管理办法": {(FANGSONG, SIZE_3)},
        "2026年11月26日": {(FANGSONG, SIZE_3)},
        "抄送：市委办公室，市人大常委会办公室。": {(FANGSONG, SIZE_4)},
        "2026年11月27日印发": {(FANGSONG, SIZE_4)},
        "— 1 —": {(SONGTI, SIZE_4)},
    }
    for element, faces in expected.items():
        assert set_in(pdf_runs, element) == faces, (element, set_in(pdf_runs, element))
    # nothing drawn from the fallback fonts: every character of these is in the standard's faces
    assert {font for font, _, _ in pdf_runs} == {XIAOBIAOSONG, FANGSONG, HEITI, KAITI, SONGTI}


def test_GBT9704_signer_label_in_fangsong_and_names_in_kaiti():
    pdf = render_pdf(layout(signer_names=["王建国", "李明"], upward=True))
    pdf_runs = runs(pdf)
    assert set_in(pdf_runs, "签发人：") == {(FANGSONG, SIZE_3)}
    assert set_in(pdf_runs, "王建国  李明") == {(KAITI, SIZE_3)}
    assert set_in(pdf_runs, "资府发〔2026〕13号") == {(FANGSONG, SIZE_3)}


def test_headings_of_the_first_two_levels_take_their_faces_up_to_the_first_full_stop():
    assert runs_of("一、总体要求") == [(render.HEITI, "一、总体要求")]
    assert runs_of("十二、其他。") == [(render.HEITI, "十二、其他。")]
    assert runs_of("（三）压实责任。各部门要落实。") == [
        (render.KAITI, "（三）压实责任。"),
        (render.FANGSONG, "各部门要落实。"),
    ]
    assert runs_of("（1）第四层。") == [(render.FANGSONG, "（1）第四层。")]
    assert runs_of("一是加强领导。") == [(render.FANGSONG, "一是加强领导。")]


def test_a_character_outside_the_faces_is_drawn_from_the_fallback_and_logged():
    # 堃 is not in GB 2312, so not in the Fandol faces: Droid Sans Fallback draws it, and the log says so
    with capture_logs() as logs:
        pdf_runs = runs(render_pdf(layout(main_receivers=["王堃同志"])))
    assert ("DroidSansFallback", SIZE_3, "堃") in pdf_runs
    assert [entry["characters"] for entry in logs if entry["log_level"] == "warning"] == ["堃"]


def test_faces_are_parsed_once_and_each_document_embeds_its_own_subset():
    """The second document of a process reuses the parsed faces; what one document drew is not in the
    next one's subsets (each subsets its own copy), and a page needing no fallback embeds none."""
    first = render_pdf(layout(title="关于加强城市供水管理的通知"))
    parsed = dict(render._PARSED)
    second = render_pdf(layout(title="关于做好防汛抗旱工作的通知", main_receivers=["王堃同志"]))
    third = render_pdf(layout(title="关于加强城市供水管理的通知"))
    assert render._PARSED == parsed  # nothing parsed again
    assert "防汛抗旱" in text_of(second)[1] and "防汛" not in text_of(third)[1]
    assert first.count(b"FontFile2") == third.count(b"FontFile2") == len(render.families_of(layout()))
    assert b"DroidSansFallback" in second and b"DroidSansFallback" not in first + third
    assert set_in(runs(third), "供水管理") == set_in(runs(first), "供水管理")


def test_GBT9704_fonts_missing_name_the_package_and_the_command(monkeypatch, tmp_path):
    monkeypatch.setenv("ZGOV_FONT_DIR", str(tmp_path))
    with pytest.raises(RuleViolation) as missing:
        render_pdf(layout())
    assert missing.value.rule_id == "GBT9704.fonts"
    assert "texlive-lang-chinese" in missing.value.message
    assert "python -m shared.gbt9704.typefaces" in missing.value.message
    assert "仿宋 (FandolFang-Regular.ttf)" in missing.value.message


def test_only_the_faces_a_page_uses_are_loaded():
    plain = layout(urgency="", body="现将有关事项通知如下。")
    assert render.families_of(plain) == {render.XIAOBIAOSONG, render.FANGSONG, render.SONGTI}
    full = layout(upward=True, signer_names=["王建国"], body="一、总体要求\n（一）明确责任。")
    assert render.families_of(full) == {
        render.XIAOBIAOSONG,
        render.FANGSONG,
        render.SONGTI,
        render.HEITI,
        render.KAITI,
    }
    # an upward document without signers yet still renders (the 签发人 label is drawn)
    assert "签发人" in text_of(render_pdf(layout(upward=True, urgency="", body="正文。")))[1]


def test_GBT9704_text_lines_hold_28_characters():
    """每行28个字: after the 2-character indent 26, then 28 a line; the page numbers are not squeezed."""
    reader = PdfReader(io.BytesIO(render_pdf(layout(body="甲" * 26 + "乙" * 28 + "丙" * 3 + "\n丁" * 500))))
    lines = reader.pages[0].extract_text().splitlines()
    assert "\u3000\u3000" + "甲" * 26 in lines and "乙" * 28 in lines and "丙" * 3 in lines
    later = reader.pages[1].extract_text().splitlines()
    assert "— 2 —" in later and "\u3000\u3000丁" in later


async def test_GBT9704_fonts_missing_are_said_when_the_service_starts(monkeypatch, tmp_path):
    """The service still starts (drafting, signing and issuing need no fonts) and logs what to install."""
    from services.documents.__main__ import build
    from services.documents.config import DocumentsSettings

    monkeypatch.setenv("ZGOV_FONT_DIR", str(tmp_path))
    settings = DocumentsSettings(
        database_url="postgresql+asyncpg://u:p@127.0.0.1:1/none",
        nats_url="nats://127.0.0.1:1",
        keycloak_url="http://127.0.0.1:1",
        grpc_port=0,
    )
    with capture_logs() as logs:
        build(settings)
    (error,) = [entry for entry in logs if entry["log_level"] == "error"]
    assert "texlive-lang-chinese" in error["reason"] and "shared.gbt9704.typefaces" in error["reason"]


def test_GBT9704_no_closing_mark_starts_a_line_and_no_opening_one_ends_it():
    """避头尾: the 28th place of a line falls on a comma, or an opening bracket: the character before
    moves down with it."""
    comma = "甲" * 26 + "乙" * 28 + "，丙丙"  # the comma would start the third line
    bracket = "丁" * 25 + "（戊）"  # the bracket would end the first line
    reader = PdfReader(io.BytesIO(render_pdf(layout(body=f"{comma}\n{bracket}"))))
    lines = reader.pages[0].extract_text().splitlines()
    assert "乙" * 27 in lines and "乙，丙丙" in lines
    assert "\u3000\u3000" + "丁" * 25 in lines and "（戊）" in lines
    assert not [line for line in lines if line[:1] in "，。、；：）"]


def test_a_line_cut_short_by_the_marks_rule_still_reaches_the_right_edge():
    """The 27 characters left on a line when a comma moves down are spread over the 版心's 156 mm."""
    pdf = render_pdf(layout(body="甲" * 26 + "乙" * 28 + "，丙丙"))
    spacing = {"Tc": 0.0}
    spacing_of: dict[str, float] = {}

    def operand(op, args, cm, tm):
        if op == b"Tc":
            spacing["Tc"] = float(args[0])

    def text(chunk, cm, tm, font, size):
        if chunk.strip():
            spacing_of[chunk.strip()] = spacing["Tc"]

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_operand_before=operand, visitor_text=text)
    tc = spacing_of["乙" * 27]
    width_mm = (27 * (SIZE_3 + tc) - tc) * 25.4 / 72
    assert 155.8 <= width_mm <= 156.0, width_mm
    assert spacing_of["乙，丙丙"] == -0.22  # a paragraph's last line keeps the grid's spacing
