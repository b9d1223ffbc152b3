"""What of the fleet a person may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from flotte.accounts.models import Membership, Organisation, User
from flotte.accounts.selectors import is_operator
from flotte.fleet.models import Station, Vehicle


def _fleet_managed_by(user: User) -> QuerySet[Organisation]:
    """Organisations whose whole fleet this person manages. A community
    manager manages people, not the fleet: they see what their community's
    members see."""
    return Organisation.objects.filter(managers__user=user)


def stations_visible_to(user: User) -> QuerySet[Station]:
    """Organisation managers see their stations; members the active stations
    serving their communities."""
    if is_operator(user):
        return Station.objects.all()
    communities = Membership.objects.filter(user=user).values("community_id")
    return Station.objects.filter(
        Q(organisation__in=_fleet_managed_by(user).values("pk"))
        | Q(communities__in=communities, active=True)
    ).distinct()


def vehicles_visible_to(user: User) -> QuerySet[Vehicle]:
    """Organisation managers see their vehicles; a member sees a vehicle
    shared with one of their communities when it is open to every group or
    to the group they have in that same community."""
    if is_operator(user):
        return Vehicle.objects.all()
    shared = Q(organisation__in=_fleet_managed_by(user).values("pk"))
    for community_id, group_id in Membership.objects.filter(user=user).values_list(
        "community_id", "group_id"
    ):
        open_to = Q(allowed_groups=None)
        if group_id is not None:
            open_to |= Q(allowed_groups=group_id)
        shared |= Q(communities=community_id) & open_to
    return Vehicle.objects.filter(shared).distinct()
