"""Read-side questions about people: what they belong to and may manage."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from flotte.accounts.models import (
    Community,
    Membership,
    Organisation,
    OrganisationManager,
    User,
)
from flotte.core.errors import NotFound, PermissionDenied
from flotte.core.tenancy import cross_tenant


def organisation_ids_of(user: Any) -> set[int]:
    """Organisations a user belongs to or manages: the tenant scope of their
    requests. Looked up across tenants, since it is what defines the scope."""
    with cross_tenant("resolve a user's organisations"):
        # One query: every API request asks it.
        member_of = (
            Membership.objects.filter(user=user)
            .order_by()
            .values_list("community__organisation_id", flat=True)
        )
        managing = (
            OrganisationManager.objects.filter(user=user)
            .order_by()
            .values_list("organisation_id", flat=True)
        )
        return set(member_of.union(managing))


def is_operator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_operator)


def manages_organisation(user: User, organisation_id: int) -> bool:
    if is_operator(user):
        return True
    return OrganisationManager.objects.filter(user=user, organisation_id=organisation_id).exists()


def managed_community_ids(user: User, organisation_id: int | None = None) -> set[int]:
    """Communities a user manages, directly or as manager of the organisation."""
    communities = Community.objects.all()
    if organisation_id is not None:
        communities = communities.filter(organisation_id=organisation_id)
    if is_operator(user):
        return set(communities.values_list("pk", flat=True))
    return set(
        communities.filter(
            Q(organisation__managers__user=user)
            | Q(memberships__user=user, memberships__role=Membership.Role.MANAGER)
        ).values_list("pk", flat=True)
    )


def manages_community(user: User, community: Community) -> bool:
    return community.pk in managed_community_ids(user, community.organisation_id)


def require_manager_of_organisation(user: User, organisation: Organisation) -> None:
    if not manages_organisation(user, organisation.pk):
        raise PermissionDenied("only a manager of this organisation may do this")


def require_manager_of_community(user: User, community: Community) -> None:
    if not manages_community(user, community):
        raise PermissionDenied("only a manager of this community may do this")


def manages_member(manager: User, organisation_id: int, member: User) -> bool:
    """The person is a member of a community of this organisation that the
    manager manages (all of them for an organisation manager)."""
    managed = managed_community_ids(manager, organisation_id)
    return Membership.objects.filter(user=member, community_id__in=managed).exists()


def manages_member_in_person(manager: User, organisation_id: int, member: User) -> bool:
    """Like ``manages_member`` but without the operator's blanket rights: for
    personal data such as identity documents, which the platform's staff do
    not need to see."""
    memberships = Membership.objects.filter(user=member, community__organisation_id=organisation_id)
    if not OrganisationManager.objects.filter(
        user=manager, organisation_id=organisation_id
    ).exists():
        memberships = memberships.filter(
            community__memberships__user=manager, community__memberships__role="manager"
        )
    return memberships.exists()


def managed_organisations(user: User) -> QuerySet[Organisation]:
    if is_operator(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        Q(managers__user=user)
        | Q(communities__memberships__user=user, communities__memberships__role="manager")
    ).distinct()


def members_of(organisation: Organisation, manager: User) -> QuerySet[User]:
    """People with a membership in the communities this manager manages."""
    managed = managed_community_ids(manager, organisation.pk)
    return (
        User.objects.filter(memberships__community_id__in=managed)
        .distinct()
        .select_related("driver_profile")
    )


def member_of_organisation(organisation: Organisation, manager: User, user_id: int) -> User:
    """One member, as seen by a manager: 404 when outside what they manage."""
    try:
        return members_of(organisation, manager).get(pk=user_id)
    except User.DoesNotExist:
        raise NotFound("no such member in the communities you manage") from None


def community_by_slug(slug: str) -> Community:
    """Public lookup of a community page (its name and branding are public)."""
    with cross_tenant("public community page"):
        try:
            return Community.objects.select_related("organisation", "default_group").get(slug=slug)
        except Community.DoesNotExist:
            raise NotFound(f"no community at /c/{slug}/") from None
