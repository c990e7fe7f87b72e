"""Personal codes (个人码): a printed QR that lets gate staff check in a visitor without a smartphone.

A card holds who the person is and nothing else: their name, ID number and phone, sealed with AES-GCM under a key derived
from each `LIANFANG_PII_KEY` key, so only the servers read it and nobody else can make one. It carries no history and no
expiry: a lost card is replaced by printing a new one (another nonce, the same person). Text form, `LF1.` and the
unpadded base32 of nonce, ciphertext and tag: upper-case letters and digits only, so the QR uses its compact alphanumeric
mode. The `LF1` version is also the sealed data's associated data: a later format can never be read as this one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lianfang.common.errors import FieldError, ValidationFailed
from lianfang.common.forms import FieldType, FormDefinition, FormField, PersonalData
from lianfang.common.pii import parse_pii_keys

__all__ = ["CARD_MAX_LENGTH", "VISITOR_FORM", "PersonalCards", "visitor_details"]

_VERSION: Final = b"LF1"
_PREFIX: Final = "LF1."
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
# A name of 64 characters (the form's limit) in UTF-8, an ID number and a phone, in base32: room to spare.
CARD_MAX_LENGTH: Final = 512
# Separates the fields inside the sealed text; no field may contain it (names, phones and ID numbers are validated).
_SEPARATOR: Final = "\x1f"

# What staff ask a visitor without a smartphone, and what a personal code holds; the rules of each field are the forms'.
VISITOR_FORM: Final = FormDefinition(
    fields=(
        FormField(key="name", label="姓名", type=FieldType.name),
        FormField(key="phone", label="手机号", type=FieldType.phone),
        FormField(key="id_card", label="身份证号", type=FieldType.id_card),
    )
)


def visitor_details(name: str | None, phone: str | None, id_card: str | None, *, name_required: bool) -> PersonalData:
    """The visitor's details cleaned as a form's answers, or one 422 with an entry per field (`name`, `phone`,
    `id_card`). A phone or an ID number is needed to tell people apart (DESIGN: ID number, else phone and name); an ID
    number alone is enough unless `name_required`."""
    answers = {"name": name, "phone": phone, "id_card": id_card}
    errors: list[FieldError] = []
    try:
        cleaned = VISITOR_FORM.validate_answers(answers, location="visitor")
    except ValidationFailed as failure:
        errors += [
            error.model_copy(update={"field": error.field.removeprefix("visitor.")}) for error in failure.errors or []
        ]
        cleaned = {}
    wrong = {error.field for error in errors}
    # What was typed, right or wrong: a bad phone is not a missing one, and a bad ID number does not excuse the name.
    given = {key for key, value in answers.items() if value is not None and value.strip()}
    if not given & {"phone", "id_card"}:
        errors.append(FieldError(field="phone", message="请填写手机号或身份证号（至少一项）", code="missing"))
    elif "name" not in given and (name_required or "id_card" not in given - wrong):
        message = "请填写姓名" if name_required else "请填写姓名（有身份证号时可不填）"
        errors.append(FieldError(field="name", message=message, code="missing"))
    if errors:
        raise ValidationFailed(
            "请检查登记信息", errors=sorted(errors, key=lambda error: list(answers).index(error.field))
        )
    return VISITOR_FORM.personal_data(cleaned)


class PersonalCards:
    """Seals a person's details into a card with the current key; reads cards sealed with any key still configured."""

    def __init__(self, pii_keys: str) -> None:
        self._ciphers = [
            AESGCM(hmac.new(key, b"lianfang-personal-card", hashlib.sha256).digest())
            for _, key in parse_pii_keys(pii_keys)
        ]

    def issue(self, person: PersonalData) -> str:
        payload = _SEPARATOR.join((person.name or "", person.id_card or "", person.phone or "")).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[0].encrypt(nonce, payload, _VERSION)
        return _PREFIX + base64.b32encode(nonce + sealed).decode().rstrip("=")

    def read(self, card: str) -> PersonalData | None:
        """The person on the card; None for anything else (another QR, a garbled scan, a forgery, a retired key)."""
        text = card.strip().upper()
        if not text.startswith(_PREFIX) or len(text) > CARD_MAX_LENGTH:
            return None
        encoded = text.removeprefix(_PREFIX)
        try:
            raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
        except (binascii.Error, ValueError):
            return None
        if len(raw) <= _NONCE_BYTES + _TAG_BYTES:
            return None
        for cipher in self._ciphers:
            try:
                payload = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _VERSION)
            except InvalidTag:
                continue
            name, id_card, phone = payload.decode().split(_SEPARATOR)
            return PersonalData(name=name or None, phone=phone or None, id_card=id_card or None)
        return None
