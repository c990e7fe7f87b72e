"""The privacy notice's text. Any change to what it says is a new `VERSION`: residents are asked again."""

from __future__ import annotations

from typing import Final

from lianfang.gateway.privacy.schemas import NoticeSection, PrivacyNotice

__all__ = ["VERSION", "privacy_notice"]

VERSION: Final = "2026-12-06"

_SENSITIVE: Final = (
    "您的体温等健康信息和到访卡口的行踪轨迹属于《个人信息保护法》规定的敏感个人信息，身份证号同样敏感。"
    "我们仅为疫情防控所必需而处理，加密保存，并单独征得您的同意。"
)


def privacy_notice(retention_days: int) -> PrivacyNotice:
    kept = f"登记记录保存 {retention_days} 天，期满自动删除。"
    return PrivacyNotice(
        version=VERSION,
        title="个人信息处理告知",
        summary=_summary(kept),
        sensitive=_SENSITIVE,
        retention_days=retention_days,
        full_text=_full_text(kept),
    )


def _summary(kept: str) -> list[NoticeSection]:
    """The notice in brief; `kept` says how long records are kept."""
    return [
        NoticeSection(
            heading="收集什么",
            text="登记表中的信息（如姓名、手机号、身份证号、车牌号、住址、行程），体温，同行人员的信息，以及登记的时间和卡口。",
        ),
        NoticeSection(heading="用于什么", text="仅用于疫情防控：核验通行、流行病学调查和密切接触者排查，不作他用。"),
        NoticeSection(heading="保存多久", text=kept),
        NoticeSection(
            heading="谁能看到",
            text="本卡口执勤人员看到您在本卡口的登记；所在地区及上级防控管理员可查询辖区内的记录，"
            "姓名、手机号、身份证号打码显示，查看完整信息须说明理由并记入审计日志。",
        ),
    ]


def _full_text(kept: str) -> list[NoticeSection]:
    return [
        NoticeSection(
            heading="一、处理者与目的",
            text="本系统由卡口所在地区的疫情防控机构运营，处理您的个人信息仅为疫情防控：核验通行资格、"
            "发现体温异常、开展流行病学调查和密切接触者排查。",
        ),
        NoticeSection(
            heading="二、收集的信息",
            text="各卡口登记表所列信息（可能包括姓名、手机号、身份证号、车牌号、住址、行程），本人及同行人员的体温，"
            "登记时间、卡口和进出方向；微信登录时仅获取用于识别您的 openid。位置信息仅在您另行同意时获取，且不保存坐标。",
        ),
        NoticeSection(heading="三、敏感个人信息", text=_SENSITIVE),
        NoticeSection(
            heading="四、保存期限",
            text=f"{kept}访问审计日志另行保存，用于追溯谁查看过您的信息。",
        ),
        NoticeSection(
            heading="五、谁可以查看",
            text="卡口执勤人员可查看本卡口的到达登记以便放行或审核；区域管理员仅可查看其辖区内的记录，"
            "列表与导出均打码显示；轨迹查询、密接排查、导出和查看完整信息均记入审计日志，由上级管理员监督。",
        ),
        NoticeSection(
            heading="六、安全措施",
            text="姓名、手机号、身份证号加密存储，检索仅使用不可逆的摘要；传输全程加密。",
        ),
        NoticeSection(
            heading="七、您的权利",
            text="您可在“我的登记记录”中查阅本人的登记；可向卡口所在地区的防控机构要求更正。"
            "不同意本告知的，将无法在线登记，可请现场工作人员人工登记。",
        ),
        NoticeSection(
            heading="八、同行人员",
            text="为老人、儿童等同行人员登记时，请确认已取得其本人或监护人的同意；其信息的处理方式与您相同。",
        ),
    ]
