"""Proactive disclosure (主动公开): the rules, without I/O.

- A35, A36: openness is the rule: information of the categories of article 20 of the Regulations on
  Open Government Information (政府信息公开条例, 2019) is published proactively, each item with its
  issuer, date made (成文日期), number, validity and whether it is in force.
- Article 26: published within 20 working days of the day the information was made (形成之日起
  20个工作日内). The limit is computed with the platform's working-day calendar; into a year without
  a known schedule it is provisional (weekends only).
- A37: a policy's interpretation (政策解读) is published with the policy and never without it; a
  policy that requires one (a normative document on a major matter) is published together with it.
- A22: a draft open for public comment takes comments until its closing day (inclusive).
- A24: the yearly catalogue of normative documents (规范性文件目录).
- A25 (from documents): revised → amended, repealed → repealed, continued → in force again.
- A39: a power in the powers list states its subject, basis, procedure and supervision.
- A67: a result of a people's congress suggestion or CPPCC proposal names the proposal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar

# Article 26: 20 working days from the day the information was made.
PUBLISH_LIMIT_WORKING_DAYS = 20

MAX_TITLE = 500
MAX_BODY = 200_000
MAX_COMMENT = 5000
MAX_COMMENT_NAME = 100
MAX_COMMENT_CONTACT = 200


class Category(enum.Enum):
    """Article 20's categories (the proto enum carries the Chinese names)."""

    RULES_AND_NORMATIVE_DOCUMENTS = "rules_and_normative_documents"
    ORGANISATION_AND_FUNCTIONS = "organisation_and_functions"
    PLANS = "plans"
    STATISTICS = "statistics"
    LICENSING = "licensing"
    PENALTIES_AND_ENFORCEMENT = "penalties_and_enforcement"
    BUDGETS_AND_ACCOUNTS = "budgets_and_accounts"
    FEES = "fees"
    PROCUREMENT = "procurement"
    MAJOR_PROJECTS = "major_projects"
    LIVELIHOOD = "livelihood"
    EMERGENCIES = "emergencies"
    INSPECTIONS = "inspections"
    CIVIL_SERVICE_RECRUITMENT = "civil_service_recruitment"
    OTHER = "other"


class Kind(enum.Enum):
    POLICY = "policy"
    INTERPRETATION = "interpretation"  # 政策解读, A37
    COMMENT_DRAFT = "comment_draft"  # 征求意见稿, A22
    PROPOSAL_RESULT = "proposal_result"  # 建议提案办理结果, A67
    POWER = "power"  # 权责清单, A39
    CONCERN_RESPONSE = "concern_response"  # 回应关切, A70 (domain/concerns.py)


class Validity(enum.Enum):
    IN_FORCE = "in_force"
    AMENDED = "amended"
    REPEALED = "repealed"
    EXPIRED = "expired"


class State(enum.Enum):
    QUEUED = "queued"
    PUBLISHED = "published"
    DECLINED = "declined"


class ProposalKind(enum.Enum):
    NPC_SUGGESTION = "npc_suggestion"  # 人大代表建议
    CPPCC_PROPOSAL = "cppcc_proposal"  # 政协提案


class Cleanup(enum.Enum):
    """A25 decisions of the documents service, as they arrive by event."""

    REVISE = "revise"
    REPEAL = "repeal"
    CONTINUE = "continue"


# ---- article 26: the publication limit -----------------------------------------------------------


def publish_limit(calendar: WorkingCalendar, made_on: date) -> Deadline:
    """Article 26: the last day to publish information made on `made_on` (the day made not counted)."""
    return calendar.add_working_days(made_on, PUBLISH_LIMIT_WORKING_DAYS)


def is_late(due: date | None, today: date, published_on: date | None = None) -> bool:
    """Past the article 26 limit: still queued after it, or published after it."""
    if due is None:
        return False
    return (published_on or today) > due


# ---- what an officer adds by hand ------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    kind: Kind | None
    category: Category | None
    title: str
    body: str
    issuer_code: str = ""
    issuer_name: str = ""
    document_number: str = ""
    made_on: date | None = None
    valid_until: date | None = None
    normative: bool = False
    requires_interpretation: bool = False
    policy_id: str = ""
    comment_until: date | None = None
    proposal: dict | None = None
    power: dict | None = None


POWER_FIELDS = ("subject", "basis", "procedure", "supervision")
PROPOSAL_FIELDS = ("proposal_kind", "proposal_number", "proposer")


def check_content(content: Content, today: date) -> None:
    """Field checks of a publication added by hand, and the rules of its kind (A22, A37, A39, A67)."""
    problems: dict[str, str] = {}
    if content.kind is None:
        problems["content.kind"] = (
            "what it is: policy, interpretation, draft for comment, proposal result, power"
        )
    if content.category is None:
        problems["content.category"] = "one of the categories of article 20"
    if not content.title.strip():
        problems["content.title"] = "a title is required"
    elif len(content.title) > MAX_TITLE:
        problems["content.title"] = f"at most {MAX_TITLE} characters"
    if len(content.body) > MAX_BODY:
        problems["content.body"] = f"at most {MAX_BODY} characters"
    if not content.issuer_name.strip() and not content.issuer_code.strip():
        problems["content.issuer_name"] = "the issuing body (发布机关)"
    if content.made_on is None:
        problems["content.made_on"] = "the date it was made (成文日期): the article 26 limit counts from it"
    elif content.made_on > today:
        problems["content.made_on"] = "not after today"
    if (
        content.valid_until is not None
        and content.made_on is not None
        and content.valid_until < content.made_on
    ):
        problems["content.valid_until"] = "not before the date it was made"
    if content.kind is Kind.CONCERN_RESPONSE:
        problems["content.kind"] = "a response to a public concern is published from the concern (A70)"
    if content.kind is Kind.INTERPRETATION and not content.policy_id:
        problems["content.policy_id"] = "an interpretation names the policy it explains (A37)"
    if content.kind is not Kind.INTERPRETATION and content.policy_id:
        problems["content.policy_id"] = "only an interpretation names a policy"
    if content.kind is Kind.COMMENT_DRAFT and (
        content.comment_until is None or content.comment_until < today
    ):
        problems["content.comment_until"] = "the last day of public comment, today or later (A22)"
    if content.kind is Kind.POWER:
        for name in POWER_FIELDS:
            if not (content.power or {}).get(name, "").strip():
                problems[f"content.power.{name}"] = (
                    "a power states its subject, basis, procedure and supervision (A39)"
                )
    if content.kind is Kind.PROPOSAL_RESULT:
        for name in PROPOSAL_FIELDS:
            if not (content.proposal or {}).get(name):
                problems[f"content.proposal.{name}"] = "a result names the suggestion or proposal (A67)"
    if problems:
        raise InvalidInput(problems)


# ---- A37: publishing a policy and its interpretations ------------------------------------------------


@dataclass(frozen=True)
class Item:
    """What the publishing rules need of one publication."""

    id: str
    kind: Kind
    state: State
    requires_interpretation: bool = False
    policy_id: str = ""


def check_publish(
    item: Item, policy: Item | None, together: list[Item], published_interpretations: int
) -> None:
    """May `item` be published now, with the interpretations `together` published in the same act?

    `policy`: for an interpretation, its policy. `published_interpretations`: of a policy, how many of
    its interpretations are already published.
    """
    if item.state is not State.QUEUED:
        raise InvalidInput({"publication_id": f"it is {item.state.value}, not queued"})
    if together and item.kind is Kind.INTERPRETATION:
        raise InvalidInput({"interpretation_ids": "interpretations are published together with their policy"})
    for other in together:
        if other.kind is not Kind.INTERPRETATION or other.policy_id != item.id:
            raise InvalidInput({"interpretation_ids": f"{other.id} is not an interpretation of this policy"})
        if other.state is not State.QUEUED:
            raise InvalidInput({"interpretation_ids": f"{other.id} is {other.state.value}, not queued"})
    if item.kind is Kind.INTERPRETATION:
        if policy is None or policy.state is not State.PUBLISHED:
            raise RuleViolation(
                "A37.interpretation-with-policy",
                "an interpretation (政策解读) is published with its policy, not before it: "
                "publish the policy together with this interpretation",
            )
    if item.requires_interpretation and not together and published_interpretations == 0:
        raise RuleViolation(
            "A37.interpretation-with-policy",
            "this policy is published together with its interpretation (政策解读): add the "
            "interpretation and publish both",
        )


def check_decline(item: Item, reason: str) -> None:
    if item.state is not State.QUEUED:
        raise InvalidInput({"publication_id": f"it is {item.state.value}, not queued"})
    if not reason.strip():
        raise InvalidInput({"reason": "why it is not published (A35: openness is the rule)"})


# ---- correcting a queued item ------------------------------------------------------------------------

EDITABLE = ("title", "category", "body", "document_number")


def check_edit(state: State, changes: dict, reason: str) -> None:
    """A queued item may be corrected before it is published, with a reason (a recorded act). A
    published one is not rewritten: it is marked amended (ChangeValidity) and the corrected version
    published as a new item, so what citizens read stays on the record."""
    if state is not State.QUEUED:
        raise InvalidInput(
            {
                "publication_id": f"it is {state.value}, not queued: a published item is not "
                "edited — mark it amended and publish the corrected version"
            }
        )
    problems = {}
    if not changes:
        problems["publication_id"] = "nothing to change: give a title, category, body or document number"
    if "title" in changes:
        if not changes["title"].strip():
            problems["title"] = "a title is required"
        elif len(changes["title"]) > MAX_TITLE:
            problems["title"] = f"at most {MAX_TITLE} characters"
    if len(changes.get("body", "")) > MAX_BODY:
        problems["body"] = f"at most {MAX_BODY} characters"
    if len(changes.get("document_number", "")) > 64:
        problems["document_number"] = "at most 64 characters"
    if not reason.strip():
        problems["reason"] = "why it is changed (kept in the recorded act)"
    if problems:
        raise InvalidInput(problems)


# ---- validity -----------------------------------------------------------------------------------------


def validity_after_cleanup(decision: Cleanup) -> Validity:
    """A25 → status: revised is amended (a new version follows), repealed is repealed, continued is in force."""
    return {
        Cleanup.REVISE: Validity.AMENDED,
        Cleanup.REPEAL: Validity.REPEALED,
        Cleanup.CONTINUE: Validity.IN_FORCE,
    }[decision]


def effective_validity(stored: Validity, valid_until: date | None, today: date) -> Validity:
    """In force until its validity period ends (A25); amended and repealed stay what they are."""
    if stored is Validity.IN_FORCE and valid_until is not None and today > valid_until:
        return Validity.EXPIRED
    return stored


def check_validity_change(current: Validity, new: Validity | None, reason: str) -> None:
    problems = {}
    if new is None:
        problems["validity"] = "in force, amended, repealed or expired"
    elif new is current:
        problems["validity"] = f"it is {current.value} already"
    if not reason.strip():
        problems["reason"] = "the reason of the change (e.g. the repealing document)"
    if problems:
        raise InvalidInput(problems)


# ---- A22: comments on drafts --------------------------------------------------------------------------


def comment_open(kind: Kind, state: State, comment_until: date | None, today: date) -> bool:
    return (
        kind is Kind.COMMENT_DRAFT
        and state is State.PUBLISHED
        and comment_until is not None
        and today <= comment_until
    )


def check_comment(
    kind: Kind,
    state: State,
    comment_until: date | None,
    today: date,
    author_name: str,
    contact: str,
    text: str,
) -> None:
    """A22: a comment on a published draft, on or before its closing day."""
    if kind is not Kind.COMMENT_DRAFT or state is not State.PUBLISHED:
        raise InvalidInput({"publication_id": "comments are taken on drafts open for public comment"})
    if not comment_open(kind, state, comment_until, today):
        raise RuleViolation(
            "A22.comment-closed",
            f"public comment on this draft closed on {comment_until.isoformat() if comment_until else '?'}",
        )
    problems = {}
    if not text.strip():
        problems["text"] = "the comment is empty"
    elif len(text) > MAX_COMMENT:
        problems["text"] = f"at most {MAX_COMMENT} characters"
    if len(author_name) > MAX_COMMENT_NAME:
        problems["author_name"] = f"at most {MAX_COMMENT_NAME} characters"
    if len(contact) > MAX_COMMENT_CONTACT:
        problems["contact"] = f"at most {MAX_COMMENT_CONTACT} characters"
    if problems:
        raise InvalidInput(problems)


# ---- from documents' events ------------------------------------------------------------------------------

RULE_AUTHORITIES = frozenset({"SIGN_OFF_AUTHORITY_GOVERNMENT_RULE", "SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT"})


def category_of_document(authority: str, normative_filing: bool) -> Category:
    """Rules and normative documents go to article 20 (1); the officer classifies others when publishing."""
    if authority in RULE_AUTHORITIES or normative_filing:
        return Category.RULES_AND_NORMATIVE_DOCUMENTS
    return Category.OTHER


def requires_interpretation(authority: str, major_matter: bool) -> bool:
    """A37: a normative document or rule on a major matter is published with its interpretation."""
    return authority in RULE_AUTHORITIES and major_matter


def catalogue_year_selects(normative: bool, state: State, made_on: date | None, year: int) -> bool:
    """A24: the yearly catalogue lists the normative documents made in that year and published."""
    return normative and state is State.PUBLISHED and made_on is not None and made_on.year == year


# ---- A22: the account of the comments (意见采纳情况) ----------------------------------------------------

MAX_FEEDBACK = 50_000


def check_feedback(
    kind: Kind,
    state: State,
    comment_until: date | None,
    today: date,
    received: int,
    summary: str,
    adopted: int,
    partly_adopted: int,
    not_adopted: int,
) -> None:
    """A22: after the comment period closed, the drafting body publishes how the comments were taken
    into account. The counts cannot exceed what was received."""
    if kind is not Kind.COMMENT_DRAFT or state is not State.PUBLISHED:
        raise InvalidInput({"publication_id": "feedback is published on a draft that was open for comment"})
    if comment_until is None or today <= comment_until:
        raise RuleViolation(
            "A22.feedback-after-close",
            f"the account of the comments is published after the comment period closes "
            f"({comment_until.isoformat() if comment_until else '?'})",
        )
    problems = {}
    if not summary.strip():
        problems["summary"] = "what was received, what was adopted, and why the rest was not"
    elif len(summary) > MAX_FEEDBACK:
        problems["summary"] = f"at most {MAX_FEEDBACK} characters"
    counts = {"adopted": adopted, "partly_adopted": partly_adopted, "not_adopted": not_adopted}
    for name, value in counts.items():
        if value < 0:
            problems[name] = "not negative"
    if adopted + partly_adopted + not_adopted > received:
        problems["adopted"] = (
            f"adopted, partly adopted and not adopted add up to more than the {received} received"
        )
    if problems:
        raise InvalidInput(problems)
