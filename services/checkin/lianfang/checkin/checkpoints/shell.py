"""The part of the check-in page the server fills in, so a slow phone shows the checkpoint before any script runs.

nginx includes it into `c.html` by SSI (`<!--# include virtual="/api/checkin/checkpoints/<code>/shell" … -->`), and the
all-in-one server does the same (`lianfang.allinone.web`). The markup uses the `lf-shell-*` classes styled inline in
`web/h5/c.html`; the JSON beside it is the anonymous page the script starts from instead of asking for it again.
"""

from __future__ import annotations

import json
from html import escape

from lianfang.checkin.checkpoints.schemas import CheckpointPage

__all__ = ["not_found_shell", "page_shell"]

_DATA_ID = "lf-checkpoint-page"


def _data(payload: object) -> str:
    # `<` as \u003c: a name holding `</script>` cannot end the element early, and the JSON reads back the same.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{_DATA_ID}">{text}</script>'


def _header(kind: str, title: str, lines: list[str]) -> str:
    rows = "".join(f'<div class="lf-shell-line">{escape(line)}</div>' for line in lines if line)
    return (
        f'<header class="lf-shell-header"><div class="lf-shell-kind">{escape(kind)}</div>'
        f"<h1>{escape(title)}</h1>{rows}</header>"
    )


def page_shell(page: CheckpointPage) -> str:
    checkpoint = page.checkpoint
    lines = [" › ".join(checkpoint.region_names), checkpoint.address or ""]
    header = _header(f"{checkpoint.kind_label} · 扫码登记", checkpoint.name, lines)
    return header + _data({"page": page.model_dump(mode="json")})


def not_found_shell() -> str:
    header = _header("扫码登记", "无法打开该卡口", ["未找到该卡口，请核对二维码或卡口编号"])
    return header + _data({"not_found": True})
