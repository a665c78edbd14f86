"""Forms of the account pages (the builder itself posts JSON to the API) and of the admin's
user pages. Usernames and passwords are checked by accounts/validators.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms

from accounts.validators import USERNAME_HELP, validate_username


class SignUpForm(auth_forms.UserCreationForm):
    """Django's own sign-up form: a unique username (compared without case, of letters a to z,
    digits and @.+-_) and a password checked by the validators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(validate_username)
        username.help_text = USERNAME_HELP
        username.widget.attrs.update({"autocomplete": "username", "autofocus": True})
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        # Django puts what the validators say under the confirmation field; it is about the
        # password itself, so it goes under the password field, where the rules are listed.
        super().validate_password_for_user(user, password_field_name="password1")


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change form, with the new password's errors under that password."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, password_field_name="new_password1")


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    """The admin's "add user" form, with the sign-up page's rule for usernames."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(validate_username)
        self.fields["username"].help_text = USERNAME_HELP


class UserChangeForm(auth_forms.UserChangeForm):
    """The admin's user form: a renamed user follows the same rule for usernames."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "username" in self.fields:
            self.fields["username"].validators.append(validate_username)
            self.fields["username"].help_text = USERNAME_HELP
