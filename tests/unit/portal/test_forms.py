"""The portal's form checks (pure): precise Chinese messages, the backends' own limits."""

from services.portal import forms
from zgov.petitions.v1 import petitions_pb2

GOOD = {
    "category": "suggestion",
    "title": "增设公交站",
    "content": "建议在幸福小区门口增设公交站。\n谢谢。",
    "name": "赵小红",
    "phone": "139 0000-2222",
    "id_number": "11010519491231002x",
    "address": "",
}


def test_a_good_petition_becomes_an_online_intake():
    checked = forms.check_petition(GOOD)
    assert checked.ok, checked.errors
    intake = forms.petition_intake(checked.values)
    assert intake.channel == petitions_pb2.CHANNEL_ONLINE
    assert intake.category == petitions_pb2.CATEGORY_SUGGESTION
    assert intake.petitioners[0].id_number == "11010519491231002X"
    assert intake.content == "建议在幸福小区门口增设公交站。\n谢谢。"


def test_every_problem_is_named_at_its_field():
    checked = forms.check_petition(
        {
            "category": "other",
            "title": "标" * 201,
            "content": "\u0000 ",
            "phone": "abc",
            "id_number": "1",
            "body": "教育局",
        }
    )
    assert set(checked.errors) == {"category", "title", "content", "name", "phone", "id_number", "body"}
    assert checked.errors["title"] == "标题最多 200 个字，现有 201 个字。"
    assert checked.errors["content"] == "请填写信访内容。"


def test_body_complained_about_must_be_one_of_the_listed_organisations():
    assert forms.check_petition({**GOOD, "body": "education-bureau"}, {"education-bureau": "市教育局"}).ok
    assert (
        "body"
        in forms.check_petition({**GOOD, "body": "made-up-bureau"}, {"education-bureau": "市教育局"}).errors
    )


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
    assert (
        forms.check_withdrawal({"reason": "已通过其他途径获取\r\n谢谢"}).values["reason"]
        == "已通过其他途径获取\n谢谢"
    )
    too_long = forms.check_withdrawal({"reason": "理" * 501})
    assert too_long.errors["reason"] == "撤回理由最多 500 个字，现有 501 个字。"


def test_full_width_digits_and_letters_are_ascii_in_every_field_chinese_punctuation_stays():
    checked = forms.check_petition(
        {
            **GOOD,
            "title": "Ｇ３１８国道２号路灯",
            "phone": "１３９　００００－２２２２",
            "id_number": "１１０１０５１９４９１２３１００２ｘ",
            "content": "路灯坏了，请修。",
        }
    )
    assert checked.ok, checked.errors
    v = checked.values
    assert (
        v["title"] == "G318国道2号路灯"
        and v["phone"] == "139 0000-2222"
        and v["id_number"] == "11010519491231002X"
    )
    assert v["content"] == "路灯坏了，请修。"  # full-width punctuation belongs to Chinese text
    email = forms.check_application(
        {
            "kind": "person",
            "name": "钱多多",
            "id_number": "512002199001010012",
            "email": "ｑｉａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "description": "２０２５年预算",
            "delivery_form": "email",
        },
        {"person": 1},
        {"email": 1},
    )
    assert email.ok, email.errors
    assert email.values["email"] == "qian@example.com" and email.values["description"] == "2025年预算"


def test_resident_identity_numbers_are_checked_length_birth_date_and_gb11643_check_digit():
    assert forms.resident_id_problem("11010519491231002X") == ""
    assert forms.resident_id_problem("512002199001010012") == ""
    assert "校验位" in forms.resident_id_problem("512002199001010011")
    assert "出生日期" in forms.resident_id_problem("512002199002300012")  # 30 February
    assert "出生日期" in forms.resident_id_problem("512002299001010012")  # born in 2990
    assert "18 位" in forms.resident_id_problem("51200219900101001")
    assert "校验位" in forms.check_petition({**GOOD, "id_number": "512002199001010011"}).errors["id_number"]
    assert forms.check_petition({**GOOD, "id_number": "E12345678"}).ok  # a passport: not a resident number
    organisation = forms.check_application(
        {
            "kind": "company",
            "name": "某公司",
            "id_number": "91512000MA62XXXX0X",
            "contact_person": "李",
            "phone": "13600003333",
            "description": "信息",
            "delivery_form": "download",
        },
        {"person": 1, "company": 1},
        {"download": 1},
    )
    assert organisation.ok, organisation.errors  # 统一社会信用代码: not checked as a resident number
    person = forms.check_application(
        {
            "kind": "person",
            "name": "钱多多",
            "id_number": "512002199001010011",
            "phone": "13600003333",
            "description": "信息",
            "delivery_form": "download",
        },
        {"person": 1},
        {"download": 1},
    )
    assert "校验位" in person.errors["id_number"]
