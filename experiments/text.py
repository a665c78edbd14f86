"""One check for the text people give names, titles, tags and notes, whichever app stores it.

Text that is shown to its owner, to staff or to study participants must look like what it
is. Characters that are not drawn, or that move the text around them, would let a name
look like another one or hide part of itself: after a right-to-left override (U+202E) the
rest of a name is shown backwards, and a zero-width space (U+200B) makes two names that look
the same differ. So every such field refuses them:

- control characters (Unicode category Cc: NUL, escape, ...), except a line break or a tab
  in text that may span lines (a note);
- format characters (Cf), which include every bidirectional control (U+061C, U+200E,
  U+200F, U+202A to U+202E, U+2066 to U+2069), zero-width spaces and joiners, the byte
  order mark and soft hyphens;
- private-use characters (Co), surrogates (Cs) and unassigned code points (Cn), which have
  no agreed look at all;
- the line and paragraph separators (Zl, Zp), which break a line where no line may break.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
LINE_CHARACTERS = frozenset("\n\r\t")


def first_refused_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that a name or a note may not hold, or None."""
    for char in value:
        if multiline and char in LINE_CHARACTERS:
            continue
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return char
    return None


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named so that a person can find it."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def clean_text(
    value: Any, *, field: str, max_length: int | None = None, multiline: bool = False
) -> str:
    """``value`` if it is text a name, title, tag or note may hold; otherwise a
    ValidationError under ``field``.

    Checks that it is a string, at most ``max_length`` characters when given, with no
    invisible or control character (``multiline`` lets a note keep its line breaks and
    tabs). It neither trims nor changes the text: whether surrounding spaces go, and what
    an empty value means, is each field's own rule.
    """
    if not isinstance(value, str):
        raise ValidationError({field: [f"Send the {field} as text."]})
    refused = first_refused_character(value, multiline=multiline)
    if refused is not None:
        message = (
            f"use printable characters only: {describe(refused)} is invisible "
            "or a control character"
        )
        raise ValidationError({field: [message]}, code="invisible_character")
    if max_length is not None and len(value) > max_length:
        message = f"keep the {field} to {max_length} characters, not {len(value)}"
        raise ValidationError({field: [message]}, code="max_length")
    return value
