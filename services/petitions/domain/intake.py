"""Intake (登记, A71): the petition and its petitioners, attachments (附件) checked against their bytes,
representatives of a group visit, person keys and repeat petitions on the same matter."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from services.petitions.domain.common import (
    ATTACHMENT_MEDIA_TYPES,
    CLOSED_STATES,
    CaseState,
    Category,
    Channel,
    DOCX,
    EXTENSIONS,
    ID_NUMBER,
    JPEG,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_TOTAL_BYTES,
    MAX_ATTACHMENT_BYTES,
    MAX_CONTENT,
    MAX_FILE_NAME,
    MAX_GROUP_SIZE,
    MAX_PETITIONERS,
    MAX_REPRESENTATIVES,
    MAX_TITLE,
    MIB,
    OFD,
    ORGANISATION_CODE,
    PDF,
    PHONE,
    PNG,
    TEXT,
    UNSAFE_NAME_CHARACTERS,
)


@dataclass(frozen=True)
class Petitioner:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    representative: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file as sent at intake: its bytes, and optionally the size and SHA-256 the sender expects."""

    file_name: str
    media_type: str
    content: bytes
    declared_size: int = 0
    declared_sha256: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class StoredAttachment:
    """What the case keeps of a file (and shows to readers who see it in full); the bytes are in
    their own table (models.PetitionAttachment)."""

    id: str
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Intake:
    channel: Channel | None
    received_on: date | None
    category: Category | None
    title: str
    content: str
    petitioners: Sequence[Petitioner]
    group_visit: bool = False
    group_size: int = 0
    body_complained_about: str = ""
    person_complained_about: str = ""
    attachments: Sequence[Attachment] = field(default_factory=tuple)
    hotline_ref: str = ""


def check_intake(intake: Intake, today: date) -> None:
    """Every problem of the form at once (INVALID_ARGUMENT), then the representatives rule.

    Messages never repeat a petitioner's data: errors end up in traces.
    """
    bad: list[tuple[str, str]] = []
    if intake.channel is None:
        bad.append(("intake.channel", "letter, visit, online, phone or hotline transfer"))
    if intake.category is None:
        bad.append(("intake.category", "suggestion, complaint or report, or request or appeal"))
    if intake.received_on is not None and intake.received_on > today:
        bad.append(("intake.received_on", "cannot be in the future"))
    if not intake.title.strip():
        bad.append(("intake.title", "a short title is required"))
    elif len(intake.title) > MAX_TITLE:
        bad.append(("intake.title", f"at most {MAX_TITLE} characters"))
    if not intake.content.strip():
        bad.append(("intake.content", "the petition's content is required"))
    elif len(intake.content) > MAX_CONTENT:
        bad.append(("intake.content", f"at most {MAX_CONTENT} characters"))
    bad += _petitioner_problems(intake)
    bad += _attachment_problems(intake.attachments)
    if intake.body_complained_about and not ORGANISATION_CODE.match(intake.body_complained_about):
        bad.append(("intake.body_complained_about", "an organisation code such as 'education-bureau'"))
    if len(intake.person_complained_about) > 200:
        bad.append(("intake.person_complained_about", "at most 200 characters"))
    if intake.channel is Channel.HOTLINE_TRANSFER and not intake.hotline_ref.strip():
        bad.append(("intake.hotline_ref", "a hotline transfer names its 12345 ticket"))
    if len(intake.hotline_ref) > 64:
        bad.append(("intake.hotline_ref", "at most 64 characters"))
    if bad:
        raise InvalidInput(bad)
    check_representatives(intake)


def _petitioner_problems(intake: Intake) -> list[tuple[str, str]]:
    bad = []
    if not intake.petitioners:
        bad.append(("intake.petitioners", "at least one petitioner (信访人)"))
    if len(intake.petitioners) > MAX_PETITIONERS:
        bad.append(("intake.petitioners", f"at most {MAX_PETITIONERS}; a group lists its representatives"))
    for i, p in enumerate(intake.petitioners[:MAX_PETITIONERS]):
        where = f"intake.petitioners[{i}]"
        if not p.name.strip() or len(p.name) > 100:
            bad.append((f"{where}.name", "a name of 1 to 100 characters"))
        if p.id_number and not ID_NUMBER.match(p.id_number):
            bad.append((f"{where}.id_number", "5 to 32 letters or digits"))
        if p.phone and not PHONE.match(p.phone):
            bad.append((f"{where}.phone", "digits, spaces or '-', optionally after '+', 5 to 20 characters"))
        if len(p.address) > 300:
            bad.append((f"{where}.address", "at most 300 characters"))
    if intake.group_visit:
        if intake.channel is not Channel.VISIT:
            bad.append(("intake.group_visit", "only a visit (来访) is a group visit"))
        if intake.group_size < 2 or intake.group_size > MAX_GROUP_SIZE:
            bad.append(("intake.group_size", f"a group visit is of 2 to {MAX_GROUP_SIZE} people"))
        elif intake.group_size < len(intake.petitioners):
            bad.append(("intake.group_size", "smaller than the number of petitioners listed"))
    elif intake.group_size not in (0, 1) and intake.group_size != len(intake.petitioners):
        bad.append(("intake.group_size", "set only for a group visit"))
    return bad


def normal_media_type(declared: str) -> str:
    """'Image/JPEG; charset=x' → 'image/jpeg'; the common aliases browsers send → the standard names."""
    kind = declared.split(";", 1)[0].strip().lower()
    return {"image/jpg": JPEG, "image/pjpeg": JPEG, "image/x-png": PNG, "application/x-pdf": PDF}.get(
        kind, kind
    )


def _zip_names(content: bytes) -> set[str] | None:
    """The member names of a ZIP container (read from its directory, nothing decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def _is_text(content: bytes) -> bool:
    """Plain text in UTF-8 (with or without BOM) or GB18030 (Chinese Windows' Notepad), without
    control characters other than tab, line and page breaks."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(c) < 32 and c not in "\t\n\r\f" or c == "\x7f" for c in text)
    return False


def sniffed_media_type(content: bytes) -> str:
    """The type the content's first bytes (magic numbers) show, '' when none allowed.

    A declared type is never trusted alone: a renamed executable claiming image/png is refused.
    """
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04"):
        names = _zip_names(content) or set()
        if (
            "word/document.xml" in names
            and "[Content_Types].xml" in names
            and not any(n.lower().endswith("vbaproject.bin") for n in names)
        ):
            return DOCX
        if "OFD.xml" in names:
            return OFD
        return ""
    if _is_text(content):
        return TEXT
    return ""


def extension_fits(name: str, media_type: str) -> bool:
    """Whether the name ends with an extension of the checked type (a name ending in a dot or a space,
    which Windows drops, never fits)."""
    return name == name.rstrip(". ") and name.lower().endswith(EXTENSIONS.get(media_type, ()))


def _attachment_problems(attachments: Sequence[Attachment]) -> list[tuple[str, str]]:
    """Every file: a plain name, an allowed type that its bytes confirm, not empty, within the caps;
    size and SHA-256 when the sender gave them must be those of the bytes received."""
    bad = []
    if len(attachments) > MAX_ATTACHMENTS:
        return [("intake.attachments", f"at most {MAX_ATTACHMENTS} files")]
    seen: set[str] = set()
    for i, a in enumerate(attachments):
        where = f"intake.attachments[{i}]"
        name = a.file_name
        if (
            not name.strip()
            or len(name) > MAX_FILE_NAME
            or any(c in name for c in "/\\")
            or UNSAFE_NAME_CHARACTERS.search(name)
        ):
            bad.append(
                (f"{where}.file_name", f"a plain file name of 1 to {MAX_FILE_NAME} characters, no folders")
            )
        media_type = normal_media_type(a.media_type)
        if media_type in ATTACHMENT_MEDIA_TYPES and not extension_fits(name, media_type):
            bad.append(
                (f"{where}.file_name", f"a {media_type} file is named {' or '.join(EXTENSIONS[media_type])}")
            )
        size = len(a.content)
        if media_type not in ATTACHMENT_MEDIA_TYPES:
            bad.append(
                (
                    f"{where}.media_type",
                    "PDF, JPEG, PNG, plain text, Word (.docx) or OFD: one of "
                    + ", ".join(ATTACHMENT_MEDIA_TYPES),
                )
            )
        if size == 0:
            bad.append((f"{where}.content", "the file is empty"))
        elif size > MAX_ATTACHMENT_BYTES:
            bad.append((f"{where}.content", f"at most {MAX_ATTACHMENT_BYTES // MIB} MiB a file"))
        elif media_type in ATTACHMENT_MEDIA_TYPES and sniffed_media_type(a.content) != media_type:
            bad.append((f"{where}.content", f"the content is not a {media_type} file"))
        if a.declared_size and a.declared_size != size:
            bad.append((f"{where}.size_bytes", "not the size of the content received"))
        digest = a.sha256 if size else ""
        if a.declared_sha256 and a.declared_sha256 != digest:
            bad.append((f"{where}.sha256", "not the SHA-256 of the content received"))
        if digest and digest in seen:
            bad.append((f"{where}.content", "the same file is attached twice"))
        seen.add(digest)
    if sum(len(a.content) for a in attachments) > MAX_ATTACHMENTS_TOTAL_BYTES:
        bad.append(("intake.attachments", f"at most {MAX_ATTACHMENTS_TOTAL_BYTES // MIB} MiB in all"))
    return bad


def check_representatives(intake: Intake) -> None:
    """A71: several people visiting together on a common matter name representatives, at most 5."""
    if not intake.group_visit:
        return
    representatives = sum(1 for p in intake.petitioners if p.representative)
    if representatives == 0:
        raise RuleViolation("A71.representatives", "a group visit names its representatives (推选代表)")
    if representatives > MAX_REPRESENTATIVES:
        raise RuleViolation(
            "A71.representatives",
            f"a group visit has at most {MAX_REPRESENTATIVES} representatives, not {representatives}",
        )


# ---- repeat petitions -----------------------------------------------------------------------------


def person_keys(petitioners: Iterable[Petitioner], secret: bytes) -> list[str]:
    """Keys that recognise the same person in a later petition, without keeping who it is.

    The identity document number when given, otherwise name and phone together; each is a
    keyed hash (HMAC-SHA256), so the index itself discloses nobody (an ID number alone has
    too little entropy for a plain hash).
    """
    keys = []
    for p in petitioners:
        if p.id_number.strip():
            raw = "id:" + p.id_number.strip().upper()
        elif p.name.strip() and p.phone.strip():
            raw = "np:" + "".join(p.name.split()) + "|" + re.sub(r"\D", "", p.phone)
        else:
            continue
        keys.append(hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest())
    return sorted(set(keys))


@dataclass(frozen=True)
class EarlierCase:
    """What the repeat rules need of an earlier case."""

    case_id: str
    state: CaseState
    category: Category
    body_complained_about: str
    person_keys: frozenset[str]
    repeat_of_case_id: str = ""


def same_matter(earlier: EarlierCase, keys: Iterable[str], category: Category, body: str) -> bool:
    return (
        bool(earlier.person_keys & set(keys))
        and earlier.category is category
        and earlier.body_complained_about == body
    )


def find_same_matter(
    earlier: Iterable[EarlierCase], keys: Iterable[str], category: Category, body: str
) -> EarlierCase | None:
    """The first case (not itself a repeat) of the same person on the same matter: the same
    category and the same body complained about. Open cases first, then re-reviewed ones (for
    the no-third-time rule); other closed ones do not bind a new petition."""
    keys = set(keys)
    if not keys:
        return None
    firsts = [e for e in earlier if not e.repeat_of_case_id and same_matter(e, keys, category, body)]
    for wanted in (lambda e: e.state not in CLOSED_STATES, lambda e: e.state is CaseState.RE_REVIEWED):
        for e in firsts:
            if wanted(e):
                return e
    return None


def links_as_repeat(earlier_state: CaseState) -> bool:
    """A71: a petition on a matter still open is linked to it, not counted (nor handled) twice.
    After re-review it is registered on its own, and the no-third-time rule applies at triage."""
    return earlier_state not in CLOSED_STATES


# ---- triage ---------------------------------------------------------------------------------------
