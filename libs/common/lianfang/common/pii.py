"""Personal data (PIPL): AES-GCM encryption with key rotation, keyed hashes for exact search, masking for display."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PiiCipher", "PiiKeyError", "mask_id_card", "mask_name", "mask_phone", "parse_pii_keys"]

_NONCE_BYTES = 12


class PiiKeyError(ValueError):
    pass


def parse_pii_keys(spec: str) -> list[tuple[str, bytes]]:
    """`LIANFANG_PII_KEY`: `kid:<base64 key>` pairs, the current key first."""
    keys = []
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        kid, sep, encoded = pair.partition(":")
        if not sep or not kid or "." in kid:
            raise PiiKeyError(f"LIANFANG_PII_KEY entry {kid!r} must be `kid:<base64 key>`")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(key) != 32:
            raise PiiKeyError(f"LIANFANG_PII_KEY key {kid!r} must be 32 bytes, got {len(key)}")
        keys.append((kid, key))
    if not keys:
        raise PiiKeyError("LIANFANG_PII_KEY is empty")
    return keys


class PiiCipher:
    """Encrypts with the first key of `LIANFANG_PII_KEY`, decrypts with whichever key id a value names.

    Stored form: `<kid>.<base64(nonce + ciphertext + tag)>`. The search hash is keyed with a key derived from the *first*
    key; rotate keys by adding a new one in front and re-encrypting, and keep the old hashing key until rows are rehashed.
    """

    def __init__(self, spec: str) -> None:
        keys = parse_pii_keys(spec)
        current_kid, current = keys[0]
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}
        # Keyed once: each hash copies the keyed state rather than keying HMAC again (a check-in makes several).
        self._hasher = hmac.new(
            hmac.new(current, b"lianfang-search-hash", hashlib.sha256).digest(), digestmod=hashlib.sha256
        )
        self._sealer = hmac.new(hmac.new(current, b"lianfang-seal", hashlib.sha256).digest(), digestmod=hashlib.sha256)
        # Every check-in encrypts three or four values: what each needs is made once.
        self._current = self._ciphers[current_kid]
        self._current_aad = current_kid.encode()
        self._current_prefix = f"{current_kid}."

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext.encode(), self._current_aad)
        return self._current_prefix + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str) -> str:
        kid, _, encoded = stored.partition(".")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise PiiKeyError(f"no key {kid!r} in LIANFANG_PII_KEY to decrypt this value")
        raw = base64.urlsafe_b64decode(encoded)
        return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], kid.encode()).decode()

    def search_hash(self, value: str) -> str:
        """A keyed hash of the normalised value: equal inputs match, and nobody without the key can test guesses."""
        hasher = self._hasher.copy()
        hasher.update(value.strip().upper().encode())
        return hasher.hexdigest()

    def seal(self, message: bytes) -> str:
        """A tag only holders of the key can make (page cursors a client hands back): 128 bits, URL-safe."""
        sealer = self._sealer.copy()
        sealer.update(message)
        tag = sealer.digest()[:16]
        return base64.urlsafe_b64encode(tag).decode().rstrip("=")

    def sealed(self, message: bytes, tag: str) -> bool:
        return hmac.compare_digest(self.seal(message), tag)


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_id_card(number: str) -> str:
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)
