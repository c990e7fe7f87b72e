"""Template patterns, run by RE2: matching takes time linear in the answer, whatever the pattern.

Python's `re` backtracks, so a pattern such as `(a|aa)+` takes time exponential in the answer's length and one check-in
could hold the event loop for seconds. RE2 has no backreferences or lookaround (`(?=…)`, `\\1`), which a form never
needs; a pattern using them is refused when the template is saved. `\\uXXXX` is accepted as in Python and JavaScript.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

__all__ = ["PatternRefused", "compile_pattern", "pattern_matches"]

_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9A-Fa-f]{4})")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the admin's typo, not a server error to log
# Bounds the compiled program (RE2's default is 8 MiB): `(a{100}){100}` and the like are refused instead.
_OPTIONS.max_mem = 1 << 20


class PatternRefused(ValueError):
    """The pattern is not valid RE2 syntax, or too large once compiled."""


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled pattern, cached: templates repeat on every check-in of a checkpoint."""
    try:
        return re2.compile(_UNICODE_ESCAPE.sub(r"\1\\x{\2}", pattern), _OPTIONS)
    except re2.error as error:
        raise PatternRefused(str(error)) from None


def pattern_matches(pattern: str, answer: str) -> bool:
    return compile_pattern(pattern).fullmatch(answer) is not None
