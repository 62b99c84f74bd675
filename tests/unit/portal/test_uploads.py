"""The portal's checks of attached files (pure: no servers)."""

from __future__ import annotations

import io

from starlette.datastructures import Headers, UploadFile

from services.portal import uploads


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> UploadFile:
    return UploadFile(io.BytesIO(content), filename=name, headers=Headers({"content-type": content_type}))


def test_file_names_lose_folders_and_control_characters():
    assert uploads.file_name("C:\\Users\\林\\照片.png") == "照片.png"
    assert uploads.file_name("../../etc/passwd") == "passwd"
    assert uploads.file_name("a\x00b\u202e.txt") == "ab.txt"


def test_media_type_is_the_browsers_when_taken_else_by_extension():
    """Now by the extension only: the browser's declared type no longer lets a script through."""
    assert uploads.media_type("a.png", "image/png") == "image/png"
    assert uploads.media_type("文件.ofd", "application/octet-stream") == "application/ofd"
    assert uploads.media_type("信.DOCX", "") == uploads.TYPES_BY_EXTENSION[".docx"]
    assert uploads.media_type("setup.exe", "application/x-msdownload") == ""
    assert uploads.media_type("noext", None) == ""


async def test_files_are_checked_with_chinese_messages():
    ok = await uploads.petition_files([upload("a.png", b"\x89PNG", "image/png"), upload("", b"")])
    assert not ok.error and [a.file_name for a in ok.attachments] == ["a.png"]
    assert "空文件" in (await uploads.petition_files([upload("a.pdf", b"")])).error
    too_many = [upload(f"{i}.txt", b"x") for i in range(uploads.MAX_FILES + 1)]
    assert "最多上传 10 个附件" in (await uploads.petition_files(too_many)).error
    big = upload("big.pdf", b"%PDF-" + bytes(uploads.MAX_FILE_BYTES))
    assert "超过 10 MB" in (await uploads.petition_files([big])).error
    assert "格式不能受理" in (await uploads.petition_files([upload("x.exe", b"MZ")])).error


def test_downloads_are_attachments_with_the_name_in_utf8():
    value = uploads.content_disposition('报修"记录.txt')
    assert value.startswith('attachment; filename="') and "filename*=UTF-8''%E6%8A%A5" in value
    assert '"' not in value.split('filename="')[1].split('"')[0]


async def test_scripts_are_refused_whatever_type_the_browser_declares():
    """Closes: a .hta/.js/.html declared as text/plain or application/pdf was sent on (the browser's
    declared type won over the extension)."""
    for name in ("说明.hta", "x.js", "page.html", "a.bat", "p.ps1", "s.scr", "a.vbs", "a.cmd", "a.htm"):
        for declared in ("text/plain", "application/pdf", "image/png"):
            files = await uploads.petition_files([upload(name, b"text", declared)])
            assert "格式不能受理" in files.error, (name, declared)


def test_names_lose_bidi_controls_and_trailing_dots_on_upload_and_download():
    """Closes: a stored name with a right-to-left override or a trailing dot was served as it was."""
    assert uploads.file_name("\u202egpj.exe") == "gpj.exe"
    assert uploads.file_name("说明.txt. . ") == "说明.txt"
    value = uploads.content_disposition("\u202egpj\u2066.exe")
    assert value.startswith("attachment; ") and "%E2%80%AE" not in value and "gpj.exe" in value
    assert uploads.content_disposition("\u202e").startswith("attachment; ")
