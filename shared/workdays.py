"""Working days (工作日) of the mainland China calendar, for every deadline of the platform.

Sources, later ones winning:
1. the chinese-calendar library: public holidays (法定节假日) and weekend days made into
   working days (调休上班) for the years it knows (2004-2026 in the pinned 1.11.0);
2. official schedules loaded by operators as data files (one JSON file per year, from the
   folder named by ZGOV_CALENDAR_DIR), which replace or extend the library year by year:

       {"year": 2027,
        "holidays": {"2027-01-01": "元旦", ...},
        "workdays": {"2027-02-07": "春节调休", ...},
        "source": "国务院办公厅关于2027年部分节假日安排的通知"}      # optional, free text

In a year no source knows, only Saturdays and Sundays are rest days, and every result that
depends on such a year is marked provisional: it must be recomputed when the year's
schedule arrives.

Conventions (docs/design.md "Time", as in Chinese procedural law):
- a limit of N working days does not count the day it starts on; it ends at the end of the
  N-th working day after that day; a weekend day made into a working day counts;
- "at least N working days before D" holds for a day F when the N-th working day after F
  is not later than D.

Speed: a million deadline computations must take under a second, so the calendar is
precomputed once over a fixed range of days into two tables (day → number of working days
up to it, rank → the working day of that rank); a deadline is then two list look-ups.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import chinese_calendar.constants as library

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "CalendarRangeError",
    "Deadline",
    "ScheduleError",
    "ScheduleUnknown",
    "WorkingCalendar",
    "YearSchedule",
    "calendar",
    "load_schedules",
    "reload_calendar",
    "watch_schedules",
]

# The range the tables cover. Dates outside it are refused rather than guessed.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

SATURDAY = 5


class Deadline(NamedTuple):
    """The last day of a limit (the limit ends at the end of that day)."""

    due: dt.date
    # True when a year on the way has no known official schedule (weekends only were used).
    provisional: bool


class CalendarRangeError(ValueError):
    """A date (or a computed deadline) lies outside FIRST_DAY..LAST_DAY."""


class ScheduleError(ValueError):
    """An operator's schedule file is malformed."""


class ScheduleUnknown(LookupError):
    """The answer needs the official schedule of a year that is not known yet."""


@dataclass(frozen=True)
class YearSchedule:
    """The official holiday schedule of one year (国务院办公厅 节假日安排)."""

    year: int
    holidays: Mapping[dt.date, str]
    # Weekend days made into working days (调休上班), with the holiday they pay for.
    workdays: Mapping[dt.date, str] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_json(cls, data: Mapping, origin: str = "schedule") -> YearSchedule:
        """Parse the data-file format; raises ScheduleError naming what is wrong."""
        if not isinstance(data, Mapping):
            raise ScheduleError(f"{origin}: expected a JSON object")
        year = data.get("year")
        if not isinstance(year, int) or not FIRST_DAY.year <= year <= LAST_DAY.year:
            raise ScheduleError(f"{origin}: 'year' must be an integer in {FIRST_DAY.year}..{LAST_DAY.year}")
        holidays = _parse_days(data.get("holidays"), "holidays", origin)
        workdays = _parse_days(data.get("workdays", {}), "workdays", origin)
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ScheduleError(f"{origin}: {both[0]} is listed both as holiday and as workday")
        for day in workdays:
            # A make-up working day on a weekday would change nothing: a typo, most likely.
            if day.weekday() < SATURDAY:
                raise ScheduleError(f"{origin}: workday {day} is not a Saturday or Sunday")
        for day in (*holidays, *workdays):
            # A schedule may reach into the neighbouring year (e.g. 2011-12-31 in the 2012 one).
            if abs(day.year - year) > 1:
                raise ScheduleError(f"{origin}: {day} is too far from year {year}")
        source = data.get("source", "")
        return cls(year=year, holidays=holidays, workdays=workdays, source=str(source))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> YearSchedule:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ScheduleError(f"{path}: not valid JSON ({exc})") from exc
        return cls.from_json(data, origin=str(path))


def _parse_days(value, key: str, origin: str) -> dict[dt.date, str]:
    if value is None:
        raise ScheduleError(f"{origin}: '{key}' is missing")
    if not isinstance(value, Mapping):
        raise ScheduleError(f"{origin}: '{key}' must map ISO dates to names")
    days = {}
    for text, name in value.items():
        try:
            day = dt.date.fromisoformat(text)
        except (TypeError, ValueError) as exc:
            raise ScheduleError(f"{origin}: {key}: {text!r} is not an ISO date (YYYY-MM-DD)") from exc
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ScheduleError(f"{origin}: {key}: {day} is outside {FIRST_DAY}..{LAST_DAY}")
        days[day] = str(name)
    return days


def _in_unknown_year(unknown_upto: list[int], offset: int) -> bool:
    """Whether the day at `offset` itself is in an unknown year (its count went up)."""
    return unknown_upto[offset] > (unknown_upto[offset - 1] if offset else 0)


def load_schedules(directory: str | os.PathLike) -> list[YearSchedule]:
    """Every `*.json` schedule in a folder, by year (other files, like examples, are ignored)."""
    schedules = [YearSchedule.from_file(path) for path in sorted(Path(directory).glob("*.json"))]
    years = [schedule.year for schedule in schedules]
    duplicates = sorted({year for year in years if years.count(year) > 1})
    if duplicates:
        raise ScheduleError(f"{directory}: more than one schedule file for year {duplicates[0]}")
    return sorted(schedules, key=lambda schedule: schedule.year)


def library_schedules() -> list[YearSchedule]:
    """The years chinese-calendar knows, with Chinese holiday names (春节, 国庆节 …)."""
    chinese = {holiday.value: holiday.chinese for holiday in library.Holiday}
    by_year: dict[int, YearSchedule] = {}
    for year in range(min(library.holidays).year, max(library.holidays).year + 1):
        by_year[year] = YearSchedule(year=year, holidays={}, workdays={}, source="chinese-calendar")
    for day, name in library.holidays.items():
        by_year[day.year].holidays[day] = chinese.get(name, name)
    for day, name in library.workdays.items():
        by_year[day.year].workdays[day] = chinese.get(name, name) + "调休"
    return list(by_year.values())


class WorkingCalendar:
    """Working days over FIRST_DAY..LAST_DAY from the library and loaded schedules.

    Immutable but for `adopt`: `with_schedules` returns a new calendar. All methods take and
    return `datetime.date`; dates outside the range raise CalendarRangeError.
    """

    def __init__(self, schedules: Iterable[YearSchedule] = (), *, use_library: bool = True):
        by_year = {s.year: s for s in library_schedules()} if use_library else {}
        # An operator's file replaces the library's year wholesale: it is the official text.
        by_year.update({s.year: s for s in schedules})
        self._schedules = dict(sorted(by_year.items()))
        self._build()

    def with_schedules(self, *schedules: YearSchedule) -> WorkingCalendar:
        """This calendar plus more (or corrected) official schedules."""
        calendar = WorkingCalendar.__new__(WorkingCalendar)
        calendar._schedules = dict(sorted({**self._schedules, **{s.year: s for s in schedules}}.items()))
        calendar._build()
        return calendar

    def adopt(self, other: WorkingCalendar) -> None:
        """Take over `other`'s schedules and tables in place, in one step for the event loop, so
        that everything holding this calendar (servicers, sweeps) sees a schedule an operator
        has just loaded, without a restart (see `watch_schedules`)."""
        self.__dict__.update(other.__dict__)

    def _build(self) -> None:
        holidays: dict[dt.date, str] = {}
        workdays: dict[dt.date, str] = {}
        for schedule in self._schedules.values():
            for day, name in schedule.holidays.items():
                workdays.pop(day, None)
                holidays[day] = name
            for day, name in schedule.workdays.items():
                holidays.pop(day, None)
                workdays[day] = name
        self._holidays = holidays
        self._workdays = workdays
        self._known_years = frozenset(self._schedules)

        base = FIRST_DAY.toordinal()
        size = LAST_DAY.toordinal() - base + 1
        working = bytearray(size)
        count_upto = [0] * size  # working days in FIRST_DAY..day, inclusive
        unknown_upto = [0] * size  # days of unknown years in FIRST_DAY..day, inclusive
        rank_offset: list[int] = []  # offset (from FIRST_DAY) of the working day of each rank
        count = unknown = 0
        day = FIRST_DAY
        one = dt.timedelta(days=1)
        for offset in range(size):
            if day in workdays:
                is_working = True
            elif day in holidays:
                is_working = False
            else:
                is_working = day.weekday() < SATURDAY
            if is_working:
                working[offset] = 1
                rank_offset.append(offset)
                count += 1
            if day.year not in self._known_years:
                unknown += 1
            count_upto[offset] = count
            unknown_upto[offset] = unknown
            day += one
        self._base = base
        self._size = size
        self._working = working
        self._count_upto = count_upto
        self._unknown_upto = unknown_upto
        self._rank_offset = rank_offset
        # Ready-made answers per rank: a deadline is then returned without building anything.
        # Provisional when the due day's own year is unknown; a gap year between a known
        # start and a known due day is caught by comparing unknown_upto (see add_working_days).
        self._rank_deadline = [
            Deadline(dt.date.fromordinal(base + offset), _in_unknown_year(unknown_upto, offset))
            for offset in rank_offset
        ]
        self._rank_unknown = [unknown_upto[offset] for offset in rank_offset]
        # The hot path as a closure over the tables: local look-ups instead of attribute ones
        # make the million-deadline target with room to spare on a busy machine.
        self.add_working_days = add = self._fast_add()

        def is_at_least_working_days_before(filed: dt.date, meeting: dt.date, n: int) -> bool:
            return add(filed, n)[0] <= meeting

        is_at_least_working_days_before.__doc__ = WorkingCalendar.is_at_least_working_days_before.__doc__
        self.is_at_least_working_days_before = is_at_least_working_days_before

    def _fast_add(self):
        base, size = self._base, self._size
        count_upto, unknown_upto = self._count_upto, self._unknown_upto
        rank_deadline, rank_unknown = self._rank_deadline, self._rank_unknown
        working, rank_offset = self._working, self._rank_offset
        general = self._add_working_days

        def add_working_days(start: dt.date, n: int) -> Deadline:
            offset = start.toordinal() - base
            if n > 0 and 0 <= offset < size:
                rank = count_upto[offset] + n - 1
                try:
                    deadline = rank_deadline[rank]
                except IndexError:
                    return general(start, n)  # raises CalendarRangeError
                if deadline.provisional or rank_unknown[rank] == unknown_upto[offset]:
                    return deadline
                return Deadline(deadline.due, True)
            if n < 0 and 0 < offset < size:
                rank = count_upto[offset] - working[offset] + n
                if rank >= 0:
                    deadline = rank_deadline[rank]
                    # depends on [due, start)
                    if deadline.provisional or unknown_upto[offset - 1] == unknown_upto[rank_offset[rank]]:
                        return deadline
                    return Deadline(deadline.due, True)
            return general(start, n)

        add_working_days.__doc__ = WorkingCalendar.add_working_days.__doc__
        return add_working_days

    # --- what is known -------------------------------------------------------------------

    @property
    def known_years(self) -> frozenset[int]:
        return self._known_years

    @property
    def known_until(self) -> int:
        """The end of the first unbroken run of known years: deadlines up to its end are final.

        (A later year may be known too when an operator loaded it ahead of a gap.)
        """
        if not self._known_years:
            return FIRST_DAY.year - 1
        year = min(self._known_years)
        while year + 1 in self._known_years:
            year += 1
        return year

    @property
    def first_unknown_day(self) -> dt.date:
        """1 January of the first year after `known_until`: a stored provisional deadline before
        this day can now be made final (the services' sweeps look for those)."""
        return dt.date(self.known_until + 1, 1, 1)

    def schedule_known(self, year: int) -> bool:
        return year in self._known_years

    def schedule(self, year: int) -> YearSchedule:
        try:
            return self._schedules[year]
        except KeyError:
            raise ScheduleUnknown(f"the official holiday schedule of {year} is not known yet") from None

    # --- single days -----------------------------------------------------------------------

    def _offset(self, day: dt.date) -> int:
        offset = day.toordinal() - self._base
        if not 0 <= offset < self._size:
            raise CalendarRangeError(f"{day} is outside the calendar range {FIRST_DAY}..{LAST_DAY}")
        return offset

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self._working[self._offset(day)])

    def holiday_name(self, day: dt.date) -> str | None:
        """The public holiday (e.g. "国庆节") a day belongs to, or None."""
        self._offset(day)
        return self._holidays.get(day)

    def makeup_workday_name(self, day: dt.date) -> str | None:
        """For a weekend day made into a working day, what it pays for (e.g. "国庆节调休")."""
        self._offset(day)
        return self._workdays.get(day)

    def statutory_holidays_on_weekdays(self, year: int) -> dict[dt.date, str]:
        """Holiday days of `year` that fall Monday to Friday, by date, with the holiday's name.

        For the A79 duty roster (带班): the days of the official holiday periods that are not
        a Saturday or Sunday, in-lieu rest days (调休休息) included. Empty for a year whose
        schedule is not known: check `schedule_known(year)` before calling a roster complete.
        """
        return {
            day: self._holidays[day]
            for day in sorted(self._holidays)
            if day.year == year and day.weekday() < SATURDAY
        }

    # --- limits ----------------------------------------------------------------------------

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The end of a limit of `n` working days starting on `start` (start day not counted).

        n > 0: the n-th working day after `start`; n < 0: the |n|-th working day before it;
        n == 0: `start` itself. Provisional when a day between them lies in an unknown year.
        (Each calendar replaces this method by a faster closure with the same behaviour.)
        """
        return self._add_working_days(start, n)

    def _add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The general path of add_working_days: any n, and the range errors."""
        offset = start.toordinal() - self._base
        if not 0 <= offset < self._size:
            raise CalendarRangeError(f"{start} is outside the calendar range {FIRST_DAY}..{LAST_DAY}")
        if n > 0:
            # Working days up to start have ranks 0..count-1, so the n-th after it has rank count+n-1.
            rank = self._count_upto[offset] + n - 1
            if rank >= len(self._rank_deadline):
                raise CalendarRangeError(f"{n} working days after {start} is beyond {LAST_DAY}")
            deadline = self._rank_deadline[rank]
            if deadline.provisional or self._rank_unknown[rank] == self._unknown_upto[offset]:
                return deadline
            return Deadline(deadline.due, True)
        if n < 0:
            rank = self._count_upto[offset] - self._working[offset] + n
            if rank < 0:
                raise CalendarRangeError(f"{-n} working days before {start} is before {FIRST_DAY}")
            deadline = self._rank_deadline[rank]
            # Depends on [due, start): unknown when the due day is, or a day before start is.
            due_offset = self._rank_offset[rank]
            before_start = self._unknown_upto[offset - 1] if offset else 0
            if deadline.provisional or before_start == self._unknown_upto[due_offset]:
                return deadline
            return Deadline(deadline.due, True)
        return Deadline(start, False)

    def add_working_days_many(self, starts: Iterable[dt.date], n: int) -> list[Deadline]:
        """`add_working_days` over many start days (for batch recomputation)."""
        add = self.add_working_days
        return [add(start, n) for start in starts]

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (negative when b is before a).

        So `working_days_between(s, add_working_days(s, n).due) == n` for n >= 0.
        """
        return self._count_upto[self._offset(b)] - self._count_upto[self._offset(a)]

    def provisional_between(self, a: dt.date, b: dt.date) -> bool:
        """Whether a day after the earlier and up to the later of a, b is in an unknown year."""
        return self._unknown_upto[self._offset(a)] != self._unknown_upto[self._offset(b)]

    def is_at_least_working_days_before(self, filed: dt.date, meeting: dt.date, n: int) -> bool:
        """Whether `filed` is at least `n` working days before `meeting`.

        Holds when the n-th working day after `filed` is not later than `meeting`.
        (Check `provisional_between(filed, meeting)` when it matters that the answer may change.)
        """
        return self.add_working_days(filed, n).due <= meeting


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    """The process-wide calendar: library plus the schedules in ZGOV_CALENDAR_DIR (if set).

    Read from the environment directly (not from ServiceSettings) so that pure domain code
    and tests can use it without a service's configuration.
    """
    directory = os.environ.get("ZGOV_CALENDAR_DIR")
    return WorkingCalendar(load_schedules(directory) if directory else ())


def reload_calendar() -> WorkingCalendar:
    """Re-read ZGOV_CALENDAR_DIR, e.g. after an operator added a year's schedule."""
    calendar.cache_clear()
    return calendar()


def schedules_fingerprint(directory: str | os.PathLike) -> tuple:
    """What changes when an operator adds, replaces or removes a schedule file."""
    try:
        return tuple(
            sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in Path(directory).glob("*.json"))
        )
    except OSError:
        return ()


async def watch_schedules(
    directory: str | os.PathLike | None = None, *, interval: float = 60.0, live: WorkingCalendar | None = None
) -> None:
    """Keep the process-wide calendar in step with ZGOV_CALENDAR_DIR (docs/design.md "Time": a
    provisional deadline is recomputed when the year's schedule arrives).

    Every `interval` seconds the folder is looked at; when its files changed, they are read
    (off the event loop: building the tables takes a moment) and `calendar()` adopts them. A bad
    file is logged and the calendar kept as it was. Services then put the official day on their
    stored provisional deadlines in their own sweeps. Without a folder there is nothing to watch.
    """
    import asyncio
    import logging

    log = logging.getLogger(__name__)
    directory = directory or os.environ.get("ZGOV_CALENDAR_DIR")
    if not directory:
        return
    live = live or calendar()
    seen = schedules_fingerprint(directory)
    while True:
        await asyncio.sleep(interval)
        now = schedules_fingerprint(directory)
        if now == seen:
            continue
        seen = now
        try:
            fresh = await asyncio.to_thread(lambda: WorkingCalendar(load_schedules(directory)))
        except (OSError, ScheduleError) as exc:
            log.error(
                "holiday schedules in %s not loaded, keeping the calendar as it was: %s", directory, exc
            )
            continue
        added = sorted(fresh.known_years - live.known_years)
        live.adopt(fresh)
        log.info("holiday schedules reloaded from %s; years now known: %s", directory, added or "none new")


def _check_files(paths: list[str]) -> int:
    """`python -m shared.workdays check FILE...`: validate schedule files before loading them."""
    status = 0
    for path in paths:
        try:
            schedule = YearSchedule.from_file(path)
        except (OSError, ScheduleError) as exc:
            print(f"BAD  {exc}")
            status = 1
            continue
        print(
            f"OK   {path}: year {schedule.year}, {len(schedule.holidays)} holiday days, "
            f"{len(schedule.workdays)} make-up working days"
        )
    return status


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 3 or sys.argv[1] != "check":
        print("usage: python -m shared.workdays check FILE...")
        sys.exit(2)
    sys.exit(_check_files(sys.argv[2:]))
