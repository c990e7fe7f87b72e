"""The resident population the generated records are about: encrypted once per person, reused for every visit.

AES-GCM per value costs microseconds, which ten million rows cannot pay four times each; a population of a few hundred
thousand can. Visit counts are heavy-tailed (a Pareto weight per person): most people pass a gate or two a day, a
few — couriers, nurses, drivers — are everywhere.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from itertools import accumulate

from lianfang.common.contracts.events import PersonalData
from lianfang.common.pii import PiiCipher

__all__ = ["Person", "Population", "make_population", "random_uuid"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌海燕鑫宇浩然子涵欣怡梓轩思远雨桐佳琪俊杰晓东"
)
_PHONE_PREFIXES = (
    "138",
    "139",
    "135",
    "136",
    "137",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Share of people who check in a household member (a child, an elderly parent) as a companion.
_WITH_COMPANION = 0.15


@dataclass(frozen=True, slots=True)
class Person:
    """One person's personal data as the records store keeps it (encrypted, hashed, masked), and their answers."""

    personal: PersonalData
    answers_encrypted: str


@dataclass(frozen=True)
class Population:
    people: list[Person]
    # Per person: their account (hex; None for visitors without one), where they live (an index into the tree's
    # community gates), and their companion (an index into `people`, or -1).
    accounts: list[str | None]
    homes: list[int]
    companions: list[int]
    # Cumulative Pareto weights for `random.choices`: who makes the next visit.
    cumulative: list[float]


def random_uuid(rng: random.Random) -> str:
    """A version 4 UUID from `rng` (so a seed repeats it), as 32 hex digits: MariaDB's UUID type wants the variant."""
    value = rng.getrandbits(128) & ~(0xF << 76 | 0b11 << 62) | 0x4 << 76 | 0b10 << 62
    return f"{value:032x}"


def _id_card(rng: random.Random, area: str) -> str:
    birth = f"{rng.randint(1945, 2018)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{area}{birth}{rng.randint(0, 999):03d}"
    return body + _ID_CHECK[sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _person(pii: PiiCipher, name: str, phone: str | None, id_card: str | None) -> Person:
    answers = {"name": name, "phone": phone, "id_card": id_card}
    hashes = (
        pii.search_hash(name),
        pii.search_hash(phone) if phone else None,
        pii.search_hash(id_card) if id_card else None,
    )
    return Person(
        personal=PersonalData.sealed(pii, name=name, phone=phone, id_card=id_card, hashes=hashes),
        answers_encrypted=pii.encrypt(json.dumps({k: v for k, v in answers.items() if v}, ensure_ascii=False)),
    )


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def make_population(pii: PiiCipher, rng: random.Random, *, size: int, homes: int) -> Population:
    """`size` residents, each living at one of `homes` places, with their companions after them in `people`."""
    people: list[Person] = []
    accounts: list[str | None] = []
    home_of: list[int] = []
    companions: list[int] = []
    weights: list[float] = []
    used_phones: set[str] = set()
    for _ in range(size):
        phone = f"{rng.choice(_PHONE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
        while phone in used_phones:
            phone = f"{rng.choice(_PHONE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
        used_phones.add(phone)
        # A twentieth have no account: visitors a gate keeper enters by hand.
        visitor = rng.random() < 0.05
        people.append(_person(pii, _name(rng), phone, _id_card(rng, "130602") if rng.random() < 0.6 else None))
        accounts.append(None if visitor else random_uuid(rng))
        home_of.append(rng.randrange(homes))
        weights.append(min(rng.paretovariate(1.3), 15.0))
        companions.append(-1)
    for index in range(size):
        if accounts[index] is not None and rng.random() < _WITH_COMPANION:
            # A child or an elderly parent: their own name and ID number, no phone of their own.
            companions[index] = len(people)
            people.append(_person(pii, _name(rng), None, _id_card(rng, "130602")))
    return Population(people, accounts, home_of, companions, list(accumulate(weights)))
