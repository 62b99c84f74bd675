"""Chinese full-text search: every run of characters is found (bigrams), jieba's words rank.

How it is stored (shared/words.py, migration 0008_search_bigrams): on publishing, the title with the
document number (资府规〔2026〕1号), the body, and the searchable facts that are not words of the text
(issuer, category name, 规范性文件 for a normative document, kind, the year made as 2026年) become
lexemes: every bigram of every run of letters, digits and CJK characters (as Lucene's CJK analyzer),
each run's last character, the title's bigrams once more marked as the title's, and jieba's words
marked as words. array_to_tsvector stores them as they are (no parser), GIN-indexed. A query's runs
become bigrams that must all be present (a one-character run: a prefix), so any substring of a title
or text is found, whatever jieba would cut. Ranking (store_publications.search): the query found in
the title, then its jieba words found as words of the text, then newer.

Filters in the index: each publication's tsvector also holds lexemes of its own (`meta_lexemes`,
not words: the year it was made, its category, issuer and kind), so a filter is one more GIN entry
and the GIN index alone finds a filtered query's matches; only those rows are read from the table.

Ranking and the candidate cap (the trade-off, see store_publications.search):
ranking every match with ts_rank reads every matching row; a common word (通知, 工作) matches a large
part of a million publications, and ranking or even sorting all of them by date takes seconds. So
only the newest `candidates` matches (default 300) are ranked:
- a query matching fewer is ranked over all its matches (found through the GIN index);
- a common query ranks its newest `candidates` matches, found by walking the index on published_on
  (or on a filter and published_on) newest first and checking each row (`walk_newest_first`: the
  rarest word is frequent, so the walk ends soon). An old, very relevant publication is then not shown unless the query gets more precise
  or is filtered (by year, category, issuer): the reply says so (`capped`), and the portal tells the
  reader to refine the search.
For government information the newest matching items are usually the ones wanted, and every query
keeps a bounded cost. Case left slow: two frequent words that rarely go together (the walk goes far).

Snippets are cut from the original body in Python (for the page only): the first passage with a
searched word, as parts marked match / not match, so the portal escapes every part itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The words themselves (jieba, search mode to index, precise mode to query, the bigrams) are shared
# with the petitions service's case search: callers take them from shared.words.
from shared.words import lexemes

# Lexemes that are not words (filters) start with this; words are never ASCII-only like it.
META = "zz"
# Below this many times the cap of estimated matches, a query always goes through GIN.
MIN_WALK_MATCHES = 2

SNIPPET_BEFORE = 30
SNIPPET_LENGTH = 120


# Searchable names of what a publication is (not words of its text): the categories of article 20 (the
# portal's names and the regulation's), the kinds.
CATEGORY_NAMES = {
    "rules_and_normative_documents": "规章和规范性文件 行政法规",
    "organisation_and_functions": "机构职能 机关职能 机构设置",
    "plans": "规划信息 发展规划",
    "statistics": "统计信息",
    "licensing": "行政许可",
    "penalties_and_enforcement": "行政处罚和行政强制",
    "budgets_and_accounts": "财政预决算 财政预算 决算",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
    "major_projects": "重大建设项目",
    "livelihood": "民生政策",
    "emergencies": "突发公共事件",
    "inspections": "监督检查",
    "civil_service_recruitment": "公务员招考",
    "other": "其他信息",
}
KIND_NAMES = {
    "policy": "政策文件",
    "interpretation": "政策解读",
    "comment_draft": "征求意见稿",
    "proposal_result": "建议提案办理结果",
    "power": "权责清单",
    "concern_response": "回应关切",
}


def publication_lexemes(row) -> list[str]:
    """Everything a published row is found by: its title and number, body, issuer, category, kind, the
    year made, 规范性文件 when it is one (shared.words.lexemes), and its filter lexemes."""
    facts = " ".join(
        [
            row.issuer_name or "",
            CATEGORY_NAMES.get(row.category, ""),
            KIND_NAMES.get(row.kind, ""),
            "规范性文件" if row.normative else "",
            f"{row.year}年",
        ]
    )
    text = lexemes(title=f"{row.title} {row.document_number or ''}", body=row.body or "", extra=facts)
    return text + meta_lexemes(
        kind=row.kind, category=row.category, issuer_code=row.issuer_code, year=row.year
    )


# ---- the publication's own lexemes: filters inside the GIN index --------------------------------------


def _code(value: str) -> str:
    """Any code as lexeme characters, reversibly (hex of its UTF-8)."""
    return value.encode().hex()


def meta_lexemes(*, kind: str, category: str, issuer_code: str, year: int) -> list[str]:
    """What a publication's tsvector holds besides its words (array_to_tsvector: no parser)."""
    return [
        f"{META}y{int(year)}",
        f"{META}c{_code(category)}",
        f"{META}i{_code(issuer_code)}",
        f"{META}k{_code(kind)}",
    ]


def filter_lexemes(*, category: str | None, issuer_code: str, year: int, kind: str | None) -> list[str]:
    """The lexemes a filtered query must find besides its words."""
    out = []
    if category:
        out.append(f"{META}c{_code(category)}")
    if issuer_code:
        out.append(f"{META}i{_code(issuer_code)}")
    if year:
        out.append(f"{META}y{int(year)}")
    if kind:
        out.append(f"{META}k{_code(kind)}")
    return out


def meta_query(*, category: str | None, issuer_code: str, year: int, kind: str | None) -> str:
    """The filters as tsquery text (lexemes quoted, no parser), '' when there are none."""
    return " & ".join(
        f"'{x}'" for x in filter_lexemes(category=category, issuer_code=issuer_code, year=year, kind=kind)
    )


def walk_newest_first(
    terms: list[str],
    frequencies: dict[str, float],
    rows: float,
    filters: list[str] = (),
    candidates: int = 300,
) -> bool:
    """Whether to find the newest matches by walking an index on published_on (each row checked; with a
    filter, the index of that filter and published_on) rather than through the GIN index (every match
    read, then sorted by date): whichever reads fewer rows.

    The planner multiplies the words' frequencies as if independent; but the words jieba cuts from one
    term go together (柠檬 产业), and the GIN path then reads tens of thousands of rows. Here a word set
    is as frequent as its rarest word (pg_stats), a filter independent of the words. The walk reads
    about `candidates` / (the share of the rows it walks that match); the GIN path reads every match. A
    word or filter not among the frequent ones makes the query rare: GIN."""
    if not terms:
        return False
    share = min(frequencies.get(t, 0.0) for t in terms)
    shares = [frequencies.get(lexeme, 0.0) for lexeme in filters]
    if share <= 0 or any(f <= 0 for f in shares):
        return False
    filtered = 1.0
    for f in shares:
        filtered *= f
    matches = share * filtered * rows
    # the walk follows the index of one filter (the least selective, at worst); the others are checked
    walked = candidates / (share * filtered / max(shares)) if shares else candidates / share
    return matches > MIN_WALK_MATCHES * candidates and walked < matches


@dataclass(frozen=True)
class Part:
    text: str
    match: bool


def snippet(body: str, terms: list[str], length: int = SNIPPET_LENGTH) -> list[Part]:
    """A passage of `body` around the first searched word, the words marked; the start when none occurs."""
    text = " ".join(body.split())
    if not text:
        return []
    lowered = text.lower()
    hits = [lowered.find(t) for t in terms if t]
    hits = [h for h in hits if h >= 0]
    start = max(0, min(hits) - SNIPPET_BEFORE) if hits else 0
    end = min(len(text), start + length)
    window = text[start:end]
    parts = mark(window, terms)
    if start > 0:
        parts.insert(0, Part("…", False))
    if end < len(text):
        parts.append(Part("…", False))
    return parts


def mark(text: str, terms: list[str]) -> list[Part]:
    """`text` cut into parts, the occurrences of `terms` (longest first) marked as matches."""
    wanted = sorted({t for t in terms if t}, key=len, reverse=True)
    if not wanted:
        return [Part(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    parts: list[Part] = []
    position = 0
    for found in pattern.finditer(text):
        if found.start() > position:
            parts.append(Part(text[position : found.start()], False))
        parts.append(Part(found.group(), True))
        position = found.end()
    if position < len(text):
        parts.append(Part(text[position:], False))
    return parts
