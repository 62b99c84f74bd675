"""Files attached to an online petition on the portal, against the real petitions and org services,
Keycloak, PostgreSQL and NATS: upload (multipart, no JavaScript), the limits before the bytes reach
the backend, names on the follow-by-code and own-case pages, and downloads by the petitioner only
(A71)."""

from __future__ import annotations

import re

import httpx
import pytest

from services.portal import uploads
from services.portal.app import create_app
from tests.integration.portal.conftest import PUBLIC_URL, csrf_of, log_in, portal_settings, receipt_of
from tests.integration.portal.test_portal_petitions import CODE, PETITION, UUID

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(48))
NOTE = "路灯报修记录：2025年7月、8月各一次。".encode()


async def file_with(client: httpx.AsyncClient, files: list[tuple], **changes) -> httpx.Response:
    shown = await client.get("/petitions/new")
    answer = await client.post(
        "/petitions/new", data={"csrf": csrf_of(shown.text), **PETITION, **changes}, files=files
    )
    return await receipt_of(client, answer)


async def follow(client: httpx.AsyncClient, code: str) -> httpx.Response:
    shown = await client.get("/petitions/follow")
    return await client.post("/petitions/follow", data={"csrf": csrf_of(shown.text), "query_code": code})


@pytest.fixture
async def roomy_portal(keycloak, backends):
    """The portal with room for more look-ups by code than the default 5 at once (each download by code
    counts as a look-up, like following)."""
    app = create_app(portal_settings(keycloak, backends, write_burst=20))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


async def test_A71_visitor_attaches_files_sees_their_names_by_query_code_and_downloads_them(roomy_portal):
    portal = roomy_portal
    filed = await file_with(
        portal,
        [
            ("attachments", ("路灯照片.png", PNG, "image/png")),
            ("attachments", ("报修记录.txt", NOTE, "text/plain")),
        ],
    )
    assert filed.status_code == 200, filed.text
    assert "路灯照片.png" in filed.text
    code = CODE.search(filed.text).group(1)

    followed = await follow(portal, code)
    assert followed.status_code == 200
    assert "路灯照片.png" in followed.text and "报修记录.txt" in followed.text
    assert not UUID.search(followed.text)  # files are numbered, no internal id

    csrf = csrf_of(followed.text)
    got = await portal.post("/petitions/follow/attachment", data={"csrf": csrf, "query_code": code, "n": "2"})
    assert got.status_code == 200 and got.content == NOTE
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5" in got.headers["content-disposition"]
    assert got.headers["cache-control"] == "no-store"
    wrong = await portal.post(
        "/petitions/follow/attachment", data={"csrf": csrf, "query_code": "AAAA-BBBB-CCCC-DDDD", "n": "1"}
    )
    assert wrong.status_code == 404
    assert (
        await portal.post("/petitions/follow/attachment", data={"csrf": csrf, "query_code": code, "n": "3"})
    ).status_code == 404

    # The JSON API: the names with the case, a file by the code and its number.
    case = (await portal.post("/api/petitions/follow", json={"query_code": code})).json()
    assert [(a["n"], a["file_name"]) for a in case["attachments"]] == [
        (1, "路灯照片.png"),
        (2, "报修记录.txt"),
    ]
    first = await portal.post("/api/petitions/follow/attachment", json={"query_code": code, "n": 1})
    assert first.status_code == 200 and first.content == PNG
    assert (
        await portal.post("/api/petitions/follow/attachment", json={"query_code": code, "n": 5})
    ).status_code == 404


async def test_an_oversized_upload_is_refused_before_it_reaches_the_backend_with_a_chinese_message(portal):
    shown = await portal.get("/petitions/new")
    boundary = "zgovboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf_of(shown.text)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="big.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF-"
        + bytes(uploads.MAX_BODY_BYTES)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    refused = await portal.post("/petitions/new", content=body, headers=headers)
    assert refused.status_code == 413
    assert "附件总大小不能超过 20 MB" in refused.text and 'id="attachments-error"' in refused.text

    # Without a Content-Length (chunked), counted as it arrives.
    async def chunks():
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    streamed = await portal.post("/petitions/new", content=chunks(), headers=headers)
    assert streamed.status_code == 413 and "附件总大小不能超过" in streamed.text
    assert not CODE.search(streamed.text)


async def test_a_file_of_a_type_not_taken_or_whose_bytes_are_not_its_type_gets_a_precise_message(portal):
    exe = await file_with(portal, [("attachments", ("setup.exe", b"MZ\x90\x00", "application/x-msdownload"))])
    assert exe.status_code == 422 and "附件“setup.exe”的格式不能受理" in exe.text
    assert not CODE.search(exe.text) and "如需附件，请重新选择" in exe.text
    # Named and typed as a picture, but not one: the petitions service checks the bytes.
    fake = await file_with(portal, [("attachments", ("照片.png", b"MZ\x90\x00\x03\x00", "image/png"))])
    assert fake.status_code == 422 and "附件“照片.png”未被受理" in fake.text and not CODE.search(fake.text)
    empty = await file_with(portal, [("attachments", ("空.pdf", b"", "application/pdf"))])
    assert empty.status_code == 422 and "空文件" in empty.text
    # No file chosen: the browser sends one empty nameless part; the petition is filed without files.
    none = await file_with(portal, [("attachments", ("", b"", "application/octet-stream"))])
    assert none.status_code == 200 and CODE.search(none.text)


async def test_A71_citizen_downloads_own_files_from_my_cases_and_nobody_else_can(portal, keycloak, backends):
    await log_in(portal, keycloak, "citizen", "/petitions/mine")
    filed = await file_with(
        portal, [("attachments", ("我的照片.png", PNG, "image/png"))], title="我的路灯照片"
    )
    assert filed.status_code == 200, filed.text
    mine = await portal.get("/petitions/mine")
    number = re.search(r'href="/petitions/mine/([^"]+)"', mine.text).group(1)
    own = await portal.get(f"/petitions/mine/{number}")
    assert "我的照片.png" in own.text
    link = re.search(r'href="(/petitions/mine/[^"]+/attachments/1)"', own.text).group(1)
    got = await portal.get(link)
    assert got.status_code == 200 and got.content == PNG

    # Another visitor: asked to log in; logged in as someone else: not found among his cases.
    app = create_app(portal_settings(keycloak, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as other:
            assert (await other.get(link)).status_code == 401
            await log_in(other, keycloak, "office-staff", "/petitions/mine")
            assert (await other.get(link)).status_code == 404


async def test_A71_json_api_files_a_petition_with_base64_files_and_refuses_an_oversized_body(roomy_portal):
    import base64

    from services.portal import petitions_api

    portal = roomy_portal
    petition = {
        "category": "request",
        "title": PETITION["title"],
        "content": PETITION["content"],
        "name": PETITION["name"],
        "phone": PETITION["phone"],
    }
    filed = await portal.post(
        "/api/petitions",
        json={
            **petition,
            "attachments": [
                {
                    "file_name": "路灯照片.png",
                    "media_type": "image/png",
                    "content_base64": base64.b64encode(PNG).decode(),
                },
                {"file_name": "报修记录.txt", "content_base64": base64.b64encode(NOTE).decode()},
            ],
        },
    )
    assert filed.status_code == 201, filed.text
    answer = filed.json()
    assert [a["file_name"] for a in answer["attachments"]] == ["路灯照片.png", "报修记录.txt"]
    assert PETITION["name"] not in filed.text and not UUID.search(filed.text)
    got = await portal.post(
        "/api/petitions/follow/attachment", json={"query_code": answer["query_code"], "n": 2}
    )
    assert got.content == NOTE

    bad = await portal.post(
        "/api/petitions",
        json={
            **petition,
            "attachments": [
                {"file_name": "a.png", "content_base64": "!!!not base64"},
            ],
        },
    )
    assert bad.status_code == 422 and "attachments[0].content_base64" in bad.text
    fake = await portal.post(
        "/api/petitions",
        json={
            **petition,
            "attachments": [
                {
                    "file_name": "照片.png",
                    "media_type": "image/png",
                    "content_base64": base64.b64encode(b"MZ\x90\x00").decode(),
                }
            ],
        },
    )
    assert fake.status_code == 422 and "附件“照片.png”未被受理" in fake.text

    oversized = b'{"category": "request", "title": "' + b"x" * (petitions_api.MAX_JSON_BYTES + 1) + b'"}'
    refused = await portal.post(
        "/api/petitions", content=oversized, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413 and "附件总大小不能超过" in refused.json()["detail"]

    async def chunks():
        for start in range(0, len(oversized), 1024 * 1024):
            yield oversized[start : start + 1024 * 1024]

    streamed = await portal.post(
        "/api/petitions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
