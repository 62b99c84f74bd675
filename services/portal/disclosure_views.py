"""What the disclosure pages and the JSON API show: publications, search hits, applications and the
yearly reports as plain dicts with Chinese labels. Only public facts: no officers' names, no history,
no consulted parties; an application's applicant details are shown back only to the applicant."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from services.portal.views import day
from zgov.disclosure.v1 import applications_pb2 as apb
from zgov.disclosure.v1 import publications_pb2 as pb

# slug (in addresses) → (enum value, Chinese name); the categories of article 20.
CATEGORIES = {
    "rules": (pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS, "规章和规范性文件"),
    "organisation": (pb.CATEGORY_ORGANISATION_AND_FUNCTIONS, "机构职能"),
    "plans": (pb.CATEGORY_PLANS, "规划信息"),
    "statistics": (pb.CATEGORY_STATISTICS, "统计信息"),
    "licensing": (pb.CATEGORY_LICENSING, "行政许可"),
    "penalties": (pb.CATEGORY_PENALTIES_AND_ENFORCEMENT, "行政处罚和行政强制"),
    "budgets": (pb.CATEGORY_BUDGETS_AND_ACCOUNTS, "财政预决算"),
    "fees": (pb.CATEGORY_FEES, "行政事业性收费"),
    "procurement": (pb.CATEGORY_PROCUREMENT, "政府集中采购"),
    "projects": (pb.CATEGORY_MAJOR_PROJECTS, "重大建设项目"),
    "livelihood": (pb.CATEGORY_LIVELIHOOD, "民生政策"),
    "emergencies": (pb.CATEGORY_EMERGENCIES, "突发公共事件"),
    "inspections": (pb.CATEGORY_INSPECTIONS, "监督检查"),
    "recruitment": (pb.CATEGORY_CIVIL_SERVICE_RECRUITMENT, "公务员招考"),
    "other": (pb.CATEGORY_OTHER, "其他信息"),
}
CATEGORY_NAMES = {value: name for value, name in CATEGORIES.values()}
CATEGORY_SLUGS = {value: slug for slug, (value, _) in CATEGORIES.items()}
VALIDITIES = {
    "in-force": (pb.VALIDITY_IN_FORCE, "现行有效"),
    "amended": (pb.VALIDITY_AMENDED, "已修改"),
    "repealed": (pb.VALIDITY_REPEALED, "已废止"),
    "expired": (pb.VALIDITY_EXPIRED, "已失效"),
}
VALIDITY_NAMES = {value: name for value, name in VALIDITIES.values()}
KINDS = {
    pb.PUBLICATION_KIND_POLICY: "政策文件",
    pb.PUBLICATION_KIND_INTERPRETATION: "政策解读",
    pb.PUBLICATION_KIND_COMMENT_DRAFT: "征求意见稿",
    pb.PUBLICATION_KIND_PROPOSAL_RESULT: "建议提案办理结果",
    pb.PUBLICATION_KIND_POWER: "权责清单",
    pb.PUBLICATION_KIND_CONCERN_RESPONSE: "回应关切",
}
# The kinds with a page of their own: slug → (enum value, Chinese name).
KIND_PAGES = {
    "interpretations": (pb.PUBLICATION_KIND_INTERPRETATION, "政策解读"),
    "powers": (pb.PUBLICATION_KIND_POWER, "权责清单"),
    "proposals": (pb.PUBLICATION_KIND_PROPOSAL_RESULT, "建议提案办理结果"),
    "responses": (pb.PUBLICATION_KIND_CONCERN_RESPONSE, "回应关切"),
}
CHINA = ZoneInfo("Asia/Shanghai")
# A70: where a public concern was seen.
CONCERN_SOURCES = {
    pb.CONCERN_SOURCE_MEDIA: "新闻媒体报道",
    pb.CONCERN_SOURCE_ONLINE: "网络舆情",
    pb.CONCERN_SOURCE_HOTLINE: "12345 热线",
    pb.CONCERN_SOURCE_PEOPLES_CONGRESS: "人大代表、政协委员",
    pb.CONCERN_SOURCE_OTHER: "其他",
}
PROPOSAL_KINDS = {
    pb.PROPOSAL_KIND_NPC_SUGGESTION: "人大代表建议",
    pb.PROPOSAL_KIND_CPPCC_PROPOSAL: "政协提案",
}


def link(item: pb.PublicationLink) -> dict:
    return {"id": item.id, "title": item.title, "kind": KINDS.get(item.kind, "")}


def publication(p: pb.Publication) -> dict:
    return {
        "id": p.id,
        "kind": KINDS.get(p.kind, ""),
        "category": CATEGORY_NAMES.get(p.category, ""),
        "category_slug": CATEGORY_SLUGS.get(p.category, ""),
        "title": p.title,
        "body": p.body,
        "issuer": p.issuer_name,
        "document_number": p.document_number,
        "made_on": day(p.made_on),
        "published_on": day(p.published_on),
        "valid_until": day(p.valid_until),
        "validity": VALIDITY_NAMES.get(p.validity, ""),
        "normative": p.normative,
        "interpretations": [link(i) for i in p.interpretations],
        "policy": link(p.policy) if p.policy.id else None,
        "comment_until": day(p.comment_until),
        "comment_open": p.comment_open,
        "comment_count": p.comment_count,
        "proposal": (
            {
                "kind": PROPOSAL_KINDS.get(p.proposal.proposal_kind, ""),
                "number": p.proposal.proposal_number,
                "proposer": p.proposal.proposer,
                "session": p.proposal.session,
            }
            if p.proposal.proposal_number
            else None
        ),
        "power": (
            {
                "subject": p.power.subject,
                "basis": p.power.basis,
                "procedure": p.power.procedure,
                "supervision": p.power.supervision,
                "type": p.power.power_type,
            }
            if p.power.subject
            else None
        ),
        "concern": concern_facts(p.concern) if p.concern.summary else None,
        "comment_feedback": comment_feedback(p.comment_feedback) if p.comment_feedback.version else None,
    }


def moment(value) -> str:
    """A timestamp in Beijing time, to the minute (e.g. 2026-11-26 14:05)."""
    return value.ToDatetime(tzinfo=UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def concern_facts(c: pb.ConcernFacts) -> dict:
    """A70: the concern a response answers; never the department's findings or officers' names."""
    return {
        "source": CONCERN_SOURCES.get(c.source, ""),
        "summary": c.summary,
        "first_seen_at": moment(c.first_seen_at) if c.HasField("first_seen_at") else "",
        "responded_at": moment(c.responded_at) if c.HasField("responded_at") else "",
        "department": c.department_name,
    }


def comment_feedback(f: pb.CommentFeedback) -> dict:
    """A22: 意见采纳情况 as the drafting body published it (never a comment or a commenter)."""
    return {
        "summary": f.summary,
        "received": f.received,
        "adopted": f.adopted,
        "partly_adopted": f.partly_adopted,
        "not_adopted": f.not_adopted,
        "published_on": day(f.published_on),
        "version": f.version,
    }


def issuer(i: pb.Issuer) -> dict:
    return {"code": i.code, "name": i.name or i.code, "count": i.count}


def hit(h: pb.SearchHit) -> dict:
    return {**publication(h.publication), "snippet": [{"text": s.text, "match": s.match} for s in h.snippet]}


# ---- applications (依申请公开) -------------------------------------------------------------------------

APPLICANT_KINDS = {
    "person": (apb.APPLICANT_KIND_NATURAL_PERSON, "公民（自然人）"),
    "enterprise": (apb.APPLICANT_KIND_COMMERCIAL_ENTERPRISE, "商业企业"),
    "research": (apb.APPLICANT_KIND_RESEARCH_INSTITUTION, "科研机构"),
    "welfare": (apb.APPLICANT_KIND_SOCIAL_WELFARE_ORGANISATION, "社会公益组织"),
    "legal": (apb.APPLICANT_KIND_LEGAL_SERVICE_ORGANISATION, "法律服务机构"),
    "other": (apb.APPLICANT_KIND_OTHER_ORGANISATION, "其他组织"),
}
DELIVERY_FORMS = {
    "download": (apb.DELIVERY_FORM_ONLINE_DOWNLOAD, "网上下载"),
    "email": (apb.DELIVERY_FORM_EMAIL, "电子邮件"),
    "post": (apb.DELIVERY_FORM_PAPER_BY_POST, "纸质邮寄"),
    "collect": (apb.DELIVERY_FORM_PAPER_COLLECTED, "纸质自行领取"),
    "media": (apb.DELIVERY_FORM_ELECTRONIC_MEDIA, "光盘等电子介质"),
    "reading": (apb.DELIVERY_FORM_ON_SITE_READING, "当场阅读"),
}
APPLICATION_STATES = {
    apb.APPLICATION_STATE_SUBMITTED: "已提交，等待工作机构确认收到",
    apb.APPLICATION_STATE_RECEIVED: "已收到，正在办理",
    apb.APPLICATION_STATE_AWAITING_COMPLETION: "需要补正申请内容",
    apb.APPLICATION_STATE_CONSULTING: "正在征求第三方或其他机关意见（所需时间不计入答复期限）",
    apb.APPLICATION_STATE_REPLIED: "已答复",
    apb.APPLICATION_STATE_LAPSED: "逾期未补正，视为放弃申请",
    apb.APPLICATION_STATE_WITHDRAWN: "申请人已撤回申请",
}
# States in which the applicant may still withdraw (撤回): before the reply.
WITHDRAWABLE = frozenset(
    {
        apb.APPLICATION_STATE_SUBMITTED,
        apb.APPLICATION_STATE_RECEIVED,
        apb.APPLICATION_STATE_AWAITING_COMPLETION,
        apb.APPLICATION_STATE_CONSULTING,
    }
)
REQUEST_KINDS = {
    apb.REQUEST_KIND_UNSPECIFIED: "获取政府信息（条例第二十七条）",
    apb.REQUEST_KIND_INFORMATION: "获取政府信息（条例第二十七条）",
    apb.REQUEST_KIND_CORRECTION: "更正有关本人的政府信息记录（条例第四十一条）",
}
REPLY_KINDS = {
    apb.REPLY_KIND_ALREADY_PUBLISHED: "已主动公开",
    apb.REPLY_KIND_PROVIDED: "予以公开",
    apb.REPLY_KIND_PARTLY_PROVIDED: "部分公开",
    apb.REPLY_KIND_NOT_DISCLOSED: "不予公开",
    apb.REPLY_KIND_DOES_NOT_EXIST: "本机关不存在该政府信息",
    apb.REPLY_KIND_NOT_HELD: "不属于本机关负责公开",
    apb.REPLY_KIND_REPEATED: "重复申请",
    apb.REPLY_KIND_SPECIAL_LAW: "按特别规定办理",
    apb.REPLY_KIND_NEEDS_PROCESSING: "需要另行制作或加工分析，不予提供",
    apb.REPLY_KIND_STILL_UNCLEAR: "补正后仍不明确",
    apb.REPLY_KIND_NOT_AN_APPLICATION: "不属于政府信息公开申请",
    apb.REPLY_KIND_EXCESSIVE: "申请数量、频次明显超过合理范围",
    apb.REPLY_KIND_PUBLICATION_REQUEST: "要求提供公开出版物，告知获取途径（第三十九条第二款）",
    # art. 41: requests to correct a record about the applicant
    apb.REPLY_KIND_CORRECTED: "已予更正",
    apb.REPLY_KIND_CORRECTION_TRANSFERRED: "已转送有权更正的行政机关处理",
    apb.REPLY_KIND_CORRECTION_REFERRED: "请向有权更正的行政机关提出",
    apb.REPLY_KIND_CORRECTION_REFUSED: "经核实，不予更正",
}
CORRECTION_REPLIES = frozenset(
    {
        apb.REPLY_KIND_CORRECTED,
        apb.REPLY_KIND_CORRECTION_TRANSFERRED,
        apb.REPLY_KIND_CORRECTION_REFERRED,
        apb.REPLY_KIND_CORRECTION_REFUSED,
    }
)
EXEMPTIONS = {
    apb.EXEMPTION_STATE_SECRET: "国家秘密（第十四条）",
    apb.EXEMPTION_LAW_FORBIDS: "法律、行政法规禁止公开（第十四条）",
    apb.EXEMPTION_SECURITY_STABILITY: "公开后可能危及国家安全、公共安全、经济安全、社会稳定（第十四条）",
    apb.EXEMPTION_THIRD_PARTY_RIGHTS: "涉及商业秘密、个人隐私等，公开会损害第三方合法权益（第十五条）",
    apb.EXEMPTION_INTERNAL_AFFAIRS: "内部事务信息（第十六条）",
    apb.EXEMPTION_PROCESS_INFORMATION: "过程性信息（第十六条）",
    apb.EXEMPTION_LAW_ENFORCEMENT_FILE: "行政执法案卷信息（第十六条）",
}


def application(a: apb.Application) -> dict:
    r = a.reply
    replied = bool(r.kind)
    return {
        "number": a.number,
        "state": APPLICATION_STATES.get(a.state, "办理中"),
        "replied": replied,
        "submitted_on": day(a.submitted_on),
        "received_on": day(a.received_on),
        "reply_due": day(a.reply_due.due) if a.reply_due.working_days else "",
        "reply_due_paused": a.reply_due.paused,
        "reply_due_provisional": a.reply_due.provisional,
        "overdue": a.overdue,
        "description": a.content.description,
        "document_number": a.content.document_number,
        "delivery_form": next((n for v, n in DELIVERY_FORMS.values() if v == a.content.delivery_form), ""),
        "completion": (
            {
                "matters": a.completion.items,
                "due": day(a.completion.due),
                "completed_on": day(a.completion.completed_on),
            }
            if a.completion.items
            else None
        ),
        "extension": (
            {"working_days": a.extension.working_days, "notice": a.extension.notice}
            if a.extension.working_days
            else None
        ),
        "deferral": (
            {"to": day(a.deferral.deferred_to), "notice": a.deferral.notice}
            if a.deferral.deferred_to.year
            else None
        ),
        "request_kind": REQUEST_KINDS.get(a.content.kind, ""),
        "reply": {
            "kind": REPLY_KINDS.get(r.kind, ""),
            "replied_on": day(r.replied_on),
            "letter_number": r.letter_number,
            "holder_label": "有权更正的机关" if r.kind in CORRECTION_REPLIES else "负责公开的机关",
            "published_at": r.published_at,
            "provided": r.provided,
            "reason": r.reason,
            "exemption": EXEMPTIONS.get(r.exemption, ""),
            "holder": r.holder_name,
            "holder_contact": r.holder_contact,
            "earlier_application": r.earlier_application,
            "special_law": r.special_law,
            "withheld": [
                {"part": w.part, "exemption": EXEMPTIONS.get(w.exemption, ""), "reason": w.reason}
                for w in r.withheld
            ],
        }
        if replied
        else None,
        "lapsed_on": day(a.lapsed_on),
        "withdrawn_on": day(a.withdrawn_on),
        "may_complete": a.state == apb.APPLICATION_STATE_AWAITING_COMPLETION,
        "may_withdraw": a.state in WITHDRAWABLE,
    }


def report_summary(r: apb.AnnualReport) -> dict:
    return {
        "year": r.year,
        "published_on": day(r.published_on),
        "publish_by": day(r.publish_by),
        "published_late": r.published_late,
        "version": r.version,
    }


REMEDY_KINDS = {
    apb.REMEDY_KIND_REVIEW: "行政复议",
    apb.REMEDY_KIND_LAWSUIT_DIRECT: "未经复议直接起诉",
    apb.REMEDY_KIND_LAWSUIT_AFTER_REVIEW: "复议后起诉",
}
# 二、主动公开: figures the office types in from the systems that keep them (the rules and normative
# documents are counted from this platform's catalogue).
ENTERED_FIGURES = (
    "行政许可 处理决定数量",
    "行政处罚 处理决定数量",
    "行政强制 处理决定数量",
    "行政事业性收费 金额（万元）",
)


def report(r: apb.AnnualReport) -> dict:
    p = r.proactive
    return {
        **report_summary(r),
        "proactive_entered": list(ENTERED_FIGURES),
        "overview": r.overview,
        "problems": r.problems,
        "other_matters": r.other_matters,
        "proactive": [
            ("规章 制发件数", p.rules_made),
            ("规章 废止件数", p.rules_repealed),
            ("规章 现行有效件数", p.rules_in_force),
            ("规范性文件 制发件数", p.normative_made),
            ("规范性文件 废止件数", p.normative_repealed),
            ("规范性文件 现行有效件数", p.normative_in_force),
            ("行政许可 处理决定数量", p.licensing_decisions),
            ("行政处罚 处理决定数量", p.penalty_decisions),
            ("行政强制 处理决定数量", p.enforcement_decisions),
            ("行政事业性收费 金额（万元）", p.fees_collected_wan_yuan or "0"),
        ],
        "columns": [c.label for c in r.columns],
        "rows": [{"label": row.label, "counts": list(row.counts)} for row in r.rows],
        "remedies": [
            {
                "kind": REMEDY_KINDS.get(m.kind, ""),
                "upheld": m.upheld,
                "corrected": m.corrected,
                "other": m.other,
                "pending": m.pending,
                "total": m.total,
            }
            for m in r.remedies
        ],
    }
