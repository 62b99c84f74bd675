"""Chinese full-text search: jieba word segmentation (分词) in Python, PostgreSQL does the rest.

How it is stored: on publishing, the title and body are segmented with jieba's search mode
(`cut_for_search`: the long words and the shorter words inside them, so 资阳市 matches a search
for 资阳 too), punctuation dropped, and the words joined by spaces; PostgreSQL's 'simple' text
search configuration turns that into a tsvector (title weight A, body weight B), indexed by GIN.
PostgreSQL's own parser cannot split Chinese into words; given words separated by spaces it only
lower-cases them. A query is segmented with jieba's precise mode and every word must match
(plainto_tsquery over the same 'simple' configuration).

Ranking and the candidate cap (the trade-off, see store_publications.search):
ranking every match with ts_rank reads every matching row's tsvector; a common word (通知, 工作)
matches a large part of a million publications and that takes seconds. So the newest
`candidates` matches (by published_on, through the index on it) are ranked, not all of them:
- a query matching fewer than `candidates` publications is ranked over all its matches;
- a common query ranks the newest `candidates` matches: an old, very relevant publication is
  not shown unless the query gets more precise or is filtered (by year, category, issuer). The
  reply says so (`capped`), and the portal tells the reader to refine the search.
For government information the newest matching items are usually the ones wanted, and every
query keeps a bounded cost, which is what keeps p95 under 50 ms at a million publications.

Snippets are cut from the original body in Python (for the page only): the first passage with a
searched word, as parts marked match / not match, so the portal escapes every part itself.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()

# A word worth indexing: at least one CJK character, letter or digit.
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
# Characters PostgreSQL's parser would treat as separators inside a word: kept out of words.
_SPLIT = re.compile(r"[^\w\u3400-\u9fff]+", re.UNICODE)

SNIPPET_BEFORE = 30
SNIPPET_LENGTH = 120
MAX_QUERY_TERMS = 16


def initialize() -> None:
    """Load jieba's dictionary (about 2 s): at start, not on the first search."""
    with _init_lock:
        jieba.initialize()


def _clean(words) -> list[str]:
    out = []
    for word in words:
        for part in _SPLIT.split(word.lower()):
            if part and _WORD.search(part):
                out.append(part)
    return out


def index_words(text: str) -> list[str]:
    """The words of a text for the index (search mode: long words and the words inside them)."""
    return _clean(jieba.cut_for_search(text))


def segmented(text: str) -> str:
    """The text as space-separated words, what to_tsvector('simple', ...) receives."""
    return " ".join(index_words(text))


def query_terms(query: str) -> list[str]:
    """The words of a query (precise mode), without repeats, at most MAX_QUERY_TERMS."""
    seen: dict[str, None] = {}
    for word in _clean(jieba.cut(query.strip())):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_TERMS]


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
