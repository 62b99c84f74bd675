"""Issue (印发): A52 fewer documents (no reprints, one briefing, similar documents in force) and the
document number (发文字号).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.documents.domain.common import (
    Content,
)
from shared.errors import RuleViolation

# ---- A52 fewer documents -----------------------------------------------------------------------------

SIMILARITY_THRESHOLD = 0.5


def check_not_a_reprint(content: Content) -> None:
    """A52: 已经公开发布的上级文件，不再翻印、转发."""
    if content.reprints_published_document:
        raise RuleViolation(
            "A52.reprint",
            "a published higher-level document is not reprinted or forwarded: point to the published text "
            "and issue only what the city adds to it",
        )


def check_one_briefing(series: str, sender_label: str, series_already_filed: Iterable[str]) -> None:
    """A52: 每个部门原则上只向市政府报送1种简报."""
    series = series.strip()
    others = sorted({s for s in series_already_filed if s and s != series})
    if series and others:
        raise RuleViolation(
            "A52.one-briefing",
            f"{sender_label} already sends the briefing “{others[0]}” to the city government: one kind of "
            f"briefing per department — send “{series}” as part of it",
        )


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace() and c not in "，。、；：“”（）《》〔〕()"]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} or set(chars)


def title_similarity(a: str, b: str) -> float:
    """Dice coefficient of the titles' character bigrams (0..1): Chinese titles have no spaces."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def similar_in_force(
    title: str,
    issued: Iterable[tuple[str, str, date | None]],
    today: date,
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[tuple[str, float]]:
    """A52: issued documents still in force (validity not passed) whose titles are close: (id, score),
    closest first."""
    scores = [
        (doc_id, title_similarity(title, other))
        for doc_id, other, valid_until in issued
        if valid_until is None or valid_until >= today
    ]
    return sorted([(d, s) for d, s in scores if s >= threshold], key=lambda x: -x[1])


# ---- document numbers --------------------------------------------------------------------------------


def document_number(issuer_code: str, year: int, sequence: int) -> str:
    """发文字号: issuer code, year in 〔〕, sequence, e.g. 资府发〔2019〕13号."""
    if sequence < 1:
        raise ValueError("sequences start at 1")
    return f"{issuer_code}〔{year}〕{sequence}号"
