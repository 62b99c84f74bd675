"""What the pages and the JSON API show of a backend's answer: plain dicts with Chinese labels.

Only what the visitor may see: no internal ids (case ids, user ids), no history of acts, no names
of officials; organisation codes become their Chinese names (or are left out when unknown).
"""

from __future__ import annotations

from datetime import date

from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2 as pb

CASE_STATES = {
    pb.CASE_STATE_REGISTERED: "已登记，等待信访部门审查",
    pb.CASE_STATE_ASSIGNED: "已交办，等待承办单位受理",
    pb.CASE_STATE_IN_HANDLING: "承办单位办理中",
    pb.CASE_STATE_REPLIED: "已书面答复",
    pb.CASE_STATE_UNDER_REVIEW: "复查中",
    pb.CASE_STATE_REVIEWED: "已复查",
    pb.CASE_STATE_UNDER_RE_REVIEW: "复核中",
    pb.CASE_STATE_RE_REVIEWED: "已复核（办理终结）",
    pb.CASE_STATE_TRANSFERRED: "已转送有权处理的机关",
    pb.CASE_STATE_LEGAL_ROUTE: "已告知通过法定途径解决",
    pb.CASE_STATE_NOT_ACCEPTED: "不予受理",
    pb.CASE_STATE_LINKED: "同一事项的重复信访，已并入此前的信访事项办理",
}
CATEGORIES = {
    pb.CATEGORY_SUGGESTION: "建议意见",
    pb.CATEGORY_COMPLAINT_REPORT: "检举控告",
    pb.CATEGORY_REQUEST_APPEAL: "申诉求决",
}
CHANNELS = {
    pb.CHANNEL_LETTER: "来信",
    pb.CHANNEL_VISIT: "来访",
    pb.CHANNEL_ONLINE: "网上信访",
    pb.CHANNEL_PHONE: "来电",
    pb.CHANNEL_HOTLINE_TRANSFER: "12345 热线转办",
}
LEGAL_ROUTES = {
    pb.LEGAL_ROUTE_LITIGATION: "诉讼",
    pb.LEGAL_ROUTE_ARBITRATION: "仲裁",
    pb.LEGAL_ROUTE_ADMINISTRATIVE_REVIEW: "行政复议",
}
SATISFACTIONS = {
    pb.SATISFACTION_SATISFIED: "满意",
    pb.SATISFACTION_BASICALLY_SATISFIED: "基本满意",
    pb.SATISFACTION_DISSATISFIED: "不满意",
}
REVIEW_LEVELS = {pb.REVIEW_LEVEL_REVIEW: "复查", pb.REVIEW_LEVEL_RE_REVIEW: "复核"}
STAGES = {
    pb.STAGE_TRIAGE: "信访部门审查",
    pb.STAGE_ACKNOWLEDGEMENT: "承办单位告知受理",
    pb.STAGE_HANDLING: "承办单位办理",
    pb.STAGE_REVIEW: "复查",
    pb.STAGE_RE_REVIEW: "复核",
}
# The handling is rated once the written reply was delivered (the petitions service's rule).
RATEABLE = {
    pb.CASE_STATE_REPLIED,
    pb.CASE_STATE_UNDER_REVIEW,
    pb.CASE_STATE_REVIEWED,
    pb.CASE_STATE_UNDER_RE_REVIEW,
    pb.CASE_STATE_RE_REVIEWED,
}


def day(value: common_pb2.Date | None) -> str:
    """ISO date, '' when unset."""
    if value is None or not value.year:
        return ""
    return date(value.year, value.month, value.day).isoformat()


def _due(deadline) -> str:
    return day(deadline.due) if deadline.days else ""


def current_limit(case: pb.Case) -> tuple[str, str]:
    """(what is awaited, by when) for the stage the case is at; ('', '') when nothing runs."""
    if case.state == pb.CASE_STATE_REGISTERED:
        return STAGES[pb.STAGE_TRIAGE], _due(case.triage_due)
    if case.state == pb.CASE_STATE_ASSIGNED:
        return STAGES[pb.STAGE_ACKNOWLEDGEMENT], _due(case.acknowledgement_due)
    if case.state == pb.CASE_STATE_IN_HANDLING:
        return STAGES[pb.STAGE_HANDLING], _due(case.handling_due)
    if case.state in (pb.CASE_STATE_UNDER_REVIEW, pb.CASE_STATE_UNDER_RE_REVIEW) and case.reviews:
        return REVIEW_LEVELS.get(case.reviews[-1].level, ""), _due(case.reviews[-1].answer_due)
    return "", ""


def petition_case(case: pb.Case, organisations: dict[str, str]) -> dict:
    stage, due = current_limit(case)
    return {
        "number": case.number,
        "received_on": day(case.received_on),
        "channel": CHANNELS.get(case.channel, ""),
        "category": CATEGORIES.get(case.category, ""),
        "title": case.title,
        "content": case.content,
        "state": CASE_STATES.get(case.state, "处理中"),
        "finished": case.state
        in (
            pb.CASE_STATE_RE_REVIEWED,
            pb.CASE_STATE_TRANSFERRED,
            pb.CASE_STATE_LEGAL_ROUTE,
            pb.CASE_STATE_NOT_ACCEPTED,
        ),
        "awaiting": stage,
        "due": due,
        "overdue": case.overdue,
        "handling_body": organisations.get(case.handling_body_code, ""),
        "body_complained_about": organisations.get(case.body_complained_about, ""),
        "triage_notice": case.triage_notice,
        "transferred_to": case.transferred_to,
        "legal_route": LEGAL_ROUTES.get(case.legal_route, ""),
        "accepted_on": day(case.accepted_on),
        "handling_plan": case.handling_plan,
        "extension": (
            {"days": case.extension.days, "reason": case.extension.reason} if case.extension.days else None
        ),
        "replied_on": day(case.replied_on),
        "reply": case.reply,
        "review_request_due": _due(case.review_request_due) if case.state in RATEABLE else "",
        "reviews": [
            {
                "level": REVIEW_LEVELS.get(r.level, ""),
                "requested_on": day(r.requested_on),
                "decided_on": day(r.decided_on),
                "opinion": r.opinion,
            }
            for r in case.reviews
        ],
        "satisfaction": SATISFACTIONS.get(case.satisfaction, ""),
        "may_rate": case.state in RATEABLE and not case.satisfaction,
        # The files the petitioner sent, numbered from 1 (no internal id leaves the portal).
        "attachments": [
            {
                "n": i,
                "file_name": a.file_name,
                "media_type": a.media_type,
                "size": file_size(a.size_bytes),
                "size_bytes": a.size_bytes,
            }
            for i, a in enumerate(case.attachments, 1)
        ],
    }


def file_size(size: int) -> str:
    """1536 → '1.5 KB' (for the page)."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
