"""The account's API: exchanging a username and password for an API token, and revoking it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import lockout, tokens
from shapeshop_site.parsers import JSONParser


class TokenView(ObtainAuthToken):
    """Exchanges a username and password for the user's API token.

    Failed attempts count towards the same lock-out as the sign-in page: once a username is
    locked out, it is answered 429 with a Retry-After header, even with the right password.
    A new password revokes the token; the next request here issues a new one.
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

    def get_permissions(self) -> list[BasePermission]:
        # Asking for a token needs no session or token; revoking one needs either.
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return list(super().get_permissions())

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        lockout.sign_in_succeeded(request._request, user.get_username())
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked (or there was none).")},
        description=(
            "Revokes the signed-in user's API token: it stops working at once, for every "
            "client that holds it. Ask for a new one with POST."
        ),
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tokens.revoke_token(user=request.user)
        return Response(status=204)
