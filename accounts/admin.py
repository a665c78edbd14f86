"""The admin's user pages, with the sign-up page's rules: a username of letters a to z,
digits and @.+-_ (accounts/validators.py), and the password validators. The admin's
set-password form is Django's; a password set there revokes the user's API token like any
other (accounts/tokens.py)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.forms import AdminUserCreationForm, UserChangeForm

User = get_user_model()


class AccountAdmin(UserAdmin):
    add_form = AdminUserCreationForm
    form = UserChangeForm


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
