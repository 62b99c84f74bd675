"""Responses to public concerns (回应关切): the rules, without I/O.

- A70 (工作规则 第七十条): issues the news media follow and the public discusses (新闻媒体关注、群众热议的
  问题) are taken seriously, answered actively, investigated and verified (调查核实), and correct
  information is published in time. Article 三十七 asks the same: 及时回应公众关切.
- The time limits follow the State Council General Office's notice on responding to government-related
  public concerns (国务院办公厅《关于在政务公开工作中进一步做好政务舆情回应的通知》, 国办发〔2016〕61号):
  for major and especially major emergencies (重大、特别重大突发事件) authoritative information within 5
  hours at the latest and a press conference within 24 hours; for other concerns a response within 48
  hours. They are clock hours from when the concern was first seen, not working days.
- A response is published only after the responsible department has recorded what its investigation
  verified (A70: 调查核实, then 正确发布信息).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import InvalidInput, RuleViolation

# 国办发〔2016〕61号: major / especially major emergencies — authoritative information within 5 hours
# at the latest (最迟要在5小时内发布权威信息) and a press conference within 24 hours (在24小时内举行新闻
# 发布会); other concerns — a response within 48 hours (原则上应在48小时内予以回应). Clock hours.
MAJOR_RESPONSE_HOURS = 5
MAJOR_PRESS_CONFERENCE_HOURS = 24
GENERAL_RESPONSE_HOURS = 48

# A concern first seen "in the future" by more than this is a typing mistake, not clock skew.
CLOCK_SKEW = timedelta(minutes=5)
MAX_SUMMARY = 2000
MAX_VERIFICATION = 20_000
MAX_TITLE = 500
MAX_BODY = 200_000


class Source(enum.Enum):
    MEDIA = "media"  # 新闻媒体报道
    ONLINE = "online"  # 网络舆情（网民热议）
    HOTLINE = "hotline"  # 12345 热线
    PEOPLES_CONGRESS = "peoples_congress"  # 人大代表、政协委员
    OTHER = "other"


class Severity(enum.Enum):
    MAJOR = "major"  # 涉及重大、特别重大突发事件
    GENERAL = "general"  # 一般


class State(enum.Enum):
    REGISTERED = "registered"  # the department investigates
    VERIFIED = "verified"  # the department recorded what it verified
    RESPONDED = "responded"  # the response is published


class Limit(enum.Enum):
    """The limits a concern can be overdue on (each announced once)."""

    RESPONSE = "response"
    PRESS_CONFERENCE = "press_conference"


@dataclass(frozen=True)
class Limits:
    response_due: datetime
    press_conference_due: datetime | None  # major concerns only


def limits(severity: Severity, first_seen_at: datetime) -> Limits:
    """国办发〔2016〕61号: 5 hours (and a press conference within 24) for a major emergency, else 48 hours."""
    if severity is Severity.MAJOR:
        return Limits(
            first_seen_at + timedelta(hours=MAJOR_RESPONSE_HOURS),
            first_seen_at + timedelta(hours=MAJOR_PRESS_CONFERENCE_HOURS),
        )
    return Limits(first_seen_at + timedelta(hours=GENERAL_RESPONSE_HOURS), None)


def is_late(due: datetime | None, now: datetime, done_at: datetime | None = None) -> bool:
    """Past a limit: not done when it ended, or done after it. A limit ends at its instant."""
    if due is None:
        return False
    return (done_at or now) > due


def overdue_limits(
    state: State,
    severity: Severity,
    now: datetime,
    response_due: datetime,
    press_conference_due: datetime | None,
    press_conference_at: datetime | None,
    already_notified: frozenset[Limit],
) -> list[Limit]:
    """The limits passed with nothing done that have not been announced yet (each is announced once)."""
    passed = []
    if state is not State.RESPONDED and now > response_due:
        passed.append(Limit.RESPONSE)
    if (
        severity is Severity.MAJOR
        and press_conference_due is not None
        and press_conference_at is None
        and now > press_conference_due
    ):
        passed.append(Limit.PRESS_CONFERENCE)
    return [limit for limit in passed if limit not in already_notified]


# ---- the officer's and the department's acts ---------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    source: Source | None
    summary: str
    first_seen_at: datetime | None
    severity: Severity | None
    department_code: str
    department_name: str = ""
    source_detail: str = ""  # e.g. the outlet or the thread


def check_registration(r: Registration, now: datetime) -> None:
    problems: dict[str, str] = {}
    if r.source is None:
        problems["source"] = "where it was seen: media, online, hotline (12345), people's congress, other"
    if not r.summary.strip():
        problems["summary"] = "what the public is concerned about"
    elif len(r.summary) > MAX_SUMMARY:
        problems["summary"] = f"at most {MAX_SUMMARY} characters"
    if len(r.source_detail) > 500:
        problems["source_detail"] = "at most 500 characters"
    if r.first_seen_at is None:
        problems["first_seen_at"] = "when it was first seen: the response limits run from it"
    elif r.first_seen_at > now + CLOCK_SKEW:
        problems["first_seen_at"] = "not in the future"
    if r.severity is None:
        problems["severity"] = "major (重大、特别重大突发事件) or general"
    if not r.department_code.strip():
        problems["department_code"] = "the department asked to investigate and verify (调查核实)"
    elif len(r.department_code) > 64:
        problems["department_code"] = "at most 64 characters"
    if problems:
        raise InvalidInput(problems)


def check_verification(state: State, department_code: str, actor_organisation: str, findings: str) -> None:
    """A70: the responsible department records what its investigation verified, before any response."""
    if state is State.RESPONDED:
        raise InvalidInput({"concern_id": "the response is published: a further finding is a new response"})
    if actor_organisation != department_code:
        raise RuleViolation(
            "A70.verified-by-department",
            f"the department asked to investigate ({department_code}) records the verification",
        )
    if not findings.strip():
        raise InvalidInput({"findings": "what the investigation verified (调查核实情况)"})
    if len(findings) > MAX_VERIFICATION:
        raise InvalidInput({"findings": f"at most {MAX_VERIFICATION} characters"})


def check_response(state: State, title: str, body: str) -> None:
    """A70: 调查核实 before 发布信息 — no response without the department's recorded verification."""
    problems = {}
    if not title.strip():
        problems["title"] = "the response's title"
    elif len(title) > MAX_TITLE:
        problems["title"] = f"at most {MAX_TITLE} characters"
    if not body.strip():
        problems["body"] = "the response (回应内容)"
    elif len(body) > MAX_BODY:
        problems["body"] = f"at most {MAX_BODY} characters"
    if state is State.RESPONDED:
        problems["concern_id"] = "its response is published already"
    if problems:
        raise InvalidInput(problems)
    if state is not State.VERIFIED:
        raise RuleViolation(
            "A70",
            "a response is published after the responsible department has recorded "
            "what its investigation verified (调查核实)",
        )


def check_press_conference(
    held_at: datetime | None, first_seen_at: datetime, now: datetime, already: datetime | None
) -> None:
    """A press conference (新闻发布会): required within 24 hours for a major emergency, recorded for any."""
    problems = {}
    if already is not None:
        problems["concern_id"] = "a press conference is recorded already"
    if held_at is None:
        problems["held_at"] = "when it was held"
    elif held_at < first_seen_at or held_at > now + CLOCK_SKEW:
        problems["held_at"] = "after the concern was first seen and not in the future"
    if problems:
        raise InvalidInput(problems)
