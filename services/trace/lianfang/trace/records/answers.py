"""What a resident typed, decrypted for a record's detail or an export; `lianfang.common.forms.shown` labels it."""

from __future__ import annotations

import json

from lianfang.common.pii import PiiCipher

__all__ = ["decrypt_answers"]


def decrypt_answers(pii: PiiCipher, sealed: str | None) -> dict[str, object]:
    """The answers as check-in cleaned and stored them; an empty form for a record that has none readable."""
    if not sealed:
        return {}
    answers = json.loads(pii.decrypt(sealed))
    return answers if isinstance(answers, dict) else {}
