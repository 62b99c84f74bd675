"""Chinese full-text search: jieba word segmentation (分词) in Python, PostgreSQL does the rest.

How it is stored: on publishing, the title and body are segmented with jieba's search mode
(`cut_for_search`: the long words and the shorter words inside them, so 资阳市 matches a search
for 资阳 too), punctuation dropped, and the words joined by spaces; PostgreSQL's 'simple' text
search configuration turns that into a tsvector (title weight A, body weight B), indexed by GIN.
PostgreSQL's own parser cannot split Chinese into words; given words separated by spaces it only
lower-cases them. A query is segmented with jieba's precise mode and every word must match
(plainto_tsquery over the same 'simple' configuration).

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

# The words themselves (jieba, search mode to index, precise mode to query) are shared with the
# petitions service's case search.
from shared.words import MAX_QUERY_TERMS, index_words, initialize, query_terms, segmented  # noqa: F401

# Lexemes that are not words (filters) start with this; words are never ASCII-only like it.
META = "zz"
# Below this many times the cap of estimated matches, a query always goes through GIN.
MIN_WALK_MATCHES = 2

SNIPPET_BEFORE = 30
SNIPPET_LENGTH = 120


# ---- the publication's own lexemes: filters inside the GIN index --------------------------------------

def _code(value: str) -> str:
    """Any code as lexeme characters, reversibly (hex of its UTF-8)."""
    return value.encode().hex()


def meta_lexemes(*, kind: str, category: str, issuer_code: str, year: int) -> list[str]:
    """What a publication's tsvector holds besides its words (array_to_tsvector: no parser)."""
    return [f"{META}y{int(year)}", f"{META}c{_code(category)}", f"{META}i{_code(issuer_code)}",
            f"{META}k{_code(kind)}"]


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
    return " & ".join(f"'{x}'" for x in filter_lexemes(category=category, issuer_code=issuer_code, year=year,
                                                        kind=kind))


def walk_newest_first(terms: list[str], frequencies: dict[str, float], rows: float,
                      filters: list[str] = (), candidates: int = 300) -> bool:
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
            parts.append(Part(text[position:found.start()], False))
        parts.append(Part(found.group(), True))
        position = found.end()
    if position < len(text):
        parts.append(Part(text[position:], False))
    return parts
