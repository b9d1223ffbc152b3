"""API authentication: the web session (with CSRF) or a bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from flotte.accounts.tokens import api_token_authenticate
from flotte.core.middleware import enter_user_scope


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        # The middleware could not know this user; narrow the request's scope
        # now (bounded by the middleware's own scope block).
        enter_user_scope(user)
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


auth = [TokenAuth(), ActiveSessionAuth()]
