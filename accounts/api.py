"""The account's API: exchanging a username and password for an API token."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import lockout
from shapeshop_site.parsers import JSONParser


class TokenView(ObtainAuthToken):
    """Exchanges a username and password for the user's API token.

    Failed attempts count towards the same lock-out as the sign-in page: once a username is
    locked out, it is answered 429 with a Retry-After header, even with the right password.
    """

    # The lock-out itself is accounts/lockout.py; AxesMiddleware writes its 429.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    # DRF's token view names its own parsers: the same three, JSON read with the API's bounds.
    parser_classes = (FormParser, MultiPartParser, JSONParser)

    def get_serializer_context(self) -> dict[str, Any]:
        # authenticate() is given Django's request, not DRF's wrapper around it: the lock-out
        # marks a refused attempt on the request it is given, and AxesMiddleware looks for
        # that mark on Django's.
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        lockout.sign_in_succeeded(request._request, user.get_username())
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
