from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from lianfang.common.pii import PiiCipher, PiiKeyError, mask_id_card, mask_name, mask_phone


def key_spec(kid: str, fill: bytes) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(fill * 32).decode()}"


class TestCipher:
    def test_a_value_comes_back_and_is_not_readable_stored(self) -> None:
        cipher = PiiCipher(key_spec("k1", b"a"))

        stored = cipher.encrypt("13812345678")

        assert stored.startswith("k1.")
        assert "13812345678" not in stored
        assert cipher.decrypt(stored) == "13812345678"

    def test_the_same_value_encrypts_differently_each_time(self) -> None:
        cipher = PiiCipher(key_spec("k1", b"a"))

        assert cipher.encrypt("张三") != cipher.encrypt("张三")

    def test_old_values_still_decrypt_after_a_new_key_is_put_in_front(self) -> None:
        old = PiiCipher(key_spec("k1", b"a"))
        stored = old.encrypt("130102199003070016")

        rotated = PiiCipher(",".join([key_spec("k2", b"b"), key_spec("k1", b"a")]))

        assert rotated.decrypt(stored) == "130102199003070016"
        assert rotated.encrypt("x").startswith("k2.")

    def test_a_value_under_an_unknown_key_says_which(self) -> None:
        stored = PiiCipher(key_spec("k1", b"a")).encrypt("x")

        with pytest.raises(PiiKeyError, match="no key 'k1'"):
            PiiCipher(key_spec("k2", b"b")).decrypt(stored)

    def test_a_tampered_value_is_refused(self) -> None:
        cipher = PiiCipher(key_spec("k1", b"a"))
        kid, _, body = cipher.encrypt("13812345678").partition(".")
        raw = bytearray(base64.urlsafe_b64decode(body))
        raw[-1] ^= 1

        with pytest.raises(InvalidTag):
            cipher.decrypt(f"{kid}.{base64.urlsafe_b64encode(bytes(raw)).decode()}")

    def test_search_hashes_match_equal_values_only_under_the_same_key(self) -> None:
        cipher = PiiCipher(key_spec("k1", b"a"))

        assert cipher.search_hash("11010519491231002x") == cipher.search_hash(" 11010519491231002X ")
        assert cipher.search_hash("13812345678") != cipher.search_hash("13812345679")
        assert PiiCipher(key_spec("k1", b"c")).search_hash("13812345678") != cipher.search_hash("13812345678")

    def test_search_hashes_and_seals_keep_their_stored_form(self) -> None:
        """HMAC-SHA256 under a key derived from the first key: the stores hold these hashes, so they never change."""
        cipher = PiiCipher(key_spec("k1", b"a"))

        assert cipher.search_hash(" 11010519491231002x") == (
            "6cb8dba84fe02e2421c1e16fa5e4ad2d34472c2fbdf3160403ce7bf25d65b61d"
        )
        assert cipher.seal(b"cursor") == "cWcdECthuRSg-OVYiPdNcQ"

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("", "empty"),
            ("nokey", "must be `kid:<base64 key>`"),
            ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ],
    )
    def test_bad_key_settings_are_explained(self, spec: str, message: str) -> None:
        with pytest.raises(PiiKeyError, match=message):
            PiiCipher(spec)


class TestMasking:
    def test_phone(self) -> None:
        assert mask_phone("13812345678") == "138****5678"

    def test_id_card(self) -> None:
        assert mask_id_card("130102199003070016") == "130***********0016"

    def test_names(self) -> None:
        assert (mask_name("张三"), mask_name("欧阳娜娜"), mask_name("李")) == ("张*", "欧***", "李")
