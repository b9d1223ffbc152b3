"""Tenant isolation in the data layer.

Every tenant-owned model declares ``tenant_path``, the lookup from the row to
its organisation's id, and uses :class:`TenantManager` as its default manager.
A query through that manager is filtered to the organisations of the active
scope, and raises :class:`TenantScopeMissing` when no scope is active, so a
forgotten scope fails loudly instead of leaking another organisation's rows.

Requests get their scope from ``TenantScopeMiddleware``; a job that must see
every organisation says so with ``cross_tenant("why")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models


class TenantScopeMissing(RuntimeError):
    """A tenant-owned model was queried outside any scope."""


@dataclass(frozen=True)
class Scope:
    organisation_ids: frozenset[int] | None  # None: every organisation
    reason: str

    def allows(self, organisation_id: int | None) -> bool:
        return self.organisation_ids is None or organisation_id in self.organisation_ids


_scope: ContextVar[Scope | None] = ContextVar("flotte_tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _scope.get()


@contextmanager
def tenant_scope(organisation_ids: Iterable[int], reason: str = "request") -> Iterator[Scope]:
    """Restrict tenant-owned queries to these organisations."""
    scope = Scope(frozenset(organisation_ids), reason)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def cross_tenant(reason: str) -> Iterator[Scope]:
    """See every organisation's rows: operators, scheduled jobs, migrations.
    The reason makes such places easy to find and to review."""
    if not reason:
        raise ValueError("a cross-tenant scope needs a reason")
    scope = Scope(None, reason)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


M = TypeVar("M", bound=models.Model)


class TenantManager(models.Manager[M], Generic[M]):
    def get_queryset(self) -> models.QuerySet[M]:
        queryset = super().get_queryset()
        scope = _scope.get()
        if scope is None:
            raise TenantScopeMissing(
                f"{self.model.__name__} queried outside a tenant scope; use tenant_scope() "
                "or cross_tenant('reason')"
            )
        if scope.organisation_ids is None:
            return queryset
        path: str = self.model.tenant_path  # type: ignore[attr-defined]
        return queryset.filter(**{f"{path}__in": scope.organisation_ids})


def organisation_id_of(instance: Any) -> int | None:
    """The organisation id a tenant-owned row belongs to, following its path."""
    value: Any = instance
    for part in instance.tenant_path.split("__"):
        if value is None:
            return None
        value = getattr(value, "pk" if part in {"pk", "id"} else part)
    return value.pk if isinstance(value, models.Model) else value
