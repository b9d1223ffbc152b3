"""Gives every request its tenant scope and its origin for the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from flotte.core.context import origin
from flotte.core.tenancy import Scope, _scope


def client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy, the WSGI server sets REMOTE_ADDR from the
    # proxy's forwarded header; a header sent by the client is not trusted.
    return request.META.get("REMOTE_ADDR") or None


def source_of(request: HttpRequest) -> str:
    if request.path.startswith("/api/"):
        return "api"
    if request.path.startswith("/admin/"):
        return "admin"
    return "web"


def scope_for(user: Any) -> Scope:
    """Operators see every organisation; anyone else the organisations they
    belong to or manage; an anonymous visitor none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(frozenset(), "anonymous")
    if user.is_operator:
        return Scope(None, "operator")
    from flotte.accounts.selectors import organisation_ids_of

    return Scope(frozenset(organisation_ids_of(user)), f"user {user.pk}")


def enter_user_scope(user: Any) -> None:
    """Narrow the current request's scope once its user is known (token
    authentication happens after the middleware ran). The middleware resets
    the scope when the request ends."""
    _scope.set(scope_for(user))


class TenantScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin(source_of(request), client_ip(request)):
            token = _scope.set(scope_for(request.user))
            try:
                return self.get_response(request)
            finally:
                _scope.reset(token)
