from __future__ import annotations

from lianfang.common.contracts.checkpoints import CheckpointNotFound
from lianfang.common.errors import AppError, Conflict, Forbidden, NotFound, TooManyRequests

__all__ = [
    "CheckpointNameTaken",
    "CheckpointNotFound",
    "MiniProgramCodeFailed",
    "MiniProgramCodeRateLimited",
    "OwnRegionReadOnly",
    "RegionCodeTaken",
    "RegionConflict",
    "RegionNameTaken",
    "RegionNotEmpty",
    "RegionNotFound",
    "TemplateInUse",
    "TemplateNameTaken",
    "TemplateNotFound",
]


class RegionNotFound(NotFound):
    code = "region_not_found"
    title = "地区不存在"


class OwnRegionReadOnly(Forbidden):
    code = "own_region_read_only"
    title = "自己所属的地区只能由上级管理员修改或删除"


class RegionConflict(Conflict):
    code = "region_conflict"
    title = "与现有地区冲突"


class RegionNameTaken(RegionConflict):
    code = "region_name_taken"
    title = "同一上级地区下已有同名地区"


class RegionCodeTaken(RegionConflict):
    code = "region_code_taken"
    title = "地区编码已被使用"


class RegionNotEmpty(RegionConflict):
    code = "region_not_empty"
    title = "地区不为空，不能删除"


class TemplateNotFound(NotFound):
    code = "template_not_found"
    title = "表单模板不存在"


class TemplateNameTaken(Conflict):
    code = "template_name_taken"
    title = "该地区已有同名表单模板"


class TemplateInUse(Conflict):
    code = "template_in_use"
    title = "表单模板正在使用，不能删除"


class CheckpointNameTaken(Conflict):
    code = "checkpoint_name_taken"
    title = "该地区已有同名卡口"


class MiniProgramCodeFailed(AppError):
    """WeChat would not make the code for a reason an operator must fix (an unreleased page, a wrong AppSecret)."""

    status = 502
    code = "wxacode_failed"
    title = "小程序码生成失败"


class MiniProgramCodeRateLimited(TooManyRequests):
    code = "wxacode_rate_limited"
    title = "微信限制了小程序码的生成频率，请稍后再试"
