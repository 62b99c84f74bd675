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


# ---- every run of characters: bigrams (as Lucene's CJK analyzer) for recall ------------------------------
#
# jieba cuts 中小学校外培训 as 中小学校/外/培训, so a search for 校外 found nothing: a word cut differently
# in the text than in the query is never found. For recall the index holds every two-character run of
# letters, digits and CJK characters (bigrams, as Lucene's CJKBigramFilter) and every character of
# every run (unigrams): a query's runs become their bigrams, all of which must be present, and a run of
# one character is that character's lexeme. So every substring with a letter, digit or CJK character
# is found; a false match (the bigrams present but apart) is possible and ranked low. jieba's words
# serve ranking: a whole word of the query found as a word of the text (lexeme WORD + word) and the
# query found in the title (TITLE + bigram) rank first.
# The lexemes go into the tsvector through array_to_tsvector and the query through a tsquery cast:
# PostgreSQL's parser never sees them, so what is stored is exactly what is searched.

import unicodedata  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

# A run: letters, digits, CJK characters (no underscore, no punctuation).
_RUN = re.compile(r"[^\W_]+", re.UNICODE)
# Prefixes that no run can start with: the title's copy of a bigram, and a jieba word.
TITLE = "^"
WORD = "~"
# A one-character run was once a prefix query ('x':*), which the GIN index answers by reading every
# lexeme starting with the character in full, each statement (hundreds of milliseconds for a common
# character over a million rows); a character of its own is one entry, intersected like the others.
# A long query is matched on its first bigrams only (recall unchanged, precision a little lower).
MAX_QUERY_GRAMS = 24


def normalized(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC), lower-cased: the same in the index and the query."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The runs of letters, digits and CJK characters of a text, normalised."""
    return _RUN.findall(normalized(text))


def grams(text: str) -> set[str]:
    """Every bigram of every run, and every character of it (what a one-character query finds)."""
    out: set[str] = set()
    for run in runs(text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
        out.update(run)
    return out


def characters_sql(vector: str) -> str:
    """SQL: the characters (unigrams) of the bigrams in the tsvector `vector`, the title's marked as the
    title's, as a tsvector: what grams() adds to vectors stored when a run only gave its last character
    (the migrations of disclosure and petitions; every character of a run of two or more is in one of
    its bigrams, a run of one character was stored as itself)."""
    return (
        "array_to_tsvector(ARRAY(SELECT DISTINCT CASE WHEN length(l) = 3 THEN '^' ELSE '' END"
        " || substr(l, i, 1)"
        f" FROM unnest(tsvector_to_array({vector})) AS l, generate_series(length(l) - 1, length(l)) AS i"
        " WHERE (length(l) = 2 AND left(l, 1) NOT IN ('^', '~')) OR (length(l) = 3 AND left(l, 1) = '^')))"
    )


def word_lexemes(text: str) -> set[str]:
    """jieba's words of a text (search mode), marked as words: for ranking whole-word matches first."""
    return {WORD + w for w in _clean(jieba.cut_for_search(normalized(text)))}


def lexemes(*, title: str = "", body: str = "", extra: str = "") -> list[str]:
    """What a text's tsvector holds: the bigrams of all its parts, the title's bigrams once more marked
    TITLE, the words of title and body marked WORD. `extra`: searchable facts that are not words of the
    text (issuer, category, year)."""
    out = grams(title) | grams(body) | grams(extra) | word_lexemes(title) | word_lexemes(body)
    out |= {TITLE + g for g in grams(title)}
    return sorted(out)


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class SearchQuery:
    """A query as tsquery texts: `match` (every bigram; what decides a hit), `title` (the same in the
    title), `words` (jieba's words of the query as words of the text); `terms` are what the reader
    typed, cut into words, for the reply and the snippets; `grams` the bigrams, `chars` the
    one-character runs (each a lexeme of its own)."""

    match: str
    title: str
    words: str
    terms: list[str] = field(default_factory=list)
    grams: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.match)


def _tsquery(parts: list[str], marker: str = "") -> str:
    return " & ".join(_quoted(marker + text) for text in parts)


def search_query(query: str) -> SearchQuery:
    """The query's runs as bigrams (a one-character run as its character); empty when it has no run."""
    parts: dict[str, None] = {}
    for run in runs(query):
        parts.update(dict.fromkeys([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]))
    parts = list(parts)[:MAX_QUERY_GRAMS]
    if not parts:
        return SearchQuery("", "", "")
    terms = query_terms(normalized(query))
    return SearchQuery(
        match=_tsquery(parts),
        title=_tsquery(parts, TITLE),
        words=" & ".join(_quoted(WORD + t) for t in terms) or _tsquery(parts),
        terms=terms,
        grams=[text for text in parts if len(text) == 2],
        chars=[text for text in parts if len(text) == 1],
    )
