"""Chinese full-text search: every run of characters is found (bigrams), jieba's words rank.

How it is stored (shared/words.py, migration 0008_search_bigrams): on publishing, the title with the
document number (资府规〔2026〕1号), the body, and the searchable facts that are not words of the text
(issuer, category name, 规范性文件 for a normative document, kind, the year made as 2026年) become
lexemes: every bigram of every run of letters, digits and CJK characters (as Lucene's CJK analyzer),
every character of every run (migration 0013_search_characters), the title's bigrams and characters
once more marked as the title's, and jieba's words marked as words. array_to_tsvector stores them as
they are (no parser), GIN-indexed. A query's runs become bigrams that must all be present (a
one-character run: its character, never a prefix 'x':*, which the GIN index answers by reading in full
every lexeme starting with it, at every statement), so any substring of a title or text is found,
whatever jieba would cut. Ranking (store_publications.search): the query found in
the title, then its jieba words found as words of the text, then newer.

Filters in the index: each publication's tsvector also holds lexemes of its own (`meta_lexemes`,
not words: the year it was made, its category, issuer and kind, and the month it was published), so a
filter is one more GIN entry and the GIN index alone finds a filtered query's matches; only those rows
are read from the table.

Ranking and the candidate cap (the trade-off, see store_publications.search): ranking every match
reads every matching row; a common word (通知, 工作) matches a large part of a million publications,
and ranking or even sorting all of them by date takes seconds. So only the newest `candidates`
matches (default 300) are ranked; when there are more, the reply says so (`capped`) and the portal
tells the reader to refine the search (words, year, category, issuer). For government information the
newest matching items are usually the ones wanted.

Finding the newest matches with a bounded cost (issue 15): the GIN index knows which rows match but
not their dates, and a date index knows the dates but not the words. Choosing between walking the
date index (checking each row) and reading every match through GIN from an estimate failed both ways:
two frequent words that rarely go together, or a random run of characters, made the walk read
hundreds of thousands of rows; a common word made GIN read and sort half the table. So the month and
the year a publication was published are lexemes of their own (`month_lexeme`, `year_lexeme`), and
`NewestFirst` reads months newest first in growing windows, each one bitmap scan of the GIN index
for the query and any of the window's months (a whole year as its year): the index intersects them
itself (its fast scan follows the rarest entries, the months or the words), and a window reads at
most a guard of rows from the table, or one month's matches. A common word is done within the first
month or months, a rare one in a few windows; a word that was frequent years ago and is rare now
splits its dense window down to the month that completes the page. No statistics are consulted and
no plan is guessed: the windows are bitmap scans of the GIN index only (SET LOCAL).

A filtered query reads only the months its filters were published in (`span`): the set-up statement
asks, for each filter with an index of its own (category, issuer, year made, kind), the first and last
day published of the rows it allows (two index-only lookups each), and the windows run from the
newest of those months back to the oldest. A year made (2021) is then its thirteen months or so, read
in two or three windows, where the windows from today back to it read the filter's lexeme's postings
again and again (a year filter five years back: eleven windows, 140 ms idle). Once a window has found
matches, the next is as many months as their density says the rest of the page needs, never more
than four times the last (NewestFirst.months_needed: a window's GIN scan costs its rarest entries'
postings whatever its guard).

Snippets are cut from the original body in Python (for the page only): the first passage with a
searched word, as parts marked match / not match, so the portal escapes every part itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

# The words themselves (jieba, search mode to index, precise mode to query, the bigrams) are shared
# with the petitions service's case search: callers take them from shared.words.
from shared.words import lexemes

# Lexemes that are not words (filters, the month published) start with this; words are never ASCII-only like it.
META = "zz"
# Windows of months grow this many times, and a dense one splits into this many parts (NewestFirst).
GROWTH = 4

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
    year made, 规范性文件 when it is one (shared.words.lexemes), and its filter lexemes and the month
    it was published in (meta_lexemes)."""
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
        kind=row.kind,
        category=row.category,
        issuer_code=row.issuer_code,
        year=row.year,
        # migration 0010 rebuilds rows without their date (0012 adds the month and year after it)
        published_on=getattr(row, "published_on", None),
    )


# ---- the publication's own lexemes: filters inside the GIN index --------------------------------------


def _code(value: str) -> str:
    """Any code as lexeme characters, reversibly (hex of its UTF-8)."""
    return value.encode().hex()


def meta_lexemes(
    *, kind: str, category: str, issuer_code: str, year: int, published_on: date | None = None
) -> list[str]:
    """What a publication's tsvector holds besides its words (array_to_tsvector: no parser): its
    filters and, once published, the month it was (the windows of NewestFirst)."""
    return [
        f"{META}y{int(year)}",
        f"{META}c{_code(category)}",
        f"{META}i{_code(issuer_code)}",
        f"{META}k{_code(kind)}",
    ] + ([month_lexeme(published_on), year_lexeme(published_on)] if published_on else [])


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


# ---- the newest matches first, with a bounded cost: windows of months -----------------------------------


def month_lexeme(day: date) -> str:
    """The lexeme of the month a publication was published in (not a word: it starts with META)."""
    return f"{META}p{day.year:04d}{day.month:02d}"


def year_lexeme(day: date) -> str:
    """The lexeme of the year a publication was published in: a window's whole years, so that the
    GIN index follows a rarer word rather than every month of them (months_query)."""
    return f"{META}q{day.year:04d}"


def months_back(newest: date, oldest: date) -> list[date]:
    """The first days of the months from `newest`'s back to `oldest`'s, newest first."""
    out: list[date] = []
    year, month = newest.year, newest.month
    while (year, month) >= (oldest.year, oldest.month):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def span(bounds: list[tuple[date | None, date | None]]) -> tuple[date, date] | None:
    """The days a filtered query's matches can have been published on: the latest of the first days
    and the earliest of the last days published of the rows each filter allows (store_publications:
    each an index lookup), None when a filter allows no published row or the spans do not meet."""
    if not bounds or any(oldest is None or newest is None for oldest, newest in bounds):
        return None
    oldest, newest = max(b[0] for b in bounds), min(b[1] for b in bounds)
    return (oldest, newest) if oldest <= newest else None


def months_query(months: list[date]) -> str:
    """The months as one tsquery term (any of them), the twelve months of a year as its year: the GIN
    index leads its fast scan with its rarest entries, and a month is rarer than most words, so a
    window of many months would read all of their entries even for a rare word."""
    years: dict[int, int] = {}
    for m in months:
        years[m.year] = years.get(m.year, 0) + 1
    terms = [year_lexeme(m) if years[m.year] == 12 else month_lexeme(m) for m in months]
    return "(" + " | ".join(f"'{t}'" for t in dict.fromkeys(terms)) + ")"


@dataclass(frozen=True)
class Window:
    """Months to read through the GIN index (the query & any of these months), newest first.
    `ordered`: one month, its newest `limit` matches by date (the month's matches are read and
    sorted); otherwise any `limit` matches of the months, in no order (a guard: fewer than `limit`
    back means every match of the months was read)."""

    months: tuple[date, ...]
    ordered: bool
    limit: int


class NewestFirst:
    """Which months to read next to find the newest `need` matches of a query, each read bounded.

    Months are read newest first, in windows of growing size: at most GROWTH times the last (one
    month, then four, sixteen...), fewer when the months read so far say how many months the rest of
    the page needs (half again as many, for the spread: months_needed). A window of several months is read with a
    guard (at most `guard` rows, in no order): fewer back are all its matches; `guard` back (a dense
    window) splits it into GROWTH parts, read newest first the same way, down to single months, read in
    date order with a limit. So each statement reads at most `guard` rows, or the matches of one
    month, from the table; a window that holds `guard` >= `need` matches is the last one split, and
    the statements number a few per growth step. The GIN index evaluates the months with the words
    (fast scan: its rarest entries lead), so a window costs about its rarer side."""

    def __init__(self, months: list[date], need: int, guard: int, first_share: float = 1.0) -> None:
        """`first_share`: how much of the newest month has passed (its days published so far)."""
        if guard < need:
            raise ValueError("the guard must be at least the number of matches needed")
        self.need, self.guard = need, guard
        self._first = (months[0], min(max(first_share, 0.01), 1.0)) if months else None
        self._months = list(months)
        self._split: list[tuple[date, ...]] = []
        self._size = 1
        self._read = 0  # months whose matches are all in _found (or the newest of them, ordered)
        self._found: list[tuple[date, object]] = []
        self.statements = 0

    def next(self) -> Window | None:
        """The next window to read, or None when the newest `need` are found or nothing is left."""
        if len(self._found) >= self.need:
            return None
        if self._split:
            months = self._split.pop(0)
        elif self._months:
            size = self._size
            if self._found:  # the density so far: the months the rest needs, half again
                size = min(size, self.months_needed())
            if size >= 12:  # to the end of a year: the next windows are whole years (months_query)
                while size < len(self._months) and self._months[size - 1].month != 1:
                    size += 1
            months, self._months = tuple(self._months[:size]), self._months[size:]
            self._size = size * GROWTH
        else:
            return None
        if len(months) == 1:
            return Window(months, True, self.need - len(self._found))
        return Window(months, False, self.guard)

    def months_needed(self) -> int:
        """How many more months the rest of the page needs at the density found so far, half again
        (for the spread). Never more than GROWTH times the last window: the newest month is partial
        and its density can be far below the months before it, and a window's GIN scan is not bounded
        by its guard (a bitmap is built in full before the rows are read), so a window of two years
        of a frequent word, sized from a thin first month, read 200 ms of postings to keep 1,204
        rows in the bench where four months would have held the page."""
        per_month = len(self._found) / self._read
        return max(1, math.ceil(1.5 * (self.need - len(self._found)) / per_month))

    def took(self, window: Window, rows: list[tuple[date, object]]) -> None:
        """What the window's statement returned: (published_on, id) pairs."""
        self.statements += 1
        if window.ordered or len(rows) < window.limit:
            self._found.extend(rows)
            self._read += sum(self._share(m) for m in window.months)
            return
        step = -(-len(window.months) // GROWTH)  # a dense window: its parts, newest first
        self._split[:0] = [window.months[i : i + step] for i in range(0, len(window.months), step)]

    def _share(self, month: date) -> float:
        return self._first[1] if self._first and month == self._first[0] else 1.0

    @property
    def found(self) -> list[tuple[date, object]]:
        """The newest matches found, newest first (by date, then id), at most `need`."""
        return sorted(self._found, key=lambda r: (r[0], r[1]), reverse=True)[: self.need]


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
