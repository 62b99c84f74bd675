"""GB/T 9704-2012 rendering: the elements of the layout are on the page, on A4."""

import io
from datetime import date

from pypdf import PdfReader

from services.documents.render import Layout, layout_of, render_pdf
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb

A4_POINTS = (595.28, 841.89)


def text_of(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    # lines wrap where the page ends them: compare without the line breaks
    return reader, "".join(page.extract_text().replace("\n", "") for page in reader.pages)


def layout(**overrides) -> Layout:
    values = dict(issuer_mark="资阳市人民政府文件", document_number="资府发〔2026〕13号",
                  title="资阳市人民政府关于加强城市供水管理的通知", body="现将有关事项通知如下。\n一、……",
                  signature="资阳市人民政府", written_on=date(2026, 11, 26),
                  main_receivers=["各县（区）人民政府", "市政府各部门"], attachments=["资阳市城市供水管理办法"],
                  copies=["市委办公室", "市人大常委会办公室"], printed_on=date(2026, 11, 27), urgency="特急")
    values.update(overrides)
    return Layout(**values)


def test_issued_document_renders_every_element_of_the_layout_on_a4():
    reader, text = text_of(render_pdf(layout()))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    for element in ("特急", "资阳市人民政府文件", "资府发〔2026〕13号", "关于加强城市供水管理的通知",
                    "各县（区）人民政府、市政府各部门：", "现将有关事项通知如下。", "附件：资阳市城市供水管理办法",
                    "资阳市人民政府", "2026年11月26日", "抄送：市委办公室，市人大常委会办公室。",
                    "资阳市人民政府办公室", "2026年11月27日印发", "— 1 —"):
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
        document_number="资府〔2026〕4号", issued_on=common_pb2.Date(year=2026, month=11, day=27),
        content=pb.DocumentContent(kind=pb.DOCUMENT_KIND_REQUEST, title="关于请求支持某项目的请示", issuer_code="资府",
                                   authority=pb.SIGN_OFF_AUTHORITY_TO_PROVINCIAL_GOVERNMENT,
                                   main_receivers=[pb.Body(name="四川省人民政府")]),
        sign_offs=[pb.SignOff(signer_name="王建国", meaning=pb.SIGN_OFF_MEANING_OPINION,
                              signed_on=common_pb2.Date(year=2026, month=11, day=26))],
    )
    page = layout_of(document)
    assert (page.issuer_mark, page.signature, page.upward, page.signer_names) == (
        "资阳市人民政府文件", "资阳市人民政府", True, ["王建国"])
    assert page.written_on == date(2026, 11, 26) and page.printed_on == date(2026, 11, 27)
