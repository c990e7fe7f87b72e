from __future__ import annotations

import base64
import re

import pytest
from cryptography.exceptions import InvalidTag
from stdnum.cn import ric

from lianfang.common.cards import PersonalCards, visitor_details
from lianfang.common.errors import ValidationFailed
from lianfang.common.forms import PersonalData
from lianfang.common.pii import PiiCipher


def key_spec(kid: str, fill: bytes) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(fill * 32).decode()}"


NUMBER = "13010219450101001" + str(ric.calc_check_digit("130102194501010010"))
PERSON = PersonalData(name="赵大爷", phone="13700000007", id_card=NUMBER)


class TestPersonalCards:
    def test_a_card_names_its_person_and_shows_nothing_of_them(self) -> None:
        cards = PersonalCards(key_spec("k1", b"a"))

        card = cards.issue(PERSON)

        # Upper-case letters, digits and the dot: a QR's compact alphanumeric mode.
        assert re.fullmatch(r"LF1\.[A-Z2-7]+", card)
        assert NUMBER not in card
        assert "13700000007" not in card
        assert cards.read(card) == PERSON
        assert cards.read(card.lower()) == PERSON

    def test_a_card_printed_again_is_another_text_for_the_same_person(self) -> None:
        cards = PersonalCards(key_spec("k1", b"a"))

        first, second = cards.issue(PERSON), cards.issue(PERSON)

        assert first != second
        assert cards.read(first) == cards.read(second) == PERSON

    def test_a_card_still_reads_after_a_new_key_is_put_in_front(self) -> None:
        old = PersonalCards(key_spec("k1", b"a")).issue(PERSON)

        rotated = PersonalCards(f"{key_spec('k2', b'b')},{key_spec('k1', b'a')}")

        assert rotated.read(old) == PERSON

    @pytest.mark.parametrize(
        "scanned",
        [
            pytest.param(PersonalCards(key_spec("k9", b"z")).issue(PERSON), id="made with another key"),
            pytest.param("https://lianfang.example/c/GATE2345", id="a checkpoint's QR"),
            pytest.param("LF1.", id="empty"),
            pytest.param("LF1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id="zeros"),
            pytest.param("LF1.!!!!", id="not base32"),
            pytest.param("LF2." + "A" * 60, id="unknown version"),
        ],
    )
    def test_anything_but_a_card_of_ours_reads_as_nothing(self, scanned: str) -> None:
        assert PersonalCards(key_spec("k1", b"a")).read(scanned) is None

    def test_a_changed_character_is_refused(self) -> None:
        cards = PersonalCards(key_spec("k1", b"a"))
        card = cards.issue(PERSON)
        flipped = card[:-3] + ("A" if card[-3] != "A" else "B") + card[-2:]

        assert cards.read(flipped) is None

    def test_the_card_key_is_not_the_key_of_stored_personal_data(self) -> None:
        spec = key_spec("k1", b"a")
        encoded = PersonalCards(spec).issue(PERSON).removeprefix("LF1.")
        raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))

        with pytest.raises(InvalidTag):
            PiiCipher(spec).decrypt("k1." + base64.urlsafe_b64encode(raw).decode())


class TestVisitorDetails:
    def test_cleaned_as_a_form_cleans_them(self) -> None:
        assert visitor_details(" 赵大爷 ", "137 0000 0007", NUMBER.lower(), name_required=True) == PERSON

    def test_an_id_number_alone_is_enough_at_the_gate(self) -> None:
        assert visitor_details(None, None, NUMBER, name_required=False) == PersonalData(id_card=NUMBER)

    @pytest.mark.parametrize(
        ("name", "phone", "id_card", "name_required", "errors"),
        [
            (None, None, NUMBER, True, [("name", "请填写姓名")]),
            (None, "13700000007", None, False, [("name", "请填写姓名（有身份证号时可不填）")]),
            ("赵大爷", None, None, False, [("phone", "请填写手机号或身份证号（至少一项）")]),
            ("赵大爷", "1380013", None, True, [("phone", "请输入 11 位中国大陆手机号")]),
            (
                None,
                None,
                "130102194501010011",
                False,
                [("name", "请填写姓名（有身份证号时可不填）"), ("id_card", "身份证号码有误（校验位不符），请逐位核对")],
            ),
        ],
    )
    def test_what_is_missing_is_named(
        self,
        name: str | None,
        phone: str | None,
        id_card: str | None,
        name_required: bool,
        errors: list[tuple[str, str]],
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            visitor_details(name, phone, id_card, name_required=name_required)

        assert [(error.field, error.message) for error in failure.value.errors or []] == errors
