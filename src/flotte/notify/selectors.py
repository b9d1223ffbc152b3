"""Who sees which notifications: a member their own, a manager those of
their organisation (a community manager: of the members they manage)."""

from __future__ import annotations

from django.db.models import QuerySet

from flotte.accounts.models import Organisation, User
from flotte.accounts.selectors import manages_organisation, members_of
from flotte.core.errors import PermissionDenied
from flotte.notify.models import Notification


def notifications_of_member(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notifications_of_organisation(
    *,
    actor: User,
    organisation: Organisation,
    user_id: int | None = None,
    event: str = "",
    channel: str = "",
    state: str = "",
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(organisation=organisation)
    if not manages_organisation(actor, organisation.pk):
        members = members_of(organisation, actor)
        if not members.exists():
            raise PermissionDenied("only a manager of this organisation may see its notifications")
        rows = rows.filter(user__in=members.values("pk"))
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    if event:
        rows = rows.filter(event=event)
    if channel:
        rows = rows.filter(channel=channel)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")
