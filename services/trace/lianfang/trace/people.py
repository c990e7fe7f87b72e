"""Whom a trajectory or a contact screening is about: found by the keyed hash of a phone or ID number (never by
decrypting rows), or by their resident account. A records search may also ask for a name, by its keyed hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from lianfang.common.errors import ValidationFailed
from lianfang.common.forms import FieldType, FormField
from lianfang.common.forms.answers import InvalidAnswer, clean_answer
from lianfang.common.pii import PiiCipher, mask_id_card, mask_name, mask_phone

__all__ = ["Identity", "IdentityKind", "identify", "identify_name", "normalised"]

# Searches clean a number exactly as check-in cleaned the answer it hashed (full-width digits, +86, a lower-case x).
_PHONE = FormField(key="phone", label="手机号", type=FieldType.phone)
_ID_CARD = FormField(key="id_card", label="身份证号", type=FieldType.id_card)
_NAME = FormField(key="name", label="姓名", type=FieldType.name)


class IdentityKind(StrEnum):
    phone = "phone"
    id_card = "id_card"
    resident = "person_id"
    name = "name"
    # A phone and a name together (`<phone hash>:<name hash>`): who someone without an account or ID number is.
    person = "person"


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentityKind
    # The keyed hash of a phone or ID number, or a resident's account id.
    value: str
    # What the access log keeps of the query: masked, or the account id.
    shown: str

    @property
    def subject(self) -> str:
        if self.kind is IdentityKind.person:
            # The access log names a phone-and-name lookup by its phone: the column holds one hash.
            return f"{IdentityKind.phone.value}:{self.value.split(':', 1)[0]}"
        return f"{self.kind.value}:{self.value}"


def normalised(field: FormField, value: str) -> str:
    try:
        cleaned = clean_answer(field, value, today=datetime.now(UTC).date())
    except InvalidAnswer as error:
        raise ValidationFailed.field(field.key, error.message, error.code) from error
    assert isinstance(cleaned, str)
    return cleaned


def identify(
    pii: PiiCipher,
    *,
    phone: str | None,
    id_card: str | None,
    person_id: uuid.UUID | None,
    name: str | None = None,
) -> Identity:
    """Exactly one of the three: none is a 422 on `phone`, more than one a 422 on the second given. A phone with a name
    is one person (the identity rule: people who share a phone stay apart); a phone alone is everyone who gave it (a
    household); a name goes only with a phone (422 on `name`)."""
    given = [key for key, value in (("phone", phone), ("id_card", id_card), ("person_id", person_id)) if value]
    if not given:
        raise ValidationFailed.field("phone", "请提供手机号、身份证号或人员编号（任选其一）", "missing")
    if len(given) > 1:
        raise ValidationFailed.field(given[1], "手机号、身份证号、人员编号只能提供一项", "one_of")
    if name and not phone:
        raise ValidationFailed.field("name", "姓名只能与手机号一起提供", "phone_required")
    if phone:
        number = normalised(_PHONE, phone)
        if name:
            cleaned = normalised(_NAME, name)
            value = f"{pii.search_hash(number)}:{pii.search_hash(cleaned)}"
            return Identity(IdentityKind.person, value, f"{mask_name(cleaned)} {mask_phone(number)}")
        return Identity(IdentityKind.phone, pii.search_hash(number), mask_phone(number))
    if id_card:
        number = normalised(_ID_CARD, id_card)
        return Identity(IdentityKind.id_card, pii.search_hash(number), mask_id_card(number))
    assert person_id is not None
    return Identity(IdentityKind.resident, str(person_id), str(person_id))


def identify_name(pii: PiiCipher, name: str) -> Identity:
    """A name, cleaned as check-in cleaned the answer it hashed; many people share one, so it only narrows a search."""
    cleaned = normalised(_NAME, name)
    return Identity(IdentityKind.name, pii.search_hash(cleaned), mask_name(cleaned))
