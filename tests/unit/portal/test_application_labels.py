"""Every value of the applications contract's enums that the portal shows has a Chinese label: a new
reply kind or state in applications.proto fails here until the portal can name it (OGI 36–39, 41:
the applicant is told in Chinese what was decided; 撤回 shown as such)."""

import pytest

from services.portal import disclosure_views as dv
from zgov.disclosure.v1 import applications_pb2 as apb

SHOWN = {
    "ReplyKind (OGI36-39, OGI41)": (apb.ReplyKind, dv.REPLY_KINDS),
    "ApplicationState": (apb.ApplicationState, dv.APPLICATION_STATES),
    "RequestKind (OGI27, OGI41)": (apb.RequestKind, dv.REQUEST_KINDS),
    "Exemption (OGI14-16)": (apb.Exemption, dv.EXEMPTIONS),
    "RemedyKind (OGI50)": (apb.RemedyKind, dv.REMEDY_KINDS),
    "ApplicantKind": (apb.ApplicantKind, {value: name for value, name in dv.APPLICANT_KINDS.values()}),
    "DeliveryForm": (apb.DeliveryForm, {value: name for value, name in dv.DELIVERY_FORMS.values()}),
}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


@pytest.mark.parametrize("enum_name", SHOWN)
def test_OGI36_OGI41_every_value_of_the_proto_enum_has_a_chinese_label(enum_name):
    enum, labels = SHOWN[enum_name]
    missing = [name for name, value in enum.items() if value != 0 and not _has_chinese(labels.get(value, ""))]
    assert missing == [], f"{enum_name}: no Chinese label for {missing}"


def test_OGI41_OGI39_correction_and_publication_replies_and_withdrawal_are_shown_by_name():
    corrected = dv.application(
        apb.Application(
            number="YSQ2026000002",
            state=apb.APPLICATION_STATE_REPLIED,
            content=apb.ApplicationContent(kind=apb.REQUEST_KIND_CORRECTION),
            reply=apb.Reply(kind=apb.REPLY_KIND_CORRECTION_REFERRED, holder_name="资阳市市场监督管理局"),
        )
    )
    assert corrected["reply"]["kind"] == "请向有权更正的行政机关提出"
    assert (
        corrected["reply"]["holder_label"] == "有权更正的机关" and "第四十一条" in corrected["request_kind"]
    )
    gazette = dv.application(
        apb.Application(
            state=apb.APPLICATION_STATE_REPLIED, reply=apb.Reply(kind=apb.REPLY_KIND_PUBLICATION_REQUEST)
        )
    )
    assert "第三十九条" in gazette["reply"]["kind"]
    withdrawn = apb.Application(state=apb.APPLICATION_STATE_WITHDRAWN)
    withdrawn.withdrawn_on.year, withdrawn.withdrawn_on.month, withdrawn.withdrawn_on.day = 2026, 11, 2
    shown = dv.application(withdrawn)
    assert shown["state"] == "申请人已撤回申请" and shown["withdrawn_on"] == "2026-11-02"
    assert not shown["may_withdraw"] and not shown["may_complete"]
    assert dv.application(apb.Application(state=apb.APPLICATION_STATE_CONSULTING))["may_withdraw"]
