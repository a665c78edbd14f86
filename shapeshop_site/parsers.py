"""JSON request bodies read with bounds, so that a hostile body is a 400 and never a 500.

Python's JSON decoder recurses once per level of nesting: a body of a few thousand ``[``
(a few kilobytes, well under the body size limit) raises RecursionError. Its integers have
no size: a 400-digit whole number parses, and then ``float()`` of it raises OverflowError
wherever a number is checked. :func:`loads` refuses both before any view sees them: more
than ``MAX_DEPTH`` levels, a whole number of more than ``MAX_INTEGER_DIGITS`` digits, and
a number too large for a float (``1e999``), as well as ``NaN`` and ``Infinity``. No
legitimate body comes near these bounds: the deepest is a 28x28 grid (3 levels) and the
largest number a seed (10 digits).

:class:`JSONParser` is the API's JSON parser (settings.REST_FRAMEWORK); code that reads a
body itself (middleware) uses :func:`loads` and catches ``ValueError``.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 30

# A JSON string, escapes included (brackets inside strings are not nesting), or an unclosed
# one to the end. Possessive quantifiers and one left-to-right pass keep the scan linear.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONBodyError(ValueError):
    """The body is valid JSON, or might be, but beyond what this server reads."""


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, found without recursion.

    On a malformed body it may count brackets the decoder would never reach, never miss
    one that it would: the decoder stops at the first error.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise JSONBodyError(
            f"a whole number of {digits} digits; numbers may have at most "
            f"{MAX_INTEGER_DIGITS} digits"
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONBodyError(f"the number {text[:40]} is too large")
    return value


def _constant(name: str) -> float:
    raise JSONBodyError(f"{name} is not a number JSON allows")


def loads(text: str | bytes) -> Any:
    """``json.loads`` within this server's bounds; raises ``ValueError`` (a decoding error
    or :class:`JSONBodyError`) for anything else."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    if nesting_depth(text) > MAX_DEPTH:
        raise JSONBodyError(f"arrays and objects nest more than {MAX_DEPTH} levels deep")
    return json.loads(text, parse_int=_integer, parse_float=_float, parse_constant=_constant)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with :func:`loads`' bounds; errors are 400s that say what is wrong."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text)
        except JSONBodyError as exc:
            raise ParseError(f"The JSON body was not read: {exc}.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
