"""What a username and a password must be: the sign-up page, the password page and the
admin's user forms apply the same rules.

Usernames are letters a-z and A-Z, digits and ``@ . + - _`` only. Django's default allows any
Unicode letter, so "alice" written with a Cyrillic "a" (U+0430) could sit beside "alice" and
look the same on every page. Telling confusable characters apart needs Unicode's confusables
table and rules for mixing scripts, which Django does not ship and which keep changing; one
small, visible alphabet rules them out entirely, at the price of names in other scripts (the
username is the only name the site shows). The form first normalises
the name (NFKC, as Django's UsernameField does), so "alice" in full-width letters (U+FF41 ...)
becomes "alice" and is refused as taken, since usernames are compared without case.

Passwords get Django's four validators (settings.AUTH_PASSWORD_VALIDATORS) and
``PasswordPatternValidator`` below, for what those four let through: twelve spaces (the
common-password list is checked on the stripped password, and "" is not on it),
"aaaaaaaaaaaa", "passwordpassword" (the list has "password" but not its double; it is checked
as a whole only), and a long password that contains the username (the similarity validator
compares proportions of shared characters, so a username inside a long password scores low).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

from experiments.text import clean_text

USERNAME_MAX_LENGTH = 150
USERNAME_CHARACTERS = re.compile(r"[A-Za-z0-9@.+_-]+")
USERNAME_HELP = (
    f"Up to {USERNAME_MAX_LENGTH} characters: letters a to z, digits and @ . + - _ only."
)
# A password needs at least this many different characters.
MIN_DIFFERENT_CHARACTERS = 5
# A username (or its part) shorter than this may appear inside a password by chance.
MIN_CONTAINED_LENGTH = 3


def validate_username(value: str) -> None:
    """A validator of username fields: visible ASCII letters, digits and @.+-_ only."""
    try:
        clean_text(value, field="username", max_length=USERNAME_MAX_LENGTH)
    except ValidationError as error:
        raise ValidationError(error.messages, code="invalid") from None
    if unicodedata.normalize("NFKC", value) != value or not USERNAME_CHARACTERS.fullmatch(value):
        raise ValidationError(
            "Use only letters a to z (either case), digits and @ . + - _ in a username: no "
            "spaces, accents or letters of other alphabets, which can look like another name's.",
            code="invalid",
        )


def _repeated_piece(password: str) -> str | None:
    """The shortest piece that ``password`` is two or more copies of, or None."""
    length = len(password)
    for size in range(1, length // 2 + 1):
        if length % size == 0 and password[:size] * (length // size) == password:
            return password[:size]
    return None


def _names_of(user: Any) -> list[str]:
    """The user's username, and its parts between punctuation, long enough to matter."""
    if user is None:
        return []
    username = str(user.get_username() or "").casefold()
    parts = [username, *re.split(r"[@.+_-]+", username)]
    return [part for part in parts if len(part) >= MIN_CONTAINED_LENGTH]


class PasswordPatternValidator:
    """Refuses a password of spaces only, one made of one piece repeated ("aaaaaaaaaaaa",
    "passwordpassword"), one with fewer than MIN_DIFFERENT_CHARACTERS different characters,
    and one that contains the username."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError("The password cannot be spaces only.", code="password_blank")
        if _repeated_piece(password) is not None:
            raise ValidationError(
                "The password cannot be one piece repeated, like 'aaaa' or 'abcabc'.",
                code="password_repeated",
            )
        if len(set(password)) < MIN_DIFFERENT_CHARACTERS:
            raise ValidationError(
                "The password needs at least %(count)d different characters.",
                code="password_too_uniform",
                params={"count": MIN_DIFFERENT_CHARACTERS},
            )
        folded = password.casefold()
        if any(name in folded for name in _names_of(user)):
            raise ValidationError(
                "The password cannot contain your username.", code="password_has_username"
            )

    def get_help_text(self) -> str:
        return (
            "Your password cannot be spaces only, one piece repeated, or contain your "
            f"username, and needs at least {MIN_DIFFERENT_CHARACTERS} different characters."
        )
