"""Chinese word segmentation (shared/words.py) and snippets and filters (services/disclosure/search.py)."""

import math
import random
from collections import Counter
from datetime import date, timedelta

import pytest

from services.disclosure import search
from shared import words


def test_index_words_hold_long_words_and_the_words_inside_them():
    found = words.index_words("资阳市人民政府关于加强城市供水安全保障工作的通知。")
    assert {"资阳", "资阳市", "人民政府", "供水", "通知"} <= set(found)
    assert "。" not in found and all(w.strip() for w in found)


def test_query_is_segmented_into_distinct_words_without_punctuation():
    assert words.query_terms("  供水安全，供水！") == ["供水", "安全"]
    assert words.query_terms("《》，。") == []
    assert words.query_terms("COVID-19 疫苗") == ["covid", "19", "疫苗"]


def test_snippet_marks_the_words_around_the_first_match():
    body = "前言" * 40 + "为保障城市供水安全，市政府决定开展供水设施改造。" + "结语" * 80
    parts = search.snippet(body, ["供水", "安全"])
    assert parts[0] == search.Part("…", False) and parts[-1] == search.Part("…", False)
    marked = [p.text for p in parts if p.match]
    assert marked[:3] == ["供水", "安全", "供水"]
    assert "".join(p.text for p in parts).strip("…") in body


def test_snippet_without_a_match_is_the_start_and_never_empty_parts():
    parts = search.snippet("短文本", ["无关"])
    assert parts == [search.Part("短文本", False)]
    assert search.mark("安全安全", ["安全"]) == [search.Part("安全", True), search.Part("安全", True)]


def test_filters_are_lexemes_of_their_own_never_words():
    lexemes = search.meta_lexemes(kind="policy", category="fees", issuer_code="finance-bureau", year=2025)
    assert lexemes[0] == "zzy2025" and all(x.isalnum() for x in lexemes)
    query = search.meta_query(category="fees", issuer_code="finance-bureau", year=2025, kind=None)
    assert query == f"'{lexemes[1]}' & '{lexemes[2]}' & 'zzy2025'"
    assert search.meta_query(category=None, issuer_code="", year=0, kind=None) == ""
    # a code with quotes or spaces cannot break the query: it is hex
    assert "'" not in search.meta_query(category=None, issuer_code="x' | 'y", year=0, kind=None)[1:-1]
    assert not any(w.startswith(search.META) for w in words.index_words("资阳市财政局关于收费的通知"))


def test_months_back_newest_first_across_years_and_their_lexemes():
    months = search.months_back(date(2026, 2, 17), date(2025, 11, 30))
    assert months == [date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1)]
    assert search.months_back(date(2026, 2, 1), date(2026, 2, 28)) == [date(2026, 2, 1)]
    assert search.month_lexeme(date(2026, 3, 31)) == "zzp202603"
    assert search.months_query(months[:2]) == "('zzp202602' | 'zzp202601')"
    published = search.meta_lexemes(
        kind="policy", category="fees", issuer_code="x", year=2025, published_on=date(2026, 1, 5)
    )
    assert published[-2:] == ["zzp202601", "zzq2026"]
    # the twelve months of a year as the year's lexeme: the GIN index then follows a rarer word
    year_and_more = search.months_back(date(2026, 1, 31), date(2024, 11, 1))
    assert search.months_query(year_and_more) == "('zzp202601' | 'zzq2025' | 'zzp202412' | 'zzp202411')"


class Table:
    """The matches of one query by month, as the window statements return them: a window in no order
    gives any `limit` of its months' matches (here the oldest first, the worst for the caller), an
    ordered one the newest `limit`. Counts the rows each statement reads from the table."""

    def __init__(self, matches: list[tuple[date, int]]) -> None:
        self.matches = matches
        self.reads: list[int] = []

    def run(self, window: search.Window) -> list[tuple[date, int]]:
        months = {(m.year, m.month) for m in window.months}
        inside = sorted(r for r in self.matches if (r[0].year, r[0].month) in months)
        if window.ordered:
            self.reads.append(len(inside))  # the month's matches are read, then sorted
            return list(reversed(inside))[: window.limit]
        self.reads.append(min(len(inside), window.limit))
        return inside[: window.limit]


def newest(table: Table, today: date, oldest: date, need: int, guard: int) -> search.NewestFirst:
    plan = search.NewestFirst(search.months_back(today, oldest), need, guard)
    while (window := plan.next()) is not None:
        plan.took(window, table.run(window))
    return plan


def days(first: date, count: int, every: int = 1) -> list[date]:
    return [first + timedelta(days=i * every) for i in range(count)]


def test_newest_first_finds_exactly_the_newest_matches_whatever_their_spread():
    """Against sorting every match: dense and recent, rare, old and dense (a word of 2020 searched in
    2026), bursts, none; each statement reads at most the guard or one month's matches."""
    rng = random.Random(15)
    today, oldest = date(2026, 12, 7), date(2016, 11, 20)
    every_day = days(oldest, (today - oldest).days + 1)
    spreads = {
        "dense": [d for d in every_day for _ in range(3)],
        "rare": rng.sample(every_day, 40),
        "old burst": [d for d in every_day if date(2020, 1, 1) <= d < date(2021, 1, 1) for _ in range(5)],
        "recent and old": rng.sample(every_day[-90:], 30) + rng.choices(every_day[:900], k=2000),
        "none": [],
        "one day": [date(2019, 5, 5)] * 700,
    }
    for name, dates in spreads.items():
        matches = [(d, i) for i, d in enumerate(dates)]
        for need, guard in ((301, 1204), (5, 5), (50, 60)):
            table = Table(matches)
            plan = newest(table, today, oldest, need, guard)
            assert plan.found == sorted(matches, reverse=True)[:need], (name, need)
            per_month = max(Counter((d.year, d.month) for d in dates).values(), default=0)
            assert max(table.reads or [0]) <= max(guard, per_month), name
            assert plan.statements <= 40, (name, plan.statements)


def test_newest_first_reads_few_windows_for_common_and_rare_queries():
    today, oldest = date(2026, 12, 7), date(2016, 12, 1)
    # a common word: the first month holds enough, one statement
    common = Table([(d, i) for i, d in enumerate(days(date(2026, 12, 1), 7)) for _ in range(100)])
    assert newest(common, today, oldest, 301, 1204).statements == 1
    # a rare one: the windows grow four times each, from 16 months on to the end of a year (1, 4, 19,
    # 76, the rest: 121 months in five)
    rare = Table([(date(2018, 3, 3), 1), (date(2025, 1, 9), 2)])
    plan = newest(rare, today, oldest, 301, 1204)
    assert plan.statements == 5 and [r[1] for r in plan.found] == [2, 1]
    # a dense window splits in four, newest first, down to the month that completes the page: 19
    # months in parts of 5 (the first dense), 2, then May alone
    dense = Table([(date(2026, 5, 2), i) for i in range(2000)])
    plan = newest(dense, today, oldest, 301, 1204)
    assert len(plan.found) == 301 and dense.reads == [0, 0, 1204, 1204, 0, 1204, 2000]
    with pytest.raises(ValueError):
        search.NewestFirst([today], 301, 300)


def test_windows_are_sized_from_the_density_found_never_more_than_four_times_the_last():
    """Once matches are found, the next window is as many months as their density says the rest of
    the page needs, half again (NewestFirst.months_needed), at most four times the last window: ten
    matches a month, 301 needed: 1 month (10), 4 (40), 16 to the end of a year (19: 190), then
    about 1.5 × 61 / 10 months, where 4 × 19 would be allowed."""
    today, oldest = date(2026, 12, 31), date(2016, 12, 1)
    sparse = Table([(d, i) for i, d in enumerate(days(oldest, 1228, every=3))])
    sizes = []
    plan = search.NewestFirst(search.months_back(today, oldest), 301, 1204)
    while (window := plan.next()) is not None:
        sizes.append(len(window.months))
        plan.took(window, sparse.run(window))
    assert plan.found == sorted(sparse.matches, reverse=True)[:301]
    in_24_months = sum(1 for d, _ in sparse.matches if d >= date(2025, 1, 1))
    assert sizes == [1, 4, 19, math.ceil(1.5 * (301 - in_24_months) / (in_24_months / 24))]
    assert sizes[-1] < 4 * 19 and max(sparse.reads) <= 1204
    # a thin first month (the newest, a few days in) does not make the next window years long
    thin = Table([(date(2026, 12, 2), 0)] + [(d, i) for i, d in enumerate(days(date(2025, 1, 1), 700), 1)])
    plan = newest(thin, today, oldest, 301, 1204)
    assert plan.found == sorted(thin.matches, reverse=True)[:301]
    assert max(thin.reads) <= 1204 and plan.statements == 3


def test_a_filtered_query_reads_only_the_months_its_filters_were_published_in():
    """store.search asks each filter's index for the first and last day it was published on
    (search.span): the windows start at the filter's newest month and never read another."""
    assert search.span([(date(2016, 12, 1), date(2026, 12, 7)), (date(2021, 1, 3), date(2022, 1, 14))]) == (
        date(2021, 1, 3),
        date(2022, 1, 14),
    )
    assert search.span([(date(2016, 12, 1), date(2026, 12, 7)), (None, None)]) is None  # no such row
    assert search.span([(date(2016, 1, 1), date(2019, 1, 1)), (date(2020, 1, 1), date(2026, 1, 1))]) is None
    assert search.span([]) is None
    first, last = search.span([(date(2016, 12, 1), date(2026, 12, 7)), (date(2021, 1, 3), date(2022, 1, 14))])
    every_day = days(date(2016, 12, 1), 3660)
    made_2021 = Table([(d, i) for i, d in enumerate(every_day) if first <= d <= last for _ in range(2)])
    windows: list[search.Window] = []
    plan = search.NewestFirst(search.months_back(last, first), 301, 1204)
    while (window := plan.next()) is not None:
        windows.append(window)
        plan.took(window, made_2021.run(window))
    assert plan.found == sorted(made_2021.matches, reverse=True)[:301]
    assert windows[0].months == (date(2022, 1, 1),) and len(windows) <= 3
    assert all(date(2021, 1, 1) <= m <= date(2022, 1, 1) for w in windows for m in w.months)
