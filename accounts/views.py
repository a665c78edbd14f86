"""Account pages of our own: sign-up, the password page with its API token, and revoking the
token. Sign-in and sign-out are Django's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from accounts import tokens
from accounts.forms import PasswordChangeForm, SignUpForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("builder")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("builder")
    return render(request, "registration/signup.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page, which also says whether the user has an API token and
    offers to revoke it. A new password revokes it too (accounts/tokens.py)."""

    form_class = PasswordChangeForm
    template_name = "registration/password_change.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["has_api_token"] = Token.objects.filter(user=self.request.user).exists()
        return context


@login_required
@require_POST
def revoke_api_token(request: HttpRequest) -> HttpResponse:
    """The password page's "Revoke API token" button: the token stops working at once."""
    if tokens.revoke_token(user=request.user):
        messages.success(request, "Your API token is revoked. Ask for a new one when you need it.")
    else:
        messages.info(request, "You have no API token to revoke.")
    return redirect("password_change")
