"""Who sees what (A71, A80): the reader's view of a case, the case routed above the body complained
about (回避), and people's names, numbers and addresses masked in what a redacted reader sees."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from services.petitions.domain.common import (
    Category,
)


class View(str, Enum):
    FULL = "full"  # bureau, assigned or reviewing body
    PETITIONER = "petitioner"  # the petitioner's own case (no internal history)
    REDACTED = "redacted"  # leaders: no identity, contacts, person complained about, attachments
    NONE = "none"


@dataclass(frozen=True)
class Reader:
    organisation_code: str
    user_id: str
    is_bureau: bool  # the petition bureau's officers
    may_handle: bool
    may_review: bool
    oversees: bool  # leaders and the city's overview (petition:instruct or petition:stats)


def case_view(
    reader: Reader,
    *,
    body_complained_about: str,
    handling_body_code: str,
    reviewing_body_codes: Iterable[str],
    submitted_by_user_id: str,
) -> View:
    """A71: the body complained about never sees the case; identity only to the bureau and the
    body assigned to handle or review it; the petitioner sees his or her own case."""
    if submitted_by_user_id and reader.user_id == submitted_by_user_id:
        return View.PETITIONER
    own = reader.organisation_code
    if own and own == body_complained_about:
        # The bureau too: a petition about the bureau is handled above it (routed_above).
        return View.NONE
    if reader.is_bureau:
        return View.FULL
    if own and reader.may_handle and own == handling_body_code:
        return View.FULL
    if own and reader.may_review and own in set(reviewing_body_codes):
        return View.FULL
    if reader.oversees:
        return View.REDACTED
    return View.NONE


def routed_above(body_complained_about: str, routes: Mapping[str, str]) -> str:
    """回避 (A71): the body that handles a case about `body_complained_about` in place of the bureau,
    '' when the bureau triages it as usual. A petition about the bureau itself, or about a body that
    would handle or oversee it, goes to a body above (the general office by default, or as the operator
    configures): the body complained about never reads it, so it cannot triage it either."""
    return routes.get(body_complained_about, "") if body_complained_about else ""


def redacted_view_shows_report(
    category: Category, marked_leader_ids: Iterable[str], reader_user_id: str
) -> bool:
    """A71: in a redacted view the content and the body complained about of a complaint or report
    (检举控告) are shown only to a leader the bureau marked the case for; a suggestion or a
    request shows them."""
    return category is not Category.COMPLAINT_REPORT or reader_user_id in set(marked_leader_ids)


MASK = "＊＊"


# Parts of an address specific enough to identify a household: streets, numbers, buildings, villages.
# The province, city, district or county alone identify nobody and stay readable.
ADDRESS_PART = re.compile(
    r"[^省市县区镇乡路街巷道号栋幢楼单元室村组社区小院苑\s,，、]{1,12}"
    r"(?:路|街|巷|大道|道|号|栋|幢|楼|单元|室|村|组|社区|小区|院|苑|镇|乡)"
)
# Between two characters of a term, what a writer may put: spaces, punctuation, dashes (at most 2).
_GAP = r"[\s\W_]{0,2}"


def address_parts(address: str) -> set[str]:
    """The identifying parts of an address, each masked on its own: '岳阳镇', '和平路', '和平路12号',
    '和平路12号3栋'. A part that is only a number ('12号', '3栋') is kept with the street before it:
    alone it would mask dates ('9月12号') and counts in any text."""
    parts: set[str] = set()
    current = ""
    for part in ADDRESS_PART.findall(unicodedata.normalize("NFKC", address)):
        current = current + part if part[0].isdigit() and current else part
        if not current[0].isdigit():
            parts.add(current)
    return {part for part in parts if len(part) >= 2}


def personal_terms(petitioners: Iterable[dict], person_complained_about: str = "") -> list[str]:
    """What identifies the people of a case in free text: names, ID numbers, phones, addresses and the
    identifying parts of an address."""
    terms = {person_complained_about.strip()}
    for p in petitioners:
        terms |= {str(p.get(k, "")).strip() for k in ("name", "id_number", "phone", "address")}
        terms |= address_parts(str(p.get("address", "")))
    # Longest first, so a name inside an address is not masked before the address.
    return sorted((t for t in terms if len(_significant(t)) >= 2), key=len, reverse=True)


def _significant(term: str) -> list[str]:
    """The term's characters without spaces and punctuation, full-width forms made plain (NFKC)."""
    return [c for c in unicodedata.normalize("NFKC", term) if c.isalnum()]


def _character(c: str) -> str:
    """A class matching `c` as written in any width and, for Latin letters, either case."""
    forms = {c, c.upper(), c.lower()} if c.isascii() else {c}
    forms |= {chr(ord(f) + 0xFEE0) for f in list(forms) if f.isascii() and f.isalnum()}
    return "[" + "".join(re.escape(f) for f in sorted(forms)) + "]"


def term_pattern(term: str) -> re.Pattern | None:
    """The term as written with spaces or punctuation between its characters, full-width digits or
    letters, any case: '138 1234-5678', '１３８１２３４５６７８' and '王 建 国' all match."""
    chars = _significant(term)
    if len(chars) < 2:
        return None
    return re.compile(_GAP.join(_character(c) for c in chars))


def mask_personal(text: str, terms: Sequence[str]) -> str:
    """A71, A80: free text shown outside the bureau and the assigned body (a redacted view, an event)
    with the case's own names, numbers and addresses masked, however they were written (spacing,
    punctuation, full-width digits, a part of the address alone). Best effort: it knows only what
    the case recorded, so the structured fields stay the real protection."""
    for term in terms:
        pattern = term_pattern(term)
        if pattern is not None:
            text = pattern.sub(MASK, text)
    return text


def redacted_searchable_text(
    category: Category,
    title: str,
    content: str,
    petitioners: Iterable[dict],
    person_complained_about: str = "",
) -> str:
    """A71: the words a redacted reader (a leader) may find a case by — only what every redacted view
    shows: the title and content masked (mask_personal), and nothing of a complaint or report
    (检举控告), whose text a redacted reader sees only when the case is marked for him or her.
    A search must never answer what the page would not show."""
    if category is Category.COMPLAINT_REPORT:
        return ""
    terms = personal_terms(petitioners, person_complained_about)
    return mask_personal(f"{title}\n{content}", terms)
