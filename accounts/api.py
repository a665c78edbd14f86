"""The account's API: exchanging a username and password for an API token."""

from __future__ import annotations

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class TokenView(ObtainAuthToken):
    """Exchanges a username and password for the user's API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
