"""Form templates as administrators define them and as residents answer them: what is accepted, stored and refused."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

import pydantic
import pytest

from lianfang.common.errors import ValidationFailed
from lianfang.common.forms import (
    BUILTIN_TEMPLATES,
    COMMUTER_BUS,
    HOSPITAL,
    HOSPITAL_DEPARTMENTS,
    OFFICE_VISITOR,
    RESIDENTIAL_GATE,
    BuiltinTemplate,
    FieldType,
    FormDefinition,
    PersonalData,
)
from lianfang.common.forms.fields import PATTERN_REFUSED

TODAY = dt.date(2024, 5, 20)

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(body: str) -> str:
    """An 18-digit ID number from its first 17 digits, computed here by GB 11643 rather than by the code under test."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _GB11643_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def wrong_check_digit(body: str) -> str:
    right = with_check_digit(body)[-1]
    return body + ("1" if right != "1" else "2")


def refusal(call: Callable[[], object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.status == 422
    return [(error.field, error.message) for error in caught.value.errors or []]


def define(*fields: Mapping[str, object]) -> list[tuple[str, str]]:
    return refusal(lambda: FormDefinition.from_fields([dict(field) for field in fields]))


def field(type: str, **attributes: object) -> dict[str, object]:
    """A required field keyed `answer` unless `attributes` say otherwise."""
    return {"key": "answer", "label": "答案", "type": type, "required": True, **attributes}


def one_field(type: str, **attributes: object) -> FormDefinition:
    return FormDefinition.from_fields([field(type, **attributes)])


def accepted(type: str, value: object, **attributes: object) -> object:
    return one_field(type, **attributes).validate_answers({"answer": value}, today=TODAY)["answer"]


def refused(type: str, value: object, **attributes: object) -> list[tuple[str, str]]:
    form = one_field(type, **attributes)
    return refusal(lambda: form.validate_answers({"answer": value}, today=TODAY))


class TestDefinition:
    def test_a_good_definition_keeps_its_order_and_is_tidied(self) -> None:
        form = FormDefinition.from_fields(
            [
                {"key": "name", "label": " 姓名 ", "type": "name", "required": True},
                {"key": "dept", "label": "科室", "type": "select", "options": [" 内科", "外科 "], "placeholder": "  "},
                {"key": "age", "label": "年龄", "type": "number", "min": 0, "max": 150, "options": []},
            ]
        )
        assert form.model_dump(mode="json", exclude_none=True) == {
            "fields": [
                {"key": "name", "label": "姓名", "type": "name", "required": True},
                {"key": "dept", "label": "科室", "type": "select", "required": False, "options": ["内科", "外科"]},
                {"key": "age", "label": "年龄", "type": "number", "required": False, "min": 0.0, "max": 150.0},
            ]
        }

    def test_survives_a_trip_through_json(self) -> None:
        form = HOSPITAL.form
        assert FormDefinition.model_validate_json(form.model_dump_json()) == form

    def test_accepts_every_type(self) -> None:
        fields = [
            field(kind.value, key=f"f_{kind.value}") for kind in FieldType if kind not in {"select", "multiselect"}
        ]
        fields += [field("select", key="one", options=["甲"]), field("multiselect", key="many", options=["甲", "乙"])]
        assert len(FormDefinition.from_fields(fields).fields) == len(FieldType)

    def test_refuses_an_unknown_type(self) -> None:
        assert define(field("text"), field("email", key="mail")) == [
            (
                "fields.1.type",
                "不支持的字段类型“email”，可选：text、name、phone、id_card、number、select、multiselect、date、bool、plate、address",
            )
        ]

    def test_refuses_duplicate_keys_naming_the_first_holder(self) -> None:
        assert define(field("name", key="name"), field("phone", key="phone"), field("text", key="name")) == [
            ("fields.2.key", "标识“name”与第 1 个字段重复")
        ]

    def test_reports_a_duplicate_key_even_on_a_field_refused_for_something_else(self) -> None:
        assert define(field("text", key="note"), field("text", key="note", label="")) == [
            ("fields.1.label", "请填写字段名称"),
            ("fields.1.key", "标识“note”与第 1 个字段重复"),
        ]

    @pytest.mark.parametrize("key", ["Name", "1st", "id-card", "身份证", "", "_name", "a" * 33])
    def test_refuses_keys_that_are_not_identifiers(self, key: str) -> None:
        assert define(field("text", key=key)) == [
            ("fields.0.key", "字段标识须以小写英文字母开头，只含小写字母、数字和下划线，最多 32 个字符")
        ]

    def test_accepts_the_longest_key(self) -> None:
        assert FormDefinition.from_fields([field("text", key="a" * 32)]).fields[0].key == "a" * 32

    @pytest.mark.parametrize("kind", ["select", "multiselect"])
    @pytest.mark.parametrize("options", [None, []])
    def test_refuses_choices_without_options(self, kind: str, options: list[str] | None) -> None:
        assert define(field(kind, options=options)) == [("fields.0.options", "请至少提供一个选项")]

    def test_refuses_duplicate_options_also_after_trimming(self) -> None:
        assert define(field("select", options=["内科", "外科", " 内科 "])) == [("fields.0.options", "选项“内科”重复")]

    def test_refuses_an_empty_option(self) -> None:
        assert define(field("multiselect", options=["内科", "  "])) == [("fields.0.options", "第 2 个选项为空")]

    def test_refuses_too_many_or_too_long_options(self) -> None:
        assert define(
            field("select", key="many", options=[f"选项{number}" for number in range(101)]),
            field("select", key="long", options=["甲", "长" * 51]),
        ) == [("fields.0.options", "最多 100 个选项"), ("fields.1.options", "第 2 个选项超过 50 个字")]

    @pytest.mark.parametrize("kind", ["text", "name", "phone", "number", "bool", "date", "plate"])
    def test_refuses_options_on_types_that_take_none(self, kind: str) -> None:
        assert define(field(kind, options=["甲"])) == [("fields.0.options", "只有单选和多选字段可以设置选项")]

    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            ("([a-z]", "正则表达式无效（第 1 个字符附近）"),
            ("(?P<x", "正则表达式无效（第 5 个字符附近）"),
            ("*a", "正则表达式无效（第 1 个字符附近）"),
            (r"(a)\1", PATTERN_REFUSED),
            ("(?=a)a", PATTERN_REFUSED),
            ("(?<!x)a", PATTERN_REFUSED),
            ("(a{100}){100}", PATTERN_REFUSED),
            ("x" * 201, "正则表达式最多 200 个字符"),
        ],
    )
    def test_refuses_bad_patterns(self, pattern: str, message: str) -> None:
        assert define(field("text", pattern=pattern)) == [("fields.0.pattern", message)]

    @pytest.mark.parametrize("pattern", [r"[A-Z]\d{3}", r"(\d{3}-)+\d{4}", r"(ab|cd)+", r"[(+*]+", r"\(a+\)+"])
    def test_accepts_patterns_that_match_in_linear_time(self, pattern: str) -> None:
        assert one_field("text", pattern=pattern).fields[0].pattern == pattern

    # Each backtracks exponentially under Python's `re`: 26 letters held the event loop for 4.6 s, 27 for twice that.
    # Under RE2 a thousand letters take microseconds; were they backtracked, this test would never end.
    @pytest.mark.parametrize("pattern", ["(a|a)+", "(a|aa)+", r"(\w|\d)+", "(a+){1,30}", "(a+)+", r"((\d*)-)*"])
    def test_patterns_that_backtrack_exponentially_elsewhere_answer_at_once(self, pattern: str) -> None:
        attack = "a" * 999 + "!"
        assert refused("text", attack, pattern=pattern, max_length=1000) == [("answers.answer", "格式不符合要求")]

    def test_unicode_escapes_mean_what_they_mean_in_python_and_javascript(self) -> None:
        assert accepted("name", "张三", pattern=r"[\u4e00-\u9fa5]{2,4}") == "张三"
        assert refused("name", "Zhang", pattern=r"[\u4e00-\u9fa5]{2,4}") == [("answers.answer", "格式不符合要求")]

    @pytest.mark.parametrize("kind", ["number", "select", "multiselect", "date", "bool"])
    def test_refuses_patterns_on_types_without_text(self, kind: str) -> None:
        options = {"options": ["甲"]} if kind in {"select", "multiselect"} else {}
        assert define(field(kind, pattern="x", **options)) == [
            ("fields.0.pattern", "数字、日期、是否和选项类字段不能设置正则表达式")
        ]

    def test_refuses_a_minimum_above_the_maximum(self) -> None:
        assert define(field("number", min=42.5, max=35)) == [("fields.0.max", "最大值不能小于最小值")]

    def test_refuses_a_range_on_other_types(self) -> None:
        assert define(field("text", min=1, max=2)) == [
            ("fields.0.min", "只有数字字段可以设置最小值"),
            ("fields.0.max", "只有数字字段可以设置最大值"),
        ]

    @pytest.mark.parametrize(
        ("max_length", "message"), [(0, "长度上限应在 1 到 1000 之间"), (1001, "长度上限应在 1 到 1000 之间")]
    )
    def test_refuses_length_limits_out_of_range(self, max_length: int, message: str) -> None:
        assert define(field("text", max_length=max_length)) == [("fields.0.max_length", message)]

    def test_refuses_a_length_limit_on_types_without_free_text(self) -> None:
        assert define(field("phone", max_length=11)) == [
            ("fields.0.max_length", "只有文本、姓名和地址字段可以设置长度上限")
        ]

    @pytest.mark.parametrize(
        ("label", "message"), [("", "请填写字段名称"), ("   ", "请填写字段名称"), ("长" * 41, "字段名称最多 40 个字")]
    )
    def test_refuses_empty_or_long_labels(self, label: str, message: str) -> None:
        assert define(field("text", label=label)) == [("fields.0.label", message)]

    def test_refuses_long_placeholders_and_help(self) -> None:
        assert define(field("text", placeholder="长" * 101, help="长" * 201)) == [
            ("fields.0.placeholder", "提示文字最多 100 个字"),
            ("fields.0.help", "说明最多 200 个字"),
        ]

    def test_limits_the_number_of_fields(self) -> None:
        fifty = [field("text", key=f"f{number}") for number in range(50)]
        assert len(FormDefinition.from_fields(fifty).fields) == 50
        assert define(*fifty, field("text", key="one_more")) == [("fields", "最多 50 个字段")]

    def test_refuses_an_empty_form(self) -> None:
        assert define() == [("fields", "请至少添加一个字段")]

    def test_refuses_fields_that_are_not_a_list(self) -> None:
        assert refusal(lambda: FormDefinition.from_fields({"name": field("name")})) == [("fields", "应为字段列表")]

    def test_explains_malformed_fields_in_chinese(self) -> None:
        assert refusal(
            lambda: FormDefinition.from_fields(
                [
                    "姓名",
                    {"label": "手机号"},
                    {"key": "age", "label": "年龄", "type": "number", "required": "maybe", "min": "zero", "hint": "x"},
                ]
            )
        ) == [
            ("fields.0", "应为对象"),
            ("fields.1.key", "必填"),
            ("fields.1.type", "必填"),
            ("fields.2.required", "应为 true 或 false"),
            ("fields.2.min", "应为数字"),
            ("fields.2.hint", "不支持的属性"),
        ]

    def test_reports_every_bad_field_in_order_under_the_given_location(self) -> None:
        raw = [
            field("select", key="dept", options=["内科", "内科"]),
            field("name", key="name"),
            field("colour", key="Colour"),
            field("number", key="age", min=10, max=1),
        ]
        assert refusal(lambda: FormDefinition.from_fields(raw, location="template.fields")) == [
            ("template.fields.0.options", "选项“内科”重复"),
            ("template.fields.2.key", "字段标识须以小写英文字母开头，只含小写字母、数字和下划线，最多 32 个字符"),
            (
                "template.fields.2.type",
                "不支持的字段类型“colour”，可选：text、name、phone、id_card、number、select、multiselect、date、bool、plate、address",
            ),
            ("template.fields.3.max", "最大值不能小于最小值"),
        ]

    def test_cannot_be_built_inconsistent_directly(self) -> None:
        with pytest.raises(pydantic.ValidationError, match=re.escape("fields.1.key：标识“name”与第 1 个字段重复")):
            FormDefinition.model_validate({"fields": [field("name", key="name"), field("text", key="name")]})


class TestRequired:
    @pytest.mark.parametrize("answers", [{}, {"answer": None}, {"answer": ""}, {"answer": "   "}])
    def test_a_missing_answer_is_asked_for_by_label(self, answers: dict[str, object]) -> None:
        form = one_field("text", label="单位")
        assert refusal(lambda: form.validate_answers(answers)) == [("answers.answer", "请填写单位")]

    @pytest.mark.parametrize(
        ("kind", "extra", "blank"),
        [("select", {"options": ["甲"]}, ""), ("multiselect", {"options": ["甲"]}, []), ("bool", {}, None)],
    )
    def test_choices_are_asked_to_be_chosen(self, kind: str, extra: dict[str, object], blank: object) -> None:
        assert refused(kind, blank, label="就诊科室", **extra) == [("answers.answer", "请选择就诊科室")]

    def test_blank_optional_answers_are_left_out(self) -> None:
        form = FormDefinition.from_fields(
            [
                {"key": "note", "label": "备注", "type": "text"},
                {"key": "tags", "label": "标签", "type": "multiselect", "options": ["甲"]},
                {"key": "seat", "label": "座位号", "type": "text"},
            ]
        )
        assert form.validate_answers({"note": "  ", "tags": [], "seat": None}) == {}

    def test_false_and_zero_are_answers(self) -> None:
        form = FormDefinition.from_fields([field("bool", key="resident"), field("number", key="count")])
        assert form.validate_answers({"resident": False, "count": 0}) == {"resident": False, "count": 0}

    def test_answers_come_back_in_form_order(self) -> None:
        form = FormDefinition.from_fields([field("text", key="first"), field("text", key="second")])
        assert list(form.validate_answers({"second": "乙", "first": "甲"})) == ["first", "second"]


class TestText:
    def test_is_stripped(self) -> None:
        assert accepted("text", "  三号楼 ") == "三号楼"

    def test_has_a_default_length_limit(self) -> None:
        assert accepted("text", "字" * 200) == "字" * 200
        assert refused("text", "字" * 201) == [("answers.answer", "最多 200 个字")]

    def test_length_limit_can_be_set(self) -> None:
        assert refused("text", "12345678901", max_length=10) == [("answers.answer", "最多 10 个字")]

    def test_address_has_its_own_limit(self) -> None:
        assert accepted("address", "  幸福小区 3 号楼 2 单元 501 ") == "幸福小区 3 号楼 2 单元 501"
        assert refused("address", "址" * 201) == [("answers.answer", "最多 200 个字")]

    @pytest.mark.parametrize("value", [42, ["甲"], {"text": "甲"}])
    def test_refuses_what_is_not_text(self, value: object) -> None:
        assert refused("text", value) == [("answers.answer", "请填写文字")]


class TestName:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("张三", "张三"),
            (" 张 三 ", "张三"),
            ("买买提·艾力", "买买提·艾力"),
            ("买买提•艾力", "买买提·艾力"),
            ("买买提 . 艾力", "买买提·艾力"),
            ("爱新觉罗・启星", "爱新觉罗·启星"),
            ("John  Smith", "John Smith"),
            ("Jean-Luc Picard", "Jean-Luc Picard"),
            ("John F. Kennedy", "John F. Kennedy"),
            ("Seán O'Brien", "Seán O'Brien"),
            ("王𬌗", "王𬌗"),
            ("李〇", "李〇"),
        ],
    )
    def test_accepts_chinese_latin_and_minority_names(self, typed: str, stored: str) -> None:
        assert accepted("name", typed) == stored

    @pytest.mark.parametrize("value", ["张三1", "zhang@san", "·张三", "张三·", "买买提··艾力", "张_三", "🙂"])
    def test_refuses_other_characters(self, value: str) -> None:
        assert refused("name", value) == [("answers.answer", "只能填写汉字或英文字母，少数民族姓名可用“·”分隔")]

    def test_is_at_most_thirty_characters_unless_the_form_allows_more(self) -> None:
        assert accepted("name", "名" * 30) == "名" * 30
        assert refused("name", "名" * 31) == [("answers.answer", "最多 30 个字")]
        assert accepted("name", "名" * 31, max_length=40) == "名" * 31


class TestPhone:
    @pytest.mark.parametrize(
        "typed",
        [
            "13800138000",
            " 138 0013 8000 ",
            "138-0013-8000",
            "+86 138 0013 8000",
            "008613800138000",
            "１３８００１３８０００",
        ],
    )
    def test_accepts_mainland_mobiles_as_people_type_them(self, typed: str) -> None:
        assert accepted("phone", typed) == "13800138000"

    @pytest.mark.parametrize(
        "value",
        ["12800138000", "1380013800", "138001380001", "0311-86012345", "1380013800a", "١٣٨٠٠١٣٨٠٠٠", 13800138000],
    )
    def test_refuses_anything_else(self, value: object) -> None:
        assert refused("phone", value) == [("answers.answer", "请输入 11 位中国大陆手机号")]


class TestIdCard:
    def test_the_check_digit_helper_agrees_with_the_classic_sample(self) -> None:
        assert with_check_digit("11010519491231002") == "11010519491231002X"

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("11010519491231002X", "11010519491231002X"),
            ("11010519491231002x", "11010519491231002X"),
            (" 110105 19491231 002X ", "11010519491231002X"),
            ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
            (with_check_digit("13010519900307123"), with_check_digit("13010519900307123")),
        ],
    )
    def test_accepts_valid_numbers_and_upper_cases_the_x(self, typed: str, stored: str) -> None:
        assert accepted("id_card", typed) == stored

    def test_accepts_numbers_whose_area_code_is_newer_than_the_birth_date(self) -> None:
        # Shijiazhuang's 长安区 (130102) dates from 1983; people born before then carry it all the same.
        assert accepted("id_card", with_check_digit("13010219800101001")) == "130102198001010010"

    def test_refuses_a_wrong_check_digit(self) -> None:
        assert refused("id_card", wrong_check_digit("11010519491231002")) == [
            ("answers.answer", "身份证号码有误（校验位不符），请逐位核对")
        ]

    def test_refuses_a_birth_date_that_does_not_exist(self) -> None:
        assert refused("id_card", with_check_digit("11010519990231002")) == [
            ("answers.answer", "身份证号码中的出生日期 19990231 不存在")
        ]

    def test_refuses_a_birth_date_after_today(self) -> None:
        assert accepted("id_card", with_check_digit("11010520240520002")) == with_check_digit("11010520240520002")
        assert refused("id_card", with_check_digit("11010520240521002")) == [
            ("answers.answer", "身份证号码中的出生日期 20240521 晚于今天")
        ]

    def test_today_is_taken_in_china_by_default(self) -> None:
        form = one_field("id_card")
        assert refusal(lambda: form.validate_answers({"answer": with_check_digit("11010529991231002")})) == [
            ("answers.answer", "身份证号码中的出生日期 29991231 晚于今天")
        ]

    def test_refuses_a_birth_date_before_1900(self) -> None:
        assert refused("id_card", with_check_digit("11010518991231002")) == [
            ("answers.answer", "身份证号码中的出生日期 18991231 不正确")
        ]

    @pytest.mark.parametrize(
        "value",
        [
            "1101051949123100",
            "110105491231002",
            "1101051949123100XX",
            "X10105194912310021",
            "11010519491231002Y",
            110105,
        ],
    )
    def test_refuses_what_is_not_an_eighteen_digit_number(self, value: object) -> None:
        assert refused("id_card", value) == [("answers.answer", "请输入 18 位居民身份证号码")]


class TestNumber:
    @pytest.mark.parametrize(
        ("typed", "stored"), [(36, 36), (36.5, 36.5), ("37", 37), (" 36.5 ", 36.5), ("-3", -3), ("３７", 37), (0, 0)]
    )
    def test_accepts_numbers_and_numeric_text(self, typed: object, stored: float) -> None:
        value = accepted("number", typed)
        assert value == stored
        assert type(value) is type(stored)

    @pytest.mark.parametrize("value", ["abc", "1e5", "nan", "1,000", float("nan"), float("inf"), True, ["1"], "1" * 31])
    def test_refuses_what_is_not_a_number(self, value: object) -> None:
        assert refused("number", value) == [("answers.answer", "请输入数字")]

    def test_keeps_within_the_range_bounds_included(self) -> None:
        assert accepted("number", 35, min=35, max=42.5) == 35
        assert accepted("number", 42.5, min=35, max=42.5) == 42.5
        assert refused("number", 34.9, min=35, max=42.5) == [("answers.answer", "不能小于 35")]
        assert refused("number", "43", min=35, max=42.5) == [("answers.answer", "不能大于 42.5")]


class TestSelect:
    def test_accepts_one_of_the_options(self) -> None:
        assert accepted("select", " 内科 ", options=["内科", "外科"]) == "内科"

    @pytest.mark.parametrize("value", ["牙科", "内", 1, ["内科"]])
    def test_refuses_anything_else(self, value: object) -> None:
        assert refused("select", value, options=["内科", "外科"]) == [("answers.answer", "请从给定的选项中选择")]


class TestMultiselect:
    def test_accepts_distinct_options_stored_in_the_template_order(self) -> None:
        assert accepted("multiselect", ["丙", " 甲"], options=["甲", "乙", "丙"]) == ["甲", "丙"]

    def test_refuses_an_unknown_choice_by_name(self) -> None:
        assert refused("multiselect", ["甲", "丁"], options=["甲", "乙"]) == [("answers.answer", "“丁”不是可选项")]

    def test_refuses_a_choice_made_twice(self) -> None:
        assert refused("multiselect", ["甲", "甲 "], options=["甲", "乙"]) == [("answers.answer", "“甲”选了两次")]

    @pytest.mark.parametrize("value", ["甲", [1], {"甲": True}])
    def test_refuses_what_is_not_a_list_of_choices(self, value: object) -> None:
        assert refused("multiselect", value, options=["甲", "乙"]) == [("answers.answer", "请从给定的选项中选择")]


class TestDate:
    def test_accepts_an_iso_date(self) -> None:
        assert accepted("date", " 2024-02-29 ") == "2024-02-29"

    def test_refuses_a_date_that_does_not_exist(self) -> None:
        assert refused("date", "2023-02-29") == [("answers.answer", "日期 2023-02-29 不存在")]

    @pytest.mark.parametrize(
        "value", ["2024/02/01", "20240201", "2024-2-1", "2024-02-01T08:00", "二〇二四年二月一日", 20240201]
    )
    def test_refuses_other_formats(self, value: object) -> None:
        assert refused("date", value) == [("answers.answer", "请按“年-月-日”填写日期，如 2020-02-01")]


class TestBool:
    @pytest.mark.parametrize(("typed", "stored"), [(True, True), (False, False), ("true", True), (" False ", False)])
    def test_accepts_true_and_false(self, typed: object, stored: bool) -> None:
        assert accepted("bool", typed) is stored

    @pytest.mark.parametrize("value", ["是", "yes", 1, 0, "1"])
    def test_refuses_anything_else(self, value: object) -> None:
        assert refused("bool", value) == [("answers.answer", "请选择“是”或“否”")]


class TestPlate:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("京A12345", "京A12345"),
            ("冀a·8k3x9", "冀A8K3X9"),
            (" 冀A 12345 ", "冀A12345"),
            ("京ＡＤ１２３４５", "京AD12345"),
            ("京AD12345", "京AD12345"),
            ("粤BFA1234", "粤BFA1234"),
            ("沪AA12345", "沪AA12345"),
            ("冀A12345D", "冀A12345D"),
            ("冀A1234学", "冀A1234学"),
            ("冀A1234挂", "冀A1234挂"),
        ],
    )
    def test_accepts_ordinary_and_new_energy_plates_in_upper_case(self, typed: str, stored: str) -> None:
        assert accepted("plate", typed) == stored

    @pytest.mark.parametrize(
        "value",
        ["京A1234", "京A123456", "京AX12345", "京AD1234A", "京A12345X", "A12345", "港A12345", "京812345", 12345],
    )
    def test_refuses_what_is_not_a_plate(self, value: object) -> None:
        assert refused("plate", value) == [("answers.answer", "请输入正确的车牌号，如 京A12345，新能源车如 京AD12345")]

    @pytest.mark.parametrize("value", ["京I12345", "京A1234O", "京AD1O345"])
    def test_points_out_the_letters_plates_never_use(self, value: str) -> None:
        assert refused("plate", value) == [("answers.answer", "车牌号不使用字母 I 和 O，请核对（可能是数字 1 或 0）")]


class TestPattern:
    def test_must_match_the_whole_answer(self) -> None:
        assert accepted("text", " A123 ", pattern=r"[A-Z]\d{3}") == "A123"
        assert refused("text", "A1234", pattern=r"[A-Z]\d{3}") == [("answers.answer", "格式不符合要求")]

    def test_applies_to_the_normalised_value(self) -> None:
        assert accepted("plate", "冀a12345", pattern="冀A.*") == "冀A12345"
        assert refused("plate", "京A12345", pattern="冀A.*") == [("answers.answer", "格式不符合要求")]


class TestInvisibleCharacters:
    @pytest.mark.parametrize("char", ["\x00", "\x0b", "\u202e", "\u200b", "\u2028"])
    def test_are_refused_in_every_typed_answer(self, char: str) -> None:
        message = f"不能包含控制字符或不可见字符（U+{ord(char):04X}）"
        for kind in ("text", "name", "address", "phone"):
            assert refused(kind, f"1{char}2", **({"max_length": 20} if kind == "text" else {})) == [
                ("answers.answer", message)
            ]

    def test_a_text_area_keeps_its_line_breaks(self) -> None:
        assert accepted("text", "一楼\n二楼") == "一楼\n二楼"

    @pytest.mark.parametrize("attribute", ["label", "placeholder", "help"])
    def test_are_refused_in_what_an_admin_types_into_a_field(self, attribute: str) -> None:
        assert define(field("text", **{attribute: "姓\u202e名"})) == [
            (f"fields.0.{attribute}", "不能包含控制字符或不可见字符（U+202E）")
        ]


class TestAnswersAsAWhole:
    def test_refuses_keys_the_form_does_not_have(self) -> None:
        form = one_field("text")
        with pytest.raises(ValidationFailed) as caught:
            form.validate_answers({"answer": "甲", "temperature": 36.5})
        assert [(error.field, error.message, error.code) for error in caught.value.errors or []] == [
            ("answers.temperature", "表单中没有这一项，请刷新页面后重新填写", "unknown_field")
        ]
        assert caught.value.detail == "表单已更新，请刷新页面后重新填写"

    def test_gives_one_entry_per_bad_field_and_names_them_in_the_detail(self) -> None:
        answers = {
            "name": "张三3",
            "phone": "1380013800",
            "id_card": wrong_check_digit("11010519491231002"),
            "department": "内科",
            "ward": "3",
        }
        with pytest.raises(ValidationFailed) as caught:
            HOSPITAL.form.validate_answers(answers, today=TODAY)
        assert [(error.field, error.message, error.code) for error in caught.value.errors or []] == [
            ("answers.name", "只能填写汉字或英文字母，少数民族姓名可用“·”分隔", "invalid"),
            ("answers.phone", "请输入 11 位中国大陆手机号", "invalid"),
            ("answers.id_card", "身份证号码有误（校验位不符），请逐位核对", "checksum"),
            ("answers.travel_history", "请选择14天旅居史", "missing"),
            ("answers.ward", "表单中没有这一项，请刷新页面后重新填写", "unknown_field"),
        ]
        assert caught.value.detail == "请检查：姓名、手机号、身份证号、14天旅居史"

    def test_names_entries_under_the_given_location(self) -> None:
        form = RESIDENTIAL_GATE.form
        assert refusal(lambda: form.validate_answers({}, location="companions.0.answers")) == [
            ("companions.0.answers.name", "请填写姓名"),
            ("companions.0.answers.phone", "请填写手机号"),
            ("companions.0.answers.address", "请填写住址/楼号"),
            ("companions.0.answers.is_resident", "请选择是否本小区居民"),
        ]


class TestPersonalData:
    def test_lists_the_keys_of_each_personal_type(self) -> None:
        assert HOSPITAL.form.personal_fields() == {
            FieldType.name: ("name",),
            FieldType.phone: ("phone",),
            FieldType.id_card: ("id_card",),
        }
        assert OFFICE_VISITOR.form.personal_fields() == {
            FieldType.name: ("name",),
            FieldType.phone: ("phone",),
            FieldType.id_card: (),
        }

    def test_takes_the_first_field_of_each_type_as_the_persons_own(self) -> None:
        form = FormDefinition.from_fields(
            [
                field("name", key="visitor"),
                field("phone", key="mobile"),
                field("phone", key="emergency_phone", required=False),
                field("text", key="note", required=False),
            ]
        )
        assert form.personal_fields()[FieldType.phone] == ("mobile", "emergency_phone")
        answers = form.validate_answers({"visitor": "李四", "mobile": "13900139000", "emergency_phone": "13800138000"})
        assert form.personal_data(answers) == PersonalData(name="李四", phone="13900139000", id_card=None)

    def test_skips_an_unanswered_first_field(self) -> None:
        form = FormDefinition.from_fields(
            [field("phone", key="home", required=False), field("phone", key="mobile", required=False)]
        )
        assert form.personal_data(form.validate_answers({"mobile": "13900139000"})) == PersonalData(phone="13900139000")


class TestBuiltinTemplates:
    def test_are_the_four_common_places_with_their_chinese_labels(self) -> None:
        assert [
            (
                template.slug,
                template.name,
                [(field.key, field.label, field.type.value) for field in template.form.fields],
            )
            for template in BUILTIN_TEMPLATES
        ] == [
            (
                "residential_gate",
                "小区门岗",
                [
                    ("name", "姓名", "name"),
                    ("phone", "手机号", "phone"),
                    ("address", "住址/楼号", "address"),
                    ("is_resident", "是否本小区居民", "bool"),
                ],
            ),
            (
                "commuter_bus",
                "通勤班车",
                [
                    ("name", "姓名", "name"),
                    ("phone", "手机号", "phone"),
                    ("employee_no", "工号", "text"),
                    ("seat", "座位号", "text"),
                ],
            ),
            (
                "hospital",
                "医院",
                [
                    ("name", "姓名", "name"),
                    ("phone", "手机号", "phone"),
                    ("id_card", "身份证号", "id_card"),
                    ("department", "就诊科室", "select"),
                    ("travel_history", "14天旅居史", "select"),
                ],
            ),
            (
                "office_visitor",
                "办公楼访客",
                [
                    ("name", "姓名", "name"),
                    ("phone", "手机号", "phone"),
                    ("company", "单位", "text"),
                    ("host", "被访人", "text"),
                ],
            ),
        ]

    @pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda template: template.slug)
    def test_pass_the_checks_an_administrators_template_gets(self, template: BuiltinTemplate) -> None:
        raw = template.form.model_dump(mode="json", exclude_none=True)["fields"]
        assert FormDefinition.from_fields(raw) == template.form

    def test_hospital_offers_the_common_departments(self) -> None:
        department = HOSPITAL.form.fields[3]
        assert department.options == HOSPITAL_DEPARTMENTS
        assert {"发热门诊", "急诊科", "内科", "外科", "儿科", "其他"} <= set(HOSPITAL_DEPARTMENTS)

    def test_accept_what_a_resident_fills_in(self) -> None:
        id_number = with_check_digit("13010519900307123")
        samples: list[tuple[BuiltinTemplate, dict[str, object]]] = [
            (
                RESIDENTIAL_GATE,
                {"name": "张三", "phone": "13800138000", "address": "3 号楼 2 单元 501", "is_resident": True},
            ),
            (COMMUTER_BUS, {"name": "李四", "phone": "13900139000", "employee_no": "A10023"}),
            (
                HOSPITAL,
                {
                    "name": "王五",
                    "phone": "13700137000",
                    "id_card": id_number.lower(),
                    "department": "发热门诊",
                    "travel_history": "无中高风险地区旅居史",
                },
            ),
            (OFFICE_VISITOR, {"name": "赵六", "phone": "15000150000", "company": "河北某公司", "host": "行政部 刘七"}),
        ]
        for template, answers in samples:
            expected = {**answers, "id_card": id_number} if template is HOSPITAL else answers
            assert template.form.validate_answers(answers, today=TODAY) == expected
