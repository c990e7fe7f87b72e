"""The templates every deployment starts with, for the places the system Lianfang replaces registered most."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

from lianfang.common.forms.definition import FormDefinition
from lianfang.common.forms.fields import FieldType, FormField

__all__ = [
    "BUILTIN_TEMPLATES",
    "COMMUTER_BUS",
    "HOSPITAL",
    "HOSPITAL_DEPARTMENTS",
    "OFFICE_VISITOR",
    "RESIDENTIAL_GATE",
    "TRAVEL_HISTORY_OPTIONS",
    "BuiltinTemplate",
]


class BuiltinTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    slug: str
    name: str
    form: FormDefinition


_NAME: Final = FormField(key="name", label="姓名", type=FieldType.name, required=True, placeholder="请输入真实姓名")
_PHONE: Final = FormField(key="phone", label="手机号", type=FieldType.phone, required=True, placeholder="11 位手机号")

HOSPITAL_DEPARTMENTS: Final = (
    "发热门诊",
    "急诊科",
    "内科",
    "外科",
    "妇产科",
    "儿科",
    "骨科",
    "眼科",
    "耳鼻咽喉科",
    "口腔科",
    "皮肤科",
    "中医科",
    "体检中心",
    "陪诊、探视",
    "其他",
)
TRAVEL_HISTORY_OPTIONS: Final = ("无中高风险地区旅居史", "有国内中高风险地区旅居史", "有境外旅居史")

RESIDENTIAL_GATE: Final = BuiltinTemplate(
    slug="residential_gate",
    name="小区门岗",
    form=FormDefinition(
        fields=(
            _NAME,
            _PHONE,
            FormField(
                key="address",
                label="住址/楼号",
                type=FieldType.address,
                required=True,
                placeholder="如：3 号楼 2 单元 501",
            ),
            FormField(key="is_resident", label="是否本小区居民", type=FieldType.bool, required=True),
        )
    ),
)

COMMUTER_BUS: Final = BuiltinTemplate(
    slug="commuter_bus",
    name="通勤班车",
    form=FormDefinition(
        fields=(
            _NAME,
            _PHONE,
            FormField(key="employee_no", label="工号", type=FieldType.text, required=True, max_length=32),
            FormField(
                key="seat",
                label="座位号",
                type=FieldType.text,
                max_length=10,
                placeholder="如：12",
                help="站立乘车可不填",
            ),
        )
    ),
)

HOSPITAL: Final = BuiltinTemplate(
    slug="hospital",
    name="医院",
    form=FormDefinition(
        fields=(
            _NAME,
            _PHONE,
            FormField(
                key="id_card",
                label="身份证号",
                type=FieldType.id_card,
                required=True,
                placeholder="18 位居民身份证号码",
            ),
            FormField(
                key="department",
                label="就诊科室",
                type=FieldType.select,
                required=True,
                options=HOSPITAL_DEPARTMENTS,
            ),
            FormField(
                key="travel_history",
                label="14天旅居史",
                type=FieldType.select,
                required=True,
                options=TRAVEL_HISTORY_OPTIONS,
                help="最近 14 天内到过的地区",
            ),
        )
    ),
)

OFFICE_VISITOR: Final = BuiltinTemplate(
    slug="office_visitor",
    name="办公楼访客",
    form=FormDefinition(
        fields=(
            _NAME,
            _PHONE,
            FormField(key="company", label="单位", type=FieldType.text, required=True, max_length=50),
            FormField(
                key="host",
                label="被访人",
                type=FieldType.text,
                required=True,
                max_length=30,
                placeholder="被访人姓名或部门",
            ),
        )
    ),
)

BUILTIN_TEMPLATES: Final = (RESIDENTIAL_GATE, COMMUTER_BUS, HOSPITAL, OFFICE_VISITOR)
