"""Working-day arithmetic (shared.workdays), expected values worked out by hand in comments."""

import datetime as dt
import json
from pathlib import Path

import chinese_calendar
import pytest

from shared import workdays
from shared.workdays import (
    CalendarRangeError,
    Deadline,
    ScheduleError,
    ScheduleUnknown,
    WorkingCalendar,
    YearSchedule,
)

D = dt.date
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    """Library data only (2004-2026), whatever ZGOV_CALENDAR_DIR says."""
    return WorkingCalendar()


def schedule_file(folder: Path, year: int, holidays: dict, workdays_: dict | None = None) -> Path:
    path = folder / f"{year}.json"
    path.write_text(
        json.dumps({"year": year, "holidays": holidays, "workdays": workdays_ or {}}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


# --- 2024 National Day: holiday 10-01 (Tue) .. 10-07 (Mon); 09-29 (Sun) and 10-12 (Sat) are workdays


def test_national_day_2024_days(cal):
    for day in range(1, 8):
        assert not cal.is_working_day(D(2024, 10, day))
        assert cal.holiday_name(D(2024, 10, day)) == "国庆节"
    assert cal.is_working_day(D(2024, 9, 29))  # Sunday made a working day
    assert cal.is_working_day(D(2024, 10, 12))  # Saturday made a working day
    assert cal.makeup_workday_name(D(2024, 9, 29)) == "国庆节调休"
    assert not cal.is_working_day(D(2024, 9, 28))  # an ordinary Saturday
    assert cal.holiday_name(D(2024, 10, 8)) is None


@pytest.mark.parametrize(
    ("n", "due"),
    [
        # start Fri 2024-09-27; not counted. 09-28 Sat rests; 09-29 Sun is a make-up working day
        (1, D(2024, 9, 29)),
        (2, D(2024, 9, 30)),  # Mon
        (3, D(2024, 10, 8)),  # 10-01..10-07 holiday: next is Tue 10-08
        (5, D(2024, 10, 10)),  # 10-08 (3), 10-09 (4), 10-10 (5)
        (7, D(2024, 10, 12)),  # 10-11 Fri (6), 10-12 Sat make-up day (7)
        (8, D(2024, 10, 14)),  # 10-13 Sun rests; Mon 10-14 (8)
    ],
)
def test_national_day_2024_limits(cal, n, due):
    assert cal.add_working_days(D(2024, 9, 27), n) == Deadline(due, False)


def test_start_day_is_not_counted(cal):
    # Mon 2024-10-14 is a working day, yet a 1-day limit started on it ends on Tue 10-15.
    assert cal.add_working_days(D(2024, 10, 14), 1).due == D(2024, 10, 15)
    # Started on a holiday (Thu 10-03): the first working day after it is Tue 10-08.
    assert cal.add_working_days(D(2024, 10, 3), 1).due == D(2024, 10, 8)
    # Started on a make-up Sunday (09-29): Mon 09-30 is the first.
    assert cal.add_working_days(D(2024, 9, 29), 1).due == D(2024, 9, 30)
    assert cal.add_working_days(D(2024, 10, 14), 0).due == D(2024, 10, 14)


def test_makeup_workday_counts(cal):
    # Fri 2024-10-11 + 1: Sat 10-12 is a make-up working day, so the limit ends that Saturday.
    assert cal.add_working_days(D(2024, 10, 11), 1).due == D(2024, 10, 12)
    # Fri 2024-10-18 + 1: an ordinary Saturday and Sunday rest, Mon 10-21.
    assert cal.add_working_days(D(2024, 10, 18), 1).due == D(2024, 10, 21)


@pytest.mark.parametrize(
    ("n", "due"),
    [
        # 2025 Spring Festival: holiday 01-28 (Tue) .. 02-04 (Tue); workdays 01-26 (Sun), 02-08 (Sat).
        # start Fri 2025-01-24; 01-25 Sat rests
        (1, D(2025, 1, 26)),  # Sun make-up day
        (2, D(2025, 1, 27)),  # Mon
        (3, D(2025, 2, 5)),  # Wed, first day after the holiday
        (5, D(2025, 2, 7)),  # 02-05 (3), 02-06 (4), 02-07 (5)
        (6, D(2025, 2, 8)),  # Sat make-up day
        (7, D(2025, 2, 10)),  # 02-09 Sun rests; Mon
    ],
)
def test_spring_festival_2025_limits(cal, n, due):
    assert cal.add_working_days(D(2025, 1, 24), n) == Deadline(due, False)
    assert cal.holiday_name(D(2025, 1, 29)) == "春节"


def test_subtracting_working_days(cal):
    # Wed 2025-02-05 - 1: back over the holiday to Mon 01-27.
    assert cal.add_working_days(D(2025, 2, 5), -1).due == D(2025, 1, 27)
    # Tue 2024-10-08 - 3: Mon 09-30 (1), Sun 09-29 make-up (2), Fri 09-27 (3).
    assert cal.add_working_days(D(2024, 10, 8), -3) == Deadline(D(2024, 9, 27), False)
    # From a holiday (Sat 2024-10-05) - 1: the last working day before it is Mon 09-30.
    assert cal.add_working_days(D(2024, 10, 5), -1).due == D(2024, 9, 30)


def test_add_and_subtract_are_inverse_on_working_days(cal):
    day = D(2024, 1, 2)
    while day < D(2025, 12, 1):
        if cal.is_working_day(day):
            for n in (1, 3, 20):
                due = cal.add_working_days(day, n).due
                assert cal.add_working_days(due, -n).due == day
                assert cal.working_days_between(day, due) == n
        day += dt.timedelta(days=1)


def test_agrees_with_chinese_calendar_over_its_years(cal):
    """Independent oracle: chinese_calendar.find_workday(n, d) is the n-th working day after a working d."""
    day, checked = D(2004, 1, 1), 0
    while day <= D(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        if day.day == 1 and cal.is_working_day(day) and day < D(2026, 11, 1):
            for n in (1, 5, 15):
                assert cal.add_working_days(day, n).due == chinese_calendar.find_workday(n, day), (day, n)
                checked += 1
        day += dt.timedelta(days=1)
    assert checked > 300


def test_working_days_between(cal):
    # Mon 2024-09-30 .. Tue 10-08: only 10-08 is a working day after 09-30.
    assert cal.working_days_between(D(2024, 9, 30), D(2024, 10, 8)) == 1
    # Fri 09-27 .. Sat 10-12: 09-29, 09-30, 10-08, 10-09, 10-10, 10-11, 10-12
    assert cal.working_days_between(D(2024, 9, 27), D(2024, 10, 12)) == 7
    assert cal.working_days_between(D(2024, 10, 12), D(2024, 9, 27)) == -7
    assert cal.working_days_between(D(2024, 10, 3), D(2024, 10, 3)) == 0


# --- "at least N working days before" (docs/design.md: holds when the N-th working day after F <= D)


@pytest.mark.parametrize(
    ("filed", "n", "expected"),
    [
        # meeting Thu 2024-10-10, n = 3
        (D(2024, 9, 30), 3, True),  # 10-08, 10-09, 10-10: the 3rd is the meeting day itself
        (D(2024, 10, 7), 3, True),  # filed on a holiday: 10-08, 10-09, 10-10
        (D(2024, 10, 8), 3, False),  # 10-09, 10-10, 10-11: one day short
        (D(2024, 9, 29), 3, True),  # filed on the make-up Sunday: 09-30, 10-08, 10-09
        (D(2024, 10, 9), 1, True),  # 10-10 is the 1st working day after 10-09
        (D(2024, 10, 10), 1, False),  # filed on the meeting day
        (D(2024, 10, 10), 0, True),
    ],
)
def test_at_least_working_days_before(cal, filed, n, expected):
    assert cal.is_at_least_working_days_before(filed, D(2024, 10, 10), n) is expected


# --- A79: statutory holidays other than weekends


def test_A79_statutory_holidays_on_weekdays_2024(cal):
    # 2024 holiday days Mon-Fri: 01-01; 02-12..02-16 (02-10/11/17 weekend); 04-04, 04-05 (04-06 Sat);
    # 05-01..05-03 (05-04/05 weekend); 06-10; 09-16, 09-17 (09-15 Sun); 10-01..10-04, 10-07.
    expected = [D(2024, 1, 1)]
    expected += [D(2024, 2, day) for day in range(12, 17)]
    expected += [D(2024, 4, 4), D(2024, 4, 5)]
    expected += [D(2024, 5, day) for day in (1, 2, 3)]
    expected += [D(2024, 6, 10), D(2024, 9, 16), D(2024, 9, 17)]
    expected += [D(2024, 10, day) for day in (1, 2, 3, 4, 7)]
    duty_days = cal.statutory_holidays_on_weekdays(2024)
    assert list(duty_days) == expected
    assert len(expected) == 19
    assert duty_days[D(2024, 10, 7)] == "国庆节" and duty_days[D(2024, 2, 12)] == "春节"


def test_A79_holidays_of_an_unknown_year_are_not_guessed(cal):
    assert not cal.schedule_known(2030)
    assert cal.statutory_holidays_on_weekdays(2030) == {}
    with pytest.raises(ScheduleUnknown):
        cal.schedule(2030)


# --- years beyond the known ones


def test_library_known_until_2026(cal):
    assert cal.known_until == 2026
    assert cal.schedule_known(2026) and not cal.schedule_known(2027)


def test_deadline_into_unknown_year_is_provisional(cal):
    # Wed 2026-12-30 + 1 = Thu 12-31: all in 2026, final.
    assert cal.add_working_days(D(2026, 12, 30), 1) == Deadline(D(2026, 12, 31), False)
    # Thu 2026-12-31 + 1: 2027 unknown, weekends only, so Fri 2027-01-01 counts: provisional.
    assert cal.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 1), True)
    # + 2: 01-02 Sat, 01-03 Sun rest, Mon 01-04.
    assert cal.add_working_days(D(2026, 12, 31), 2) == Deadline(D(2027, 1, 4), True)
    # Going back from an unknown year into a known one depends on the unknown days passed over.
    assert cal.add_working_days(D(2027, 1, 4), -2) == Deadline(D(2026, 12, 31), True)
    assert cal.provisional_between(D(2026, 12, 1), D(2027, 1, 1))
    assert not cal.provisional_between(D(2026, 12, 1), D(2026, 12, 31))


def test_loading_a_schedule_makes_deadline_final(tmp_path, cal):
    path = schedule_file(tmp_path, 2027, {"2027-01-01": "元旦", "2027-01-02": "元旦", "2027-01-03": "元旦"})
    loaded = cal.with_schedules(YearSchedule.from_file(path))
    # Now Fri 2027-01-01 is a holiday: Thu 2026-12-31 + 1 = Mon 01-04, and final.
    assert loaded.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), False)
    assert loaded.known_until == 2027
    assert loaded.holiday_name(D(2027, 1, 1)) == "元旦"
    # the original calendar is unchanged
    assert cal.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 1), True)


def test_a_gap_year_keeps_a_deadline_provisional(tmp_path, cal):
    # 2028 is loaded, 2027 is not. Fri 2027-01-01 .. Fri 2027-12-31 is 365 days = 52 weeks + a Friday:
    # 52 * 5 + 1 = 261 weekday-rule working days. 2028-01-01 Sat, 01-02 Sun, 01-03 Mon holiday:
    # the 262nd working day after Thu 2026-12-31 is Tue 2028-01-04, still provisional (2027 unknown).
    path = schedule_file(tmp_path, 2028, {"2028-01-01": "元旦", "2028-01-02": "元旦", "2028-01-03": "元旦"})
    loaded = cal.with_schedules(YearSchedule.from_file(path))
    assert loaded.add_working_days(D(2026, 12, 31), 262) == Deadline(D(2028, 1, 4), True)
    assert loaded.known_until == 2026 and loaded.schedule_known(2028)
    # Within 2028 alone nothing is unknown: Mon 2028-01-03 (holiday) + 1 = Tue 01-04, final.
    assert loaded.add_working_days(D(2028, 1, 3), 1) == Deadline(D(2028, 1, 4), False)


def test_operator_file_replaces_library_year(tmp_path, cal):
    # A (fictional) correction of 2024 without the National Day make-up Sunday 09-29.
    path = schedule_file(tmp_path, 2024, {"2024-10-01": "国庆节"})
    loaded = cal.with_schedules(YearSchedule.from_file(path))
    assert not loaded.is_working_day(D(2024, 9, 29))
    assert loaded.is_working_day(D(2024, 10, 2))


def test_calendar_reads_ZGOV_CALENDAR_DIR(tmp_path, monkeypatch):
    schedule_file(tmp_path, 2027, {"2027-01-01": "元旦"})
    (tmp_path / "notes.txt").write_text("ignored")
    monkeypatch.setenv("ZGOV_CALENDAR_DIR", str(tmp_path))
    try:
        assert workdays.reload_calendar().schedule_known(2027)
        assert workdays.calendar() is workdays.calendar()
    finally:
        monkeypatch.delenv("ZGOV_CALENDAR_DIR")
        workdays.reload_calendar()
    assert not workdays.calendar().schedule_known(2027)


def test_example_schedule_file_is_valid():
    schedule = YearSchedule.from_file(REPO / "deploy/calendar/2027.json.example")
    assert schedule.year == 2027
    assert all(day.weekday() >= 5 for day in schedule.workdays)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holidays": {}}, "year"),
        ({"year": 2027}, "'holidays' is missing"),
        ({"year": 2027, "holidays": {"2027-13-01": "元旦"}}, "not an ISO date"),
        ({"year": 2027, "holidays": {}, "workdays": {"2027-01-04": "x"}}, "not a Saturday or Sunday"),
        ({"year": 2027, "holidays": {"2027-01-02": "元旦"}, "workdays": {"2027-01-02": "x"}}, "both"),
        ({"year": 2027, "holidays": {"2030-01-01": "元旦"}}, "too far"),
    ],
)
def test_malformed_schedule_is_refused(data, message):
    with pytest.raises(ScheduleError, match=message):
        YearSchedule.from_json(data)


def test_two_files_for_one_year_are_refused(tmp_path):
    schedule_file(tmp_path, 2027, {})
    (tmp_path / "2027-corrected.json").write_text(json.dumps({"year": 2027, "holidays": {}}))
    with pytest.raises(ScheduleError, match="more than one"):
        workdays.load_schedules(tmp_path)


def test_dates_outside_the_range_are_refused(cal):
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(D(1999, 12, 31), 1)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(D(2100, 12, 30), 5)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(D(2000, 1, 4), -5)
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(D(2101, 1, 1))


def test_batch_matches_single(cal):
    starts = [D(2024, 9, 27), D(2025, 1, 24), D(2026, 12, 31)]
    assert cal.add_working_days_many(starts, 3) == [cal.add_working_days(s, 3) for s in starts]


def naive_deadline(cal: WorkingCalendar, start: dt.date, n: int) -> Deadline:
    """Day by day, as a person counts on a wall calendar: the oracle for the precomputed tables."""
    step = dt.timedelta(days=1 if n > 0 else -1)
    day, counted, provisional = start, 0, False
    while counted < abs(n):
        day += step
        provisional |= not cal.schedule_known(day.year)
        counted += cal.is_working_day(day)
    if n < 0:
        # going back, the days passed over are [due, start): the start day itself is not among them
        provisional = any(
            not cal.schedule_known((day + dt.timedelta(days=i)).year) for i in range((start - day).days)
        )
    return Deadline(day, provisional)


def test_tables_agree_with_counting_day_by_day(tmp_path, cal):
    # 2028 known, 2027 not: known, gap and beyond-known years all occur between 2025 and 2030.
    holidays = {"2028-01-03": "元旦", "2028-10-02": "国庆节"}
    path = schedule_file(tmp_path, 2028, holidays, {"2028-10-08": "国庆节调休"})
    loaded = cal.with_schedules(YearSchedule.from_file(path))
    day = D(2025, 6, 1)
    while day < D(2030, 1, 1):
        for n in (1, 7, 30, 300, -1, -7, -30, -300):
            assert loaded.add_working_days(day, n) == naive_deadline(loaded, day, n), (day, n)
        day += dt.timedelta(days=5)


async def test_a_schedule_loaded_by_an_operator_is_adopted_without_restart(tmp_path):
    """docs/design.md "Time": when a year's schedule arrives, deadlines into that year become official.
    The watcher reads the folder when it changes and the calendar every holder has adopts it; a
    bad file is refused and the calendar kept."""
    import asyncio
    import json

    from shared.workdays import WorkingCalendar, watch_schedules

    live = WorkingCalendar()
    holder = live.add_working_days  # e.g. a servicer that kept the calendar at start
    day = dt.date(2031, 1, 1)  # a Wednesday, and a year nobody knows yet
    assert live.is_working_day(day) and not live.schedule_known(2031)
    watcher = asyncio.create_task(watch_schedules(tmp_path, interval=0.01, live=live))
    try:
        (tmp_path / "2031.json").write_text("{not json")
        await asyncio.sleep(0.2)
        assert not live.schedule_known(2031)  # refused, calendar unchanged
        (tmp_path / "2031.json").write_text(
            json.dumps({"year": 2031, "holidays": {"2031-01-01": "元旦"}, "workdays": {}})
        )
        for _ in range(200):
            if live.schedule_known(2031):
                break
            await asyncio.sleep(0.02)
        assert live.schedule_known(2031) and not live.is_working_day(day)
        assert live.add_working_days(dt.date(2030, 12, 31), 1) == (dt.date(2031, 1, 2), False)
        assert holder(dt.date(2030, 12, 31), 1).provisional  # a bound method kept from before is stale;
        # servicers hold the calendar object, not its methods, so they see the new schedule.
    finally:
        watcher.cancel()


def test_the_first_unknown_day_is_where_stored_provisional_deadlines_stop_being_final():
    from shared.workdays import WorkingCalendar, YearSchedule

    cal = WorkingCalendar()
    assert cal.first_unknown_day == dt.date(cal.known_until + 1, 1, 1)
    later = cal.with_schedules(YearSchedule(cal.known_until + 1, holidays={}))
    assert later.first_unknown_day == dt.date(cal.known_until + 2, 1, 1)
