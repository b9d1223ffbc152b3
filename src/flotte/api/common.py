"""Small helpers shared by the routers."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from flotte.accounts.models import Organisation, User
from flotte.core.errors import NotFound

M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], what: str, **lookup: Any) -> M:
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError):
        raise NotFound(f"no such {what}") from None


def actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def organisation(org_id: int) -> Organisation:
    """An organisation within the request's tenant scope (404 otherwise)."""
    return get_or_404(Organisation.objects.all(), "organisation", pk=org_id)


def ids(queryset: Any) -> list[int]:
    return [obj.pk for obj in queryset.all()]


def provided(payload: Any) -> dict[str, Any]:
    """The fields a PATCH actually sent."""
    return payload.dict(exclude_unset=True)  # type: ignore[no-any-return]
