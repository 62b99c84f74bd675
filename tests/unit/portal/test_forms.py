"""The portal's form checks (pure): precise Chinese messages, the backends' own limits."""

from services.portal import forms
from zgov.petitions.v1 import petitions_pb2

GOOD = {"category": "suggestion", "title": "增设公交站", "content": "建议在幸福小区门口增设公交站。\n谢谢。",
        "name": "赵小红", "phone": "139 0000-2222", "id_number": "51200219800101002x", "address": ""}


def test_a_good_petition_becomes_an_online_intake():
    checked = forms.check_petition(GOOD)
    assert checked.ok, checked.errors
    intake = forms.petition_intake(checked.values)
    assert intake.channel == petitions_pb2.CHANNEL_ONLINE
    assert intake.category == petitions_pb2.CATEGORY_SUGGESTION
    assert intake.petitioners[0].id_number == "51200219800101002X"
    assert intake.content == "建议在幸福小区门口增设公交站。\n谢谢。"


def test_every_problem_is_named_at_its_field():
    checked = forms.check_petition({"category": "other", "title": "标" * 201, "content": "\u0000 ", "phone": "abc",
                                    "id_number": "1", "body": "教育局"})
    assert set(checked.errors) == {"category", "title", "content", "name", "phone", "id_number", "body"}
    assert checked.errors["title"] == "标题最多 200 个字，现有 201 个字。"
    assert checked.errors["content"] == "请填写信访内容。"


def test_body_complained_about_must_be_one_of_the_listed_organisations():
    assert forms.check_petition({**GOOD, "body": "education-bureau"}, {"education-bureau": "市教育局"}).ok
    assert "body" in forms.check_petition({**GOOD, "body": "made-up-bureau"}, {"education-bureau": "市教育局"}).errors


def test_control_characters_are_dropped_and_text_normalised():
    assert forms.clean("\u202e标题\u0007 ") == "标题"
    assert forms.clean("a\r\nb", multiline=True) == "a\nb"
    assert forms.clean("a\nb") == "ab"


def test_query_codes_forgive_case_spaces_and_full_width_dashes():
    assert forms.normalise_query_code("abcd efgh－jklm-npqr") == "ABCD-EFGH-JKLM-NPQR"
    assert forms.normalise_query_code("ＡＢＣＤ-EFGH-JKLM-NPQR") == "ABCD-EFGH-JKLM-NPQR"
    assert forms.normalise_query_code("ABCD-EFGH") == ""
    assert forms.normalise_query_code("ABCD-EFGH-JKLM-NPQ中") == ""
    assert forms.check_query_code({"query_code": ""}).errors["query_code"] == "请输入提交时获得的查询码。"


def test_rating_needs_one_of_three_answers():
    assert forms.check_rating({"satisfaction": "basically"}).ok
    assert "satisfaction" in forms.check_rating({"satisfaction": "great"}).errors
    assert "comment" in forms.check_rating({"satisfaction": "satisfied", "comment": "长" * 2001}).errors


def test_an_application_forms_idempotency_key_is_kept_only_when_it_is_one_of_ours():
    key = forms.new_idempotency_key()
    assert forms.idempotency_key(f" {key} ") == key and len(key) >= 16
    assert forms.new_idempotency_key() != key
    for bad in (None, "", "short", "has space in it", "x" * 65, "<script>alert(1)</script>"):
        assert forms.idempotency_key(bad) == ""


def test_a_withdrawal_reason_is_optional_and_bounded():
    assert forms.check_withdrawal({}).ok
    assert forms.check_withdrawal({"reason": "已通过其他途径获取\r\n谢谢"}).values["reason"] == "已通过其他途径获取\n谢谢"
    too_long = forms.check_withdrawal({"reason": "理" * 501})
    assert too_long.errors["reason"] == "撤回理由最多 500 个字，现有 501 个字。"
