"""API tokens: one per user, issued on request (accounts/api.py), revoked by the user or by a
new password.

A token is a password of its own: whoever saw the old password may have taken the token too,
so a password change revokes it, and the next request for a token issues a new one. Django
tells each password validator when a password has been changed and saved
(``password_changed``), whichever way it was changed (the password page, the admin's
set-password form, ``manage.py changepassword``) and never for a hash upgraded at sign-in;
``RevokeApiTokenOnPasswordChange``, listed with the validators in AUTH_PASSWORD_VALIDATORS,
takes that call. It checks nothing, and its help text tells the user what will happen.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.authtoken.models import Token


def revoke_token(*, user: AbstractBaseUser) -> bool:
    """Deletes the user's API token; True if there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0


class RevokeApiTokenOnPasswordChange:
    """Not a rule: the hook through which a new password revokes the user's API token."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            revoke_token(user=user)

    def get_help_text(self) -> str:
        return "A new password also revokes your API token: ask for a new one afterwards."
