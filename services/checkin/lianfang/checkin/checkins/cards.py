from __future__ import annotations

from lianfang.common.cards import PersonalCards
from lianfang.common.errors import FieldError, ValidationFailed
from lianfang.common.forms import PersonalData

__all__ = ["card_holder"]


def card_holder(cards: PersonalCards, card: str) -> PersonalData:
    """The person a scanned personal code names, or a 422 on `card` for anything else the camera read."""
    person = cards.read(card)
    if person is None:
        raise ValidationFailed(
            "无法识别的个人码",
            errors=[
                FieldError(
                    field="card",
                    message="这不是有效的联防个人码（可能已损坏或被伪造），请手工登记",
                    code="card_unreadable",
                )
            ],
        )
    return person
