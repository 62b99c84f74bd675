"""政府信息公开投诉 (A38, OGI art. 47, 51) on the portal: a citizen complains that an office failed its
disclosure duties, gets the complaint's number, its answer limit and a query code (shown once), and
follows it to the office's answer. Through the portal's service account (complaint:file); the query
code travels in POST bodies only."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal import forms
from services.portal.backends import BackendError
from services.portal.receipt_pages import answer_with_receipt
from services.portal.views import day
from services.portal.web import (
    PortalDep,
    VisitorDep,
    check_csrf,
    limit_writes,
    render,
    text_form,
    unavailable,
)
from zgov.disclosure.v1 import complaints_pb2 as pb

router = APIRouter(prefix="/complaints", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
MATTERS = {
    "not-published": (pb.COMPLAINT_MATTER_NOT_PUBLISHED, "应当主动公开的政府信息未公开"),
    "not-answered": (pb.COMPLAINT_MATTER_APPLICATION_NOT_ANSWERED, "未按规定答复政府信息公开申请"),
    "improper": (pb.COMPLAINT_MATTER_ANSWER_IMPROPER, "答复或处理不符合规定"),
    "other": (pb.COMPLAINT_MATTER_OTHER, "其他未依法履行政府信息公开义务的情形"),
}
MATTER_NAMES = {value: name for value, name in MATTERS.values()}
FINDINGS = {
    pb.COMPLAINT_FINDING_SUBSTANTIATED: "投诉属实",
    pb.COMPLAINT_FINDING_PARTLY_SUBSTANTIATED: "投诉部分属实",
    pb.COMPLAINT_FINDING_NOT_SUBSTANTIATED: "投诉不属实",
}
FIELDS = {
    "matter": "matter",
    "office_name": "office_name",
    "description": "description",
    "complainant.name": "name",
    "complainant.phone": "phone",
    "complainant.email": "email",
}


def shown(c: pb.Complaint) -> dict:
    return {
        "number": c.number,
        "matter": MATTER_NAMES.get(c.matter, ""),
        "office": c.office_name,
        "description": c.description,
        "filed_on": day(c.filed_on),
        "due": day(c.answer_due),
        "late": c.late,
        "answered": c.state == pb.COMPLAINT_STATE_ANSWERED,
        "finding": FINDINGS.get(c.finding, ""),
        "answer": c.answer,
        "answered_on": day(c.answered_on) if c.answered_on.year else "",
    }


def check(form: dict) -> forms.Checked:
    v = {
        "matter": forms.clean(form.get("matter")),
        "office_name": forms.clean(form.get("office_name")),
        "description": forms.clean(form.get("description"), multiline=True),
        "name": forms.clean(form.get("name")),
        "phone": forms.identifier(form.get("phone")),
        "email": forms.identifier(form.get("email")),
    }
    errors: dict[str, str] = {}
    if v["matter"] not in MATTERS:
        errors["matter"] = "请选择投诉的事项。"
    for name, label, maximum in (
        ("office_name", "被投诉的行政机关", 200),
        ("description", "投诉内容", 5000),
        ("name", "姓名", 100),
    ):
        if not v[name]:
            errors[name] = f"请填写{label}。"
        elif len(v[name]) > maximum:
            errors[name] = f"{label}最多 {maximum} 个字，现有 {len(v[name])} 个字。"
    if v["phone"] and not forms.PHONE.match(v["phone"]):
        errors["phone"] = "联系电话只能包含数字、空格或“-”（可以“+”开头），共 5 至 20 位。"
    if v["email"] and not forms.EMAIL.match(v["email"]):
        errors["email"] = "电子邮箱格式不正确，例如 name@example.com。"
    if not (v["phone"] or v["email"]) and "phone" not in errors:
        errors["phone"] = "联系电话和电子邮箱至少填写一项，以便答复您。"
    return forms.Checked(v, errors)


@router.get("/new", response_class=HTMLResponse)
async def new_complaint(portal: PortalDep, visitor: VisitorDep):
    return render(
        portal,
        visitor,
        "complaints/new.html",
        values={},
        errors={},
        matters=MATTERS,
        column_name="政府信息公开",
    )


@router.post("/new", response_class=HTMLResponse)
async def file_complaint(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    checked = check(form)
    page = dict(values=checked.values, matters=MATTERS, column_name="政府信息公开")
    if not checked.ok:
        return render(portal, visitor, "complaints/new.html", 422, errors=checked.errors, **page)
    await limit_writes(portal, visitor, "complaint")
    v = checked.values
    try:
        filed = await portal.backends.call(
            portal.backends.complaints.FileComplaint,
            pb.FileComplaintRequest(
                matter=MATTERS[v["matter"]][0],
                office_name=v["office_name"],
                description=v["description"],
                complainant=pb.Complainant(name=v["name"], phone=v["phone"], email=v["email"]),
            ),
        )
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            errors = {FIELDS.get(k, "_form"): "此项未被受理，请检查后重新填写。" for k in error.fields}
            return render(portal, visitor, "complaints/new.html", 422, errors=errors, **page)
        raise unavailable(error) from error
    # Post/Redirect/Get: the receipt page is a GET, so a reload files nothing again (receipt_pages.py)
    return await answer_with_receipt(portal, visitor, "complaint", shown(filed.complaint), filed.query_code)


@router.get("/follow", response_class=HTMLResponse)
async def follow_form(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "complaints/follow.html", values={}, errors={})


@router.post("/follow", response_class=HTMLResponse)
async def follow(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    checked = forms.check_query_code(form)
    if not checked.ok:
        return render(
            portal, visitor, "complaints/follow.html", 422, values=checked.values, errors=checked.errors
        )
    await limit_writes(portal, visitor, "follow")
    try:
        c = await portal.backends.call(
            portal.backends.complaints.FollowComplaint,
            pb.FollowComplaintRequest(query_code=checked.values["query_code"]),
        )
    except BackendError as error:
        if error.code == grpc.StatusCode.NOT_FOUND:
            return render(
                portal,
                visitor,
                "complaints/follow.html",
                404,
                values=checked.values,
                errors={"query_code": "没有找到与此查询码对应的投诉，请核对后重新输入。"},
            )
        raise unavailable(error) from error
    return render(portal, visitor, "complaints/complaint.html", headers=NO_STORE, c=shown(c))
