"""What of the fleet a person may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from flotte.accounts.models import Membership, User
from flotte.accounts.selectors import is_operator, managed_organisations
from flotte.fleet.models import Station, Vehicle


def stations_visible_to(user: User) -> QuerySet[Station]:
    """Managers see their organisations' stations; members the stations of
    their communities."""
    if is_operator(user):
        return Station.objects.all()
    managed = managed_organisations(user).values("pk")
    communities = Membership.objects.filter(user=user).values("community_id")
    return Station.objects.filter(
        Q(organisation__in=managed) | Q(communities__in=communities, active=True)
    ).distinct()


def vehicles_visible_to(user: User) -> QuerySet[Vehicle]:
    """Managers see their organisations' vehicles; members the vehicles shared
    with their communities and open to their group."""
    if is_operator(user):
        return Vehicle.objects.all()
    managed = managed_organisations(user).values("pk")
    memberships = Membership.objects.filter(user=user)
    shared = Q(communities__in=memberships.values("community_id")) & (
        Q(allowed_groups=None) | Q(allowed_groups__in=memberships.values("group_id"))
    )
    return Vehicle.objects.filter(Q(organisation__in=managed) | shared).distinct()
