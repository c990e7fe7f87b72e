from __future__ import annotations

from html import escape
from typing import Final

from lianfang.registry.posters import qr_svg

__all__ = ["card_page"]

_STEPS: Final = (
    "到卡口时出示本卡，工作人员扫码、测体温即可登记，无需智能手机。",
    "本码只代表您本人，不含任何行程记录，请勿转借他人。",
    "遗失或损坏可请卡口工作人员或社区重新打印，旧卡仍可使用。",
)

# A6 (a postcard, what a wallet or a lanyard holds), cut from A4 or printed on its own.
_STYLE: Final = """
@page { size: A6; margin: 8mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #111; }
.card { width: 89mm; margin: 0 auto; padding: 4mm; border: 0.4mm dashed #999; text-align: center; }
h1 { margin: 0; font-size: 6mm; letter-spacing: 1mm; }
.system { margin: 1mm 0 2mm; font-size: 3mm; color: #555; }
.qr svg { width: 62mm; height: 62mm; }
.holder { margin: 1mm 0 2mm; font-size: 5mm; font-weight: bold; }
ol { margin: 0; padding-left: 5mm; text-align: left; font-size: 3.2mm; line-height: 1.5; }
.hint { font-size: 3mm; color: #555; }
@media print { .hint { display: none; } .card { border: none; } }
"""


def card_page(card: str, name_masked: str) -> str:
    """A print-styled page: the card's QR, whose card it is (masked) and how to use it. Self-contained: no script,
    no request, so it prints from a window the staff view or the admin SPA wrote it into."""
    svg = qr_svg(card).decode()
    svg = svg[svg.index("<svg") :]
    steps = "".join(f"<li>{escape(step)}</li>" for step in _STEPS)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>联防个人码 {escape(name_masked)}</title><style>{_STYLE}</style></head><body>"
        '<p class="hint">请使用浏览器的“打印”打印本卡（A6，或 A4 上裁下）。</p>'
        '<main class="card"><h1>联防个人码</h1><p class="system">联防联控服务与管理系统</p>'
        f'<div class="qr">{svg}</div><p class="holder">持卡人：{escape(name_masked)}</p>'
        f"<ol>{steps}</ol></main></body></html>"
    )
