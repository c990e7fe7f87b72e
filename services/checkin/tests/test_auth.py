from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from lianfang.checkin.auth import CachingTokenVerifier
from lianfang.common.auth import ResidentPrincipal, TokenSigner
from lianfang.common.auth.devkeys import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from lianfang.common.errors import Unauthorized
from lianfang.common.testing import sign_token


class Counting:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        decode = jwt.decode

        def counted(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return decode(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(jwt, "decode", counted)


def verifier(remember_seconds: float = 60) -> CachingTokenVerifier:
    return CachingTokenVerifier(DEV_JWT_PUBLIC_KEY, issuer="lianfang", remember_seconds=remember_seconds)


def test_a_token_is_verified_once_and_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    token = sign_token(ResidentPrincipal(uuid.uuid4()))
    checking = verifier()

    principals = [checking.verify(token) for _ in range(3)]

    assert len(set(principals)) == 1
    assert counting.calls == 1


def test_a_remembered_token_is_not_taken_past_its_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    # Issued long ago, expiring in a second: within the verifier's leeway for 30 more.
    signer = TokenSigner(DEV_JWT_PRIVATE_KEY, issuer="lianfang", lifetime=timedelta(seconds=1))
    token = signer.sign(ResidentPrincipal(uuid.uuid4()), now=datetime.now(UTC) - timedelta(seconds=0.5))
    checking = verifier()

    checking.verify(token)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 1.0)  # a second later, past the token's expiry
    checking.verify(token)

    assert counting.calls == 2


def test_verifications_past_their_time_are_forgotten_as_new_ones_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """A morning's residents come and go: the tokens of those gone for longer than the remembering time are not kept."""
    checking = verifier(remember_seconds=60)
    for _ in range(3):
        checking.verify(sign_token(ResidentPrincipal(uuid.uuid4())))
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)

    checking.verify(sign_token(ResidentPrincipal(uuid.uuid4())))

    assert checking.remembered == 1


def test_forgery_is_never_remembered() -> None:
    checking = verifier()
    forged = sign_token(ResidentPrincipal(uuid.uuid4()))[:-4] + "AAAA"

    for _ in range(2):
        with pytest.raises(Unauthorized):
            checking.verify(forged)


def test_remembering_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    token = sign_token(ResidentPrincipal(uuid.uuid4()))
    checking = verifier(remember_seconds=0)

    checking.verify(token)
    checking.verify(token)

    assert counting.calls == 2
