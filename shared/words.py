"""Chinese words (分词) for full-text search in PostgreSQL: jieba segments in Python, a 'simple'
tsvector holds the words.

PostgreSQL's parser cannot split Chinese into words; given words separated by spaces it only
lower-cases them. So a text is segmented with jieba's search mode (`cut_for_search`: the long
words and the shorter words inside them, so 资阳市 matches a search for 资阳 too), punctuation
dropped, and the words joined by spaces for to_tsvector('simple', ...); a query is segmented with
the precise mode and every word must match (plainto_tsquery('simple', ...)).

Used by the disclosure service's publication search (services/disclosure/search.py adds its filter
lexemes and snippets) and the petitions service's case search.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()

# A word worth indexing: at least one CJK character, letter or digit.
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
# Characters PostgreSQL's parser would treat as separators inside a word: kept out of words.
_SPLIT = re.compile(r"[^\w\u3400-\u9fff]+", re.UNICODE)

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


def segmented(*texts: str) -> str:
    """The texts as space-separated words, what to_tsvector('simple', ...) receives."""
    return " ".join(w for text in texts for w in index_words(text))


def query_terms(query: str) -> list[str]:
    """The words of a query (precise mode), without repeats, at most MAX_QUERY_TERMS."""
    seen: dict[str, None] = {}
    for word in _clean(jieba.cut(query.strip())):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_TERMS]
