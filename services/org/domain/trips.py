"""Pure rules of temporary official trips abroad (因公临时出国（境）, A57, A58), no I/O.

The working rules (A57, A58): approved by task, never for sightseeing; group size, number of countries
and days abroad within the national limits; costs never paid by companies or subordinate units; gifts
handled by the rules. The national numbers (kept as data, `TripLimits`, an operator's JSON file):

- 中共中央办公厅、国务院办公厅《关于进一步加强因公临时出国（境）管理的规定》(中办发〔2013〕16号):
  no trip without a substantive task, no sightseeing (参观游览) and no general study tours (考察性出访);
  a group of at most 6 (翻译 included); at most 3 countries or regions per trip (stops counted); at most
  5 days for one country, 8 for two, 10 for three, the days of leaving and entering China counted;
  one more day for Latin America and Africa where flights connect badly; the costs from the unit's
  own budget, never paid by companies, subordinate units or other units (不得由企业、下属单位或者
  其他单位支付).
- 国务院令第133号《关于在对外公务活动中赠送和接受礼品的规定》(1993): a gift worth 200 yuan or
  more at Chinese market prices is handed over within one month of the return (自回国之日起一个月内).
- The report after return (出访报告) within one month (30 days here) of the return, to the approving
  authority, as the provincial rules implementing 中办发〔2013〕16号 ask.
- Who approves: a trip of a city leader (厅局级, here the mayor, the vice mayors and the
  secretary-general) is approved by the province (its approval number is recorded); the others by
  the city. Which positions are province-approved is data too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

from shared.errors import InvalidInput, RuleViolation


class TaskKind(str, Enum):
    NEGOTIATION = "negotiation"  # 商务洽谈、招商引资
    CONFERENCE = "conference"  # 出席国际会议
    AGREEMENT = "agreement"  # 签署协议、友城交流
    SPECIFIC_BUSINESS = "specific_business"  # 执行专项业务
    SIGHTSEEING = "sightseeing"  # 参观游览
    STUDY_TOUR = "study_tour"  # 一般性考察


COUNTRY_CODE = re.compile(r"[A-Z]{2,3}")
NO_SUBSTANTIVE_TASK = frozenset({TaskKind.SIGHTSEEING, TaskKind.STUDY_TOUR})


class Payer(str, Enum):
    OWN_BUDGET = "own_budget"  # 本单位预算
    INVITER = "inviter"  # 邀请方
    COMPANY = "company"  # 企业
    SUBORDINATE_UNIT = "subordinate_unit"  # 下属单位


FORBIDDEN_PAYERS = frozenset({Payer.COMPANY, Payer.SUBORDINATE_UNIT})


class TripState(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPORTED = "reported"


@dataclass(frozen=True)
class TripLimits:
    max_members: int = 6
    max_countries: int = 3
    max_days_by_countries: tuple[int, ...] = (5, 8, 10)
    far_region_extra_days: int = 1
    report_days: int = 30
    gift_hand_over_threshold_fen: int = 20_000
    gift_hand_over_days: int = 30
    province_approved_positions: tuple[str, ...] = (
        "mayor",
        "executive-vice-mayor",
        "vice-mayor",
        "secretary-general",
    )
    # The positions whose absence hands duties to a stand-in (A10, A59): their trip is a leave.
    leave_positions: tuple[str, ...] = ("mayor", "executive-vice-mayor", "vice-mayor", "secretary-general")

    @classmethod
    def from_mapping(cls, data: dict) -> TripLimits:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown trip limits: {', '.join(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        limits = cls(**values)
        if len(limits.max_days_by_countries) < limits.max_countries:
            raise ValueError("max_days_by_countries needs a number for each count of countries")
        return limits

    @classmethod
    def from_file(cls, path: str | Path) -> TripLimits:
        return cls.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Member:
    user_id: str
    position: str
    name: str = ""


@dataclass(frozen=True)
class TripRequest:
    task_kind: TaskKind | None
    purpose: str
    invitation_ref: str
    countries: tuple[str, ...]
    far_region: bool
    first_day: date | None
    last_day: date | None
    members: tuple[Member, ...] = field(default=())
    payer: Payer | None = None

    @property
    def days(self) -> int:
        """Departure and return both counted."""
        return (self.last_day - self.first_day).days + 1


def check_input(trip: TripRequest, today: date) -> None:
    problems = []
    if trip.task_kind is None:
        problems.append(("task_kind", "required"))
    if not trip.purpose.strip():
        problems.append(("purpose", "required: the task (出访任务)"))
    if not trip.invitation_ref.strip():
        problems.append(("invitation_ref", "required: the invitation of the counterpart abroad"))
    if not trip.countries:
        problems.append(("countries", "at least one"))
    elif not all(COUNTRY_CODE.fullmatch(c) for c in trip.countries):
        problems.append(("countries", "ISO 3166 codes of the countries or regions (DE, FR, HK …)"))
    if not trip.members:
        problems.append(("members", "at least one"))
    if len({m.user_id for m in trip.members}) != len(trip.members) or any(
        not m.user_id for m in trip.members
    ):
        problems.append(("members", "each member once, with a user id"))
    if trip.payer is None:
        problems.append(("payer", "required"))
    if trip.first_day is None or trip.last_day is None:
        problems.append(("first_day", "first and last day required"))
    elif trip.last_day < trip.first_day:
        problems.append(("last_day", "not before the first day"))
    elif trip.first_day <= today:
        problems.append(("first_day", "a trip is approved before it leaves: a day after today"))
    elif trip.first_day > today + timedelta(days=730):
        problems.append(("first_day", "within the next two years (the yearly trip plans)"))
    if problems:
        raise InvalidInput(problems)


def check_rules(trip: TripRequest, limits: TripLimits) -> None:
    """A57, A58: refused without a substantive task, over a national limit, or paid by the wrong payer."""
    if trip.task_kind in NO_SUBSTANTIVE_TASK:
        raise RuleViolation(
            "A57.no-substantive-task",
            f"a trip of kind {trip.task_kind.value} has no substantive task (no sightseeing, no "
            "general study tour)",
        )
    if len(trip.members) > limits.max_members:
        raise RuleViolation("A57.group-size", f"{len(trip.members)} members; at most {limits.max_members}")
    countries = len(set(trip.countries))
    if countries > limits.max_countries:
        raise RuleViolation(
            "A57.countries", f"{countries} countries or regions; at most {limits.max_countries}"
        )
    allowed = limits.max_days_by_countries[countries - 1] + (
        limits.far_region_extra_days if trip.far_region else 0
    )
    if trip.days > allowed:
        raise RuleViolation(
            "A57.days", f"{trip.days} days abroad for {countries} countries; at most {allowed}"
        )
    if trip.payer in FORBIDDEN_PAYERS:
        raise RuleViolation("A58.payer", f"a trip is never paid by a {trip.payer.value.replace('_', ' ')}")


def authority_for(members: tuple[Member, ...] | list[Member], limits: TripLimits) -> str:
    """Who approves: the province when any member holds a province-approved position, else the city."""
    return "province" if any(m.position in limits.province_approved_positions for m in members) else "city"


def check_approval(
    *, authority: str, authority_reference: str, approver_user_id: str, members: list[Member]
) -> None:
    if any(m.user_id == approver_user_id for m in members):
        raise RuleViolation("A57.own-trip", "a trip is approved by someone who does not travel on it")
    if authority == "province" and not authority_reference.strip():
        raise RuleViolation(
            "A57.authority",
            "the province approves a trip of a city leader: give its approval number (批件号)",
        )


def leaders_on(members: list[Member], limits: TripLimits) -> list[Member]:
    return [m for m in members if m.position in limits.leave_positions]


def report_due(last_day: date, limits: TripLimits) -> date:
    return last_day + timedelta(days=limits.report_days)


class OverdueStep(str, Enum):
    REPORT = "report"  # 出访报告
    GIFT_HAND_OVER = "gift_hand_over"  # 礼品上缴


@dataclass(frozen=True)
class Overdue:
    """A step of a trip past its limit and not done, not announced yet."""

    step: OverdueStep
    due: date
    user_id: str
    gift_id: str = ""


def overdue(
    *,
    state: TripState,
    report_due: date,
    report_announced: bool,
    requested_by_user_id: str,
    gifts: list[dict],
    today: date,
) -> list[Overdue]:
    """What of an approved trip came due and was not done (A57 report, A58 gifts), each told once:
    the report of a trip not reported by its limit; each gift to hand over, not handed over by its
    limit (a gift's `overdue_announced_on` marks it told)."""
    if state not in (TripState.APPROVED, TripState.REPORTED):
        return []
    found = []
    if state is TripState.APPROVED and report_due < today and not report_announced:
        found.append(Overdue(OverdueStep.REPORT, report_due, requested_by_user_id))
    for g in gifts:
        due = date.fromisoformat(g["hand_over_due"]) if g.get("hand_over_due") else None
        if g["must_hand_over"] and not g["handed_over_on"] and due and due < today:
            if not g.get("overdue_announced_on"):
                found.append(Overdue(OverdueStep.GIFT_HAND_OVER, due, g["received_by_user_id"], g["id"]))
    return found


def gift_terms(value_fen: int, last_day: date, limits: TripLimits) -> tuple[bool, date | None]:
    """(must it be handed over, by when) — 国务院令第133号: from 200 yuan, within a month of return."""
    if value_fen >= limits.gift_hand_over_threshold_fen:
        return True, last_day + timedelta(days=limits.gift_hand_over_days)
    return False, None
