"""The portal's forms: what a visitor typed, checked with a precise message next to each field.

Pure functions (no I/O), unit-tested. The limits are the backends' own (so a form the portal
accepts is never refused for its shape); the messages are Chinese, addressed to the visitor.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from zgov.petitions.v1 import petitions_pb2

MAX_TITLE = 200
MAX_CONTENT = 20_000
MAX_NAME = 100
MAX_ADDRESS = 300
# 5 to 20 digits, spaces or "-", beginning and ending with a digit (an optional "+" before).
PHONE = re.compile(r"^\+?[0-9][0-9 -]{3,18}[0-9]$")
# The same in the JSON API's schema: required, or empty when optional.
PHONE_PATTERN = PHONE.pattern
OPTIONAL_PHONE_PATTERN = r"^(\+?[0-9][0-9 -]{3,18}[0-9])?$"
# 居民身份证 18 位（末位可为 X），或其他证件 5–32 位字母数字。
ID_NUMBER = re.compile(r"^[0-9A-Za-z]{5,32}$")
ORGANISATION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
# A query code as given at intake: four groups of four; spaces and case are forgiven.
QUERY_CODE = re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$")

CATEGORIES = {
    "suggestion": (petitions_pb2.CATEGORY_SUGGESTION, "建议意见"),
    "complaint": (petitions_pb2.CATEGORY_COMPLAINT_REPORT, "检举控告"),
    "request": (petitions_pb2.CATEGORY_REQUEST_APPEAL, "申诉求决"),
}
SATISFACTION = {
    "satisfied": (petitions_pb2.SATISFACTION_SATISFIED, "满意"),
    "basically": (petitions_pb2.SATISFACTION_BASICALLY_SATISFIED, "基本满意"),
    "dissatisfied": (petitions_pb2.SATISFACTION_DISSATISFIED, "不满意"),
}


@dataclass
class Checked:
    """The cleaned values and, per field, what is wrong (empty when the form is fine)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


# Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ, typed by Chinese input methods) and the ideographic
# space as their ASCII forms; full-width punctuation (，。：) stays, it belongs to Chinese text.
_HALF_WIDTH = {
    code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
} | {0x3000: 0x20}


def clean(text: str | None, *, multiline: bool = False) -> str:
    """Trimmed, NFC, full-width digits and letters as ASCII, without control characters (keeping line
    breaks in a multi-line field)."""
    text = unicodedata.normalize("NFC", text or "").translate(_HALF_WIDTH)
    keep = "\n" if multiline else ""
    text = "".join(
        c for c in text.replace("\r\n", "\n") if c in keep or c == "\t" or unicodedata.category(c)[0] != "C"
    )
    return text.strip()


def identifier(text: str | None) -> str:
    """An identifier (telephone, e-mail, document number): NFKC, so full-width ＋－＠ are ASCII too."""
    return clean(unicodedata.normalize("NFKC", text or ""))


# GB 11643-1999 公民身份号码: 6-digit area, 8-digit birth date, 3-digit sequence, check digit (ISO 7064
# MOD 11-2: weights 2^(17-i) mod 11, the check digit from the sum mod 11).
RESIDENT_ID = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"


def resident_id_problem(value: str, today: date | None = None) -> str:
    """What is wrong with an 18-character resident identity number ('' when it is right): its length,
    its birth date (a real day, not in the future, after 1900), its check digit."""
    if len(value) != 18 or not RESIDENT_ID.match(value):
        return "居民身份证号码应为 18 位：17 位数字加 1 位数字或 X。"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "居民身份证号码中的出生日期不正确，请核对第 7 至 14 位。"
    if not date(1900, 1, 1) <= born <= (today or date.today()):
        return "居民身份证号码中的出生日期不正确，请核对第 7 至 14 位。"
    if _CHECK[sum(int(c) * w for c, w in zip(value[:17], _WEIGHTS, strict=True)) % 11] != value[17]:
        return "居民身份证号码的校验位（最后一位）不正确，请核对。"
    return ""


def looks_like_resident_id(value: str) -> bool:
    """17 or more digits: meant as a resident identity number (other documents have letters or are shorter)."""
    return bool(re.fullmatch(r"[0-9]{17}[0-9X]?|[0-9]{16,19}X?", value))


def _length(errors: dict, name: str, value: str, label: str, maximum: int, required: bool = True) -> None:
    if required and not value:
        errors[name] = f"请填写{label}。"
    elif len(value) > maximum:
        errors[name] = f"{label}最多 {maximum} 个字，现有 {len(value)} 个字。"


def check_petition(form: dict[str, str], organisations: dict[str, str] | None = None) -> Checked:
    """The online petition form (网上信访)."""
    v = {
        "category": clean(form.get("category")),
        "title": clean(form.get("title")),
        "content": clean(form.get("content"), multiline=True),
        "name": clean(form.get("name")),
        "id_number": identifier(form.get("id_number")).replace(" ", "").upper(),
        "phone": identifier(form.get("phone")),
        "address": clean(form.get("address")),
        "body": clean(form.get("body")),
        "person": clean(form.get("person")),
    }
    errors: dict[str, str] = {}
    if v["category"] not in CATEGORIES:
        errors["category"] = "请选择信访事项的类别：建议意见、检举控告或申诉求决。"
    _length(errors, "title", v["title"], "标题", MAX_TITLE)
    _length(errors, "content", v["content"], "信访内容", MAX_CONTENT)
    _length(errors, "name", v["name"], "姓名", MAX_NAME)
    if v["id_number"] and not ID_NUMBER.match(v["id_number"]):
        errors["id_number"] = "证件号码应为 5 至 32 位字母或数字（居民身份证为 18 位）。"
    elif v["id_number"] and looks_like_resident_id(v["id_number"]):
        if problem := resident_id_problem(v["id_number"]):
            errors["id_number"] = problem
    if not v["phone"]:
        errors["phone"] = "请填写联系电话，以便承办单位与您联系。"
    elif not PHONE.match(v["phone"]):
        errors["phone"] = "联系电话只能包含数字、空格或“-”（可以“+”开头），共 5 至 20 位。"
    _length(errors, "address", v["address"], "通信地址", MAX_ADDRESS, required=False)
    if v["body"] and (
        not ORGANISATION_CODE.match(v["body"])
        or (organisations is not None and v["body"] not in organisations)
    ):
        errors["body"] = "请从列表中选择被反映的单位，或留空。"
    _length(errors, "person", v["person"], "被反映人", 200, required=False)
    return Checked(v, errors)


def petition_intake(values: dict[str, str]) -> petitions_pb2.Intake:
    return petitions_pb2.Intake(
        channel=petitions_pb2.CHANNEL_ONLINE,
        category=CATEGORIES[values["category"]][0],
        title=values["title"],
        content=values["content"],
        petitioners=[
            petitions_pb2.Petitioner(
                name=values["name"],
                id_number=values["id_number"],
                phone=values["phone"],
                address=values["address"],
            )
        ],
        body_complained_about=values["body"],
        person_complained_about=values["person"],
    )


def normalise_query_code(raw: str | None) -> str:
    """'abcd efgh-ijkl mnop' → 'ABCD-EFGH-IJKL-MNOP'; '' when it cannot be a query code."""
    letters = re.sub(r"[\s\-－—]", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if len(letters) != 16 or not letters.isalnum() or not letters.isascii():
        return ""
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def check_query_code(form: dict[str, str]) -> Checked:
    raw = clean(form.get("query_code"))
    code = normalise_query_code(raw)
    errors = {}
    if not raw:
        errors["query_code"] = "请输入提交时获得的查询码。"
    elif not code:
        errors["query_code"] = "查询码由 16 位字母和数字组成，形如 ABCD-EFGH-JKLM-NPQR。"
    return Checked({"query_code": code}, errors)


def check_rating(form: dict[str, str]) -> Checked:
    v = {
        "satisfaction": clean(form.get("satisfaction")),
        "comment": clean(form.get("comment"), multiline=True),
    }
    errors = {}
    if v["satisfaction"] not in SATISFACTION:
        errors["satisfaction"] = "请选择满意、基本满意或不满意。"
    if len(v["comment"]) > 2000:
        errors["comment"] = f"意见最多 2000 个字，现有 {len(v['comment'])} 个字。"
    return Checked(v, errors)


# Field names of the petitions service's BadRequest → the form's field names.
PETITION_FIELDS = {
    "intake.category": "category",
    "intake.title": "title",
    "intake.content": "content",
    "intake.petitioners[0].name": "name",
    "intake.petitioners[0].id_number": "id_number",
    "intake.petitioners[0].phone": "phone",
    "intake.petitioners[0].address": "address",
    "intake.body_complained_about": "body",
    "intake.person_complained_about": "person",
}


def backend_errors(violations: dict[str, str], mapping: dict[str, str]) -> dict[str, str]:
    """A backend's refusal shown next to the fields (in case it checks more than the form did)."""
    errors = {}
    for name, _ in violations.items():
        errors[mapping.get(name, "_form")] = "此项未被受理，请检查后重新填写。"
    return errors


# Chinese names of the form fields, for the pages that show back what was typed.
FIELD_LABELS = {
    "category": "类别",
    "title": "标题",
    "content": "内容",
    "name": "姓名或名称",
    "id_number": "证件号码",
    "phone": "联系电话",
    "address": "通信地址",
    "body": "被反映单位",
    "person": "被反映人",
    "query_code": "查询码",
    "satisfaction": "评价",
    "comment": "意见",
    "kind": "申请人类型",
    "contact_person": "联系人",
    "email": "电子邮箱",
    "description": "所需信息",
    "document_number": "文号",
    "purpose": "用途",
    "delivery_form": "获取方式",
    "text": "意见建议",
    "author_name": "姓名",
    "contact": "联系方式",
    "reason": "理由",
}


# ---- 依申请公开 and 意见征集 ----------------------------------------------------------------------------

MAX_SHORT = 200
MAX_TEXT = 5000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_application(form: dict[str, str], applicant_kinds: dict, delivery_forms: dict) -> Checked:
    """The application for government information (art. 29: who applies, what, in which form)."""
    v = {
        "kind": clean(form.get("kind")),
        "name": clean(form.get("name")),
        "id_number": identifier(form.get("id_number")).replace(" ", "").upper(),
        "contact_person": clean(form.get("contact_person")),
        "phone": identifier(form.get("phone")),
        "email": identifier(form.get("email")),
        "address": clean(form.get("address")),
        "description": clean(form.get("description"), multiline=True),
        "document_number": identifier(form.get("document_number")),
        "purpose": clean(form.get("purpose"), multiline=True),
        "delivery_form": clean(form.get("delivery_form")),
    }
    errors: dict[str, str] = {}
    if v["kind"] not in applicant_kinds:
        errors["kind"] = "请选择申请人类型：公民，或法人和其他组织的类别。"
    _length(errors, "name", v["name"], "姓名或名称", MAX_SHORT)
    if not v["id_number"]:
        errors["id_number"] = "请填写身份证件号码；法人或其他组织请填写统一社会信用代码。"
    elif not re.fullmatch(r"[0-9A-Z]{5,64}", v["id_number"]):
        errors["id_number"] = "证件号码或统一社会信用代码应为 5 至 64 位字母或数字。"
    elif v["kind"] == "person" and looks_like_resident_id(v["id_number"]):
        if problem := resident_id_problem(v["id_number"]):
            errors["id_number"] = problem
    if v["kind"] in applicant_kinds and v["kind"] != "person":
        _length(errors, "contact_person", v["contact_person"], "联系人", MAX_SHORT)
    if v["phone"] and not PHONE.match(v["phone"]):
        errors["phone"] = "联系电话只能包含数字、空格或“-”（可以“+”开头），共 5 至 20 位。"
    if v["email"] and (not EMAIL.match(v["email"]) or len(v["email"]) > MAX_SHORT):
        errors["email"] = "电子邮箱格式不正确，例如 name@example.com。"
    _length(errors, "address", v["address"], "通信地址", MAX_SHORT, required=False)
    if not (v["phone"] or v["email"] or v["address"]) and "phone" not in errors:
        errors["phone"] = "联系电话、电子邮箱和通信地址至少填写一项。"
    if not v["description"]:
        errors["description"] = "请写明所需政府信息的名称、文号或者便于查询的其他特征性描述。"
    elif len(v["description"]) > MAX_TEXT:
        errors["description"] = f"所需信息的描述最多 {MAX_TEXT} 个字，现有 {len(v['description'])} 个字。"
    _length(errors, "document_number", v["document_number"], "文号", 100, required=False)
    _length(errors, "purpose", v["purpose"], "用途", MAX_TEXT, required=False)
    if v["delivery_form"] not in delivery_forms:
        errors["delivery_form"] = "请选择获取信息的方式。"
    elif v["delivery_form"] == "email" and not v["email"] and "email" not in errors:
        errors["email"] = "选择通过电子邮件获取时，请填写电子邮箱。"
    elif v["delivery_form"] == "post" and not v["address"] and "address" not in errors:
        errors["address"] = "选择纸质邮寄时，请填写通信地址。"
    return Checked(v, errors)


APPLICATION_FIELDS = {
    "applicant.kind": "kind",
    "applicant.name": "name",
    "applicant.id_number": "id_number",
    "applicant.contact_person": "contact_person",
    "applicant.phone": "phone",
    "applicant.email": "email",
    "applicant.address": "address",
    "description": "description",
    "document_number": "document_number",
    "purpose": "purpose",
    "delivery_form": "delivery_form",
}


def check_comment(form: dict[str, str]) -> Checked:
    """A comment on a draft (意见建议); name and contact are optional and seen by officers only."""
    v = {
        "author_name": clean(form.get("author_name")),
        "contact": clean(form.get("contact")),
        "text": clean(form.get("text"), multiline=True),
    }
    errors: dict[str, str] = {}
    _length(errors, "text", v["text"], "意见建议", 5000)
    _length(errors, "author_name", v["author_name"], "姓名", 100, required=False)
    _length(errors, "contact", v["contact"], "联系方式", 200, required=False)
    return Checked(v, errors)


COMMENT_FIELDS = {"text": "text", "author_name": "author_name", "contact": "contact"}


# A form's idempotency key (the disclosure service's pattern): made when the form is shown.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
KEY_REUSED = (
    "这张申请表此前已经提交过，而这次提交的内容与上次不同，因此没有提交。"
    "如需再提交一份申请，请核对下面的内容，再点击“提交申请”。"
)
PETITION_KEY_REUSED = (
    "这张信访表此前已经提交过，而这次提交的内容与上次不同，因此没有提交。"
    "如需再提交一件信访事项，请核对下面的内容，再点击“提交”。"
)
NOT_WITHDRAWABLE = "本申请已经答复、撤回或视为放弃，不能再撤回。"
MAX_WITHDRAWAL_REASON = 500


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(18)


def idempotency_key(raw: str | None) -> str:
    """The key a form came back with; '' when missing or not one of ours (the submit is then plain)."""
    key = (raw or "").strip()
    return key if IDEMPOTENCY_KEY.match(key) else ""


def check_withdrawal(form: dict[str, str]) -> Checked:
    """撤回申请: the reason is optional."""
    v = {"reason": clean(form.get("reason"), multiline=True)}
    errors: dict[str, str] = {}
    _length(errors, "reason", v["reason"], "撤回理由", MAX_WITHDRAWAL_REASON, required=False)
    return Checked(v, errors)


def check_completion(form: dict[str, str]) -> Checked:
    v = {"content": clean(form.get("content"), multiline=True)}
    errors: dict[str, str] = {}
    _length(errors, "content", v["content"], "补正内容", MAX_TEXT)
    return Checked(v, errors)
