"""Pure rules of circulars (情况通报, A61), no I/O.

A monthly circular of the supervision items: per body the items closed on time, closed, and overdue at the
month's end; the items praised (表扬) — closed by their due date — and criticised (批评) — past due; an item
the ladder sent to the mayor that month (10 working days past due) is criticised whatever the office
chose ("and into the next circular"). One circular a month; sent to be issued once.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from shared.errors import InvalidInput, RuleViolation


class Verdict(enum.Enum):
    PRAISE = "praise"  # 表扬
    CRITICISM = "criticism"  # 批评


class CircularState(enum.Enum):
    DRAFTED = "drafted"
    ISSUE_REQUESTED = "issue_requested"


VERDICT_WORDS = {Verdict.PRAISE: "表扬", Verdict.CRITICISM: "批评"}


@dataclass(frozen=True)
class Entry:
    item_id: str
    verdict: Verdict | None
    reason: str
    item_number: str = ""
    lead_body_code: str = ""
    from_escalation: bool = False

    def as_row(self) -> dict:
        return {
            "item_id": self.item_id,
            "item_number": self.item_number,
            "lead_body_code": self.lead_body_code,
            "verdict": self.verdict.value,
            "reason": self.reason.strip(),
            "from_escalation": self.from_escalation,
        }


@dataclass(frozen=True)
class ItemFacts:
    """What a verdict is checked against: the item's state, due date and the day completion was claimed."""

    item_id: str
    number: str
    lead_body_code: str
    state: str
    due: date | None
    claimed_on: date | None


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def check_month(year: int, month: int, today: date) -> None:
    if not 2000 <= year <= today.year:
        raise InvalidInput({"year": f"2000 to {today.year}"})
    if not 1 <= month <= 12:
        raise InvalidInput({"month": "1 to 12"})
    if date(year, month, 1) > today:
        raise InvalidInput({"month": "a month that has begun"})


def check_entry(entry: Entry, facts: ItemFacts | None, day: date) -> None:
    """A61: praise an item closed by its due date, criticise one past due — never the other way round."""
    if facts is None:
        raise InvalidInput({"entries": f"no item {entry.item_id}"})
    if entry.verdict is None or not entry.reason.strip():
        raise InvalidInput({"entries": f"{facts.number}: a verdict and its reason"})
    on_time = facts.state == "closed" and facts.claimed_on and facts.due and facts.claimed_on <= facts.due
    late = facts.due is not None and facts.due < day and not on_time and facts.state != "withdrawn"
    if entry.verdict is Verdict.PRAISE and not on_time:
        raise RuleViolation(
            "A61.circular-verdict", f"{facts.number} is not closed by its due date: no praise"
        )
    if entry.verdict is Verdict.CRITICISM and not late:
        raise RuleViolation("A61.circular-verdict", f"{facts.number} is not past due: no criticism")


def with_escalated(entries: Sequence[Entry], escalated: Iterable[ItemFacts]) -> list[Entry]:
    """The items sent to the mayor this month are criticised, whatever the office chose for them."""
    chosen = {e.item_id: e for e in entries}
    for facts in escalated:
        reason = f"逾期超过10个工作日，已报市长（应于{facts.due}完成）"
        chosen[facts.item_id] = Entry(
            facts.item_id, Verdict.CRITICISM, reason, facts.number, facts.lead_body_code, from_escalation=True
        )
    return list(chosen.values())


def complete(entry: Entry, facts: ItemFacts) -> Entry:
    return replace(entry, item_number=facts.number, lead_body_code=facts.lead_body_code)


def check_request(state: CircularState) -> None:
    if state is not CircularState.DRAFTED:
        raise RuleViolation("A61.circular-once", "the circular is already sent to be issued")


def title(year: int, month: int) -> str:
    return f"关于{year}年{month}月督查事项办理情况的通报"


def text(year: int, month: int, tallies: Sequence[dict], entries: Sequence[dict]) -> str:
    """The circular's body, in the order of an official circular: the situation, praise, criticism."""
    lines = [f"现将{year}年{month}月市政府督查事项办理情况通报如下。", "一、总体情况"]
    for t in tallies:
        lines.append(
            f"{t['body_code']}：按期办结{t['closed_on_time']}件，办结{t['closed']}件，逾期{t['overdue']}件。"
        )
    for number, verdict in ((2, Verdict.PRAISE), (3, Verdict.CRITICISM)):
        chosen = [e for e in entries if e["verdict"] == verdict.value]
        lines.append(f"{'二' if number == 2 else '三'}、{VERDICT_WORDS[verdict]}事项")
        lines += [f"{e['item_number']}（{e['lead_body_code']}）：{e['reason']}" for e in chosen] or ["无。"]
    return "\n".join(lines)
