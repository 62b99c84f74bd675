"""Files a visitor attaches to an online petition (附件): the request body capped before it is read,
each file checked with a Chinese message, then sent with the petition to the petitions service,
which checks the bytes again (their type by their first bytes, size, SHA-256) and keeps them.

The limits are the petitions service's own (services/petitions/domain.py), so a file the portal
accepts is not refused for its size: 10 files, 10 MiB a file, 20 MiB in all. A request body larger
than the files and the form together can be is refused before it is read: by its Content-Length
when it says, and by counting the bytes as they arrive when it does not (chunked) or lies.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request

from zgov.petitions.v1 import petitions_pb2

MIB = 1024 * 1024
MAX_FILES = 10
MAX_FILE_BYTES = 10 * MIB
MAX_TOTAL_BYTES = 20 * MIB
# The files, the text fields (20 000 characters of content at most 3 bytes each, the rest) and the
# multipart framing.
MAX_BODY_BYTES = MAX_TOTAL_BYTES + 1 * MIB
MAX_FILE_NAME = 255

# Extension → the media type the petitions service expects (browsers name some types oddly, or
# send application/octet-stream for what they do not know, e.g. .ofd).
TYPES_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
    ".ofd": "application/ofd",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ALLOWED = "PDF、JPG、PNG、TXT、Word（.docx）或 OFD"
TOO_LARGE = (
    f"附件总大小不能超过 {MAX_TOTAL_BYTES // MIB} MB（每个文件不超过 {MAX_FILE_BYTES // MIB} MB，"
    f"最多 {MAX_FILES} 个）。请删减或压缩附件后重新提交。"
)


class BodyTooLarge(Exception):
    """The request body is larger than MAX_BODY_BYTES (answered 413 with TOO_LARGE)."""


@dataclass
class Files:
    """The files of a form as the petitions service takes them, and what is wrong with them."""

    attachments: list[petitions_pb2.Attachment] = field(default_factory=list)
    error: str = ""


def _capped(receive, limit: int):
    """`receive` that stops the request once more than `limit` bytes of body arrived."""
    seen = 0

    async def capped():
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return capped


async def read_form(request: Request, limit: int = MAX_BODY_BYTES):
    """The form (text fields and files) of a request whose body is at most `limit` bytes; BodyTooLarge
    before anything is parsed when the Content-Length says more, or as soon as more arrived."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    capped = Request(request.scope, _capped(request.receive, limit))
    return await capped.form(max_files=MAX_FILES + 5, max_fields=100)


def file_name(raw: str | None) -> str:
    """The name as the visitor's computer knows it, without folders, control or bidirectional characters
    (category C: the overrides that make "gpj.exe" read "exe.jpg" are format characters), nor the
    trailing dots and spaces Windows drops (which would change the extension)."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    return name.strip().rstrip(". ")[:MAX_FILE_NAME]


def media_type(name: str, declared: str | None) -> str:
    """The type to declare to the service, by the extension from the allow-list ('' when it is not
    on it): a script (.hta, .js, .html…) is refused whatever type the browser declared, and the
    service checks the bytes against this type."""
    dot = name.rfind(".")
    return TYPES_BY_EXTENSION.get(name[dot:].lower(), "") if dot >= 0 else ""


async def petition_files(uploads: list[UploadFile]) -> Files:
    """The chosen files (an empty file input sends one nameless empty part: ignored), with the first
    problem found, in Chinese."""
    chosen = [u for u in uploads if u.filename]
    if len(chosen) > MAX_FILES:
        return Files(error=f"最多上传 {MAX_FILES} 个附件，您选择了 {len(chosen)} 个。")
    return check_files([(u.filename, u.content_type, await u.read(MAX_FILE_BYTES + 1)) for u in chosen])


def check_files(files: list[tuple[str | None, str | None, bytes]]) -> Files:
    """(name, declared type, bytes) of each file → what the petitions service takes, or the first
    problem, in Chinese (the form's and the JSON API's files alike)."""
    if len(files) > MAX_FILES:
        return Files(error=f"最多上传 {MAX_FILES} 个附件，您选择了 {len(files)} 个。")
    out = Files()
    total = 0
    for raw_name, declared, content in files:
        name = file_name(raw_name)
        total += len(content)
        if not name:
            return Files(error="附件的文件名不能为空。")
        if not content:
            return Files(error=f"附件“{name}”是空文件，请重新选择。")
        if len(content) > MAX_FILE_BYTES:
            return Files(error=f"附件“{name}”超过 {MAX_FILE_BYTES // MIB} MB，请压缩或分开后重新上传。")
        kind = media_type(name, declared)
        if not kind:
            return Files(error=f"附件“{name}”的格式不能受理：只能上传 {ALLOWED} 文件。")
        out.attachments.append(petitions_pb2.Attachment(file_name=name, media_type=kind, content=content))
    if total > MAX_TOTAL_BYTES:
        return Files(error=TOO_LARGE)
    return out


def backend_file_errors(violations: dict[str, str], attachments: list[petitions_pb2.Attachment]) -> str:
    """The service's refusal of a file (its bytes are not its type, the same file twice…), in Chinese."""
    for name in violations:
        match = re.match(r"^intake\.attachments\[(\d+)\]", name)
        if match and int(match.group(1)) < len(attachments):
            shown = attachments[int(match.group(1))].file_name
            return f"附件“{shown}”未被受理：文件内容与其格式不符、已损坏或重复。只能上传 {ALLOWED} 文件。"
        if name == "intake.attachments":
            return TOO_LARGE
    return ""


def content_disposition(name: str) -> str:
    """Always a download (never shown inline), the name in UTF-8 (RFC 6266) with an ASCII fallback; the
    name cleaned as on upload (a file stored before names were cleaned is served under a safe one)."""
    name = file_name(name) or "附件"
    fallback = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name) or "file"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
