from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["CardCreate"]


class CardCreate(BaseModel):
    """Who the card is for: the name, and a phone or an ID number (both is best: either finds the person)."""

    name: str = Field(max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    id_card: str | None = Field(default=None, max_length=32)
