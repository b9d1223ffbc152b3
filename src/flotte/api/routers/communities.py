from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.models import Community, Invitation, Membership, UserGroup
from flotte.accounts.organisations import (
    community_create,
    community_update,
    membership_end,
    membership_set_group,
    membership_set_role,
)
from flotte.accounts.selectors import (
    community_by_slug,
    is_operator,
    require_manager_of_community,
)
from flotte.accounts.signup import (
    community_join,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    signup_start,
    signup_verify,
)
from flotte.api.common import actor, get_or_404, organisation, provided
from flotte.api.schemas import (
    BrandingOut,
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    ErrorOut,
    InvitationIn,
    InvitationOut,
    MembershipOut,
    MembershipPatch,
    MessageOut,
    SignupIn,
    TokenBodyIn,
)

router = Router(tags=["communities"])


def visible_communities(request: HttpRequest) -> QuerySet[Community]:
    user = actor(request)
    queryset = Community.objects.select_related("organisation")
    if is_operator(user):
        return queryset
    return queryset.filter(
        Q(memberships__user=user) | Q(organisation__managers__user=user)
    ).distinct()


def visible_community(request: HttpRequest, slug: str) -> Community:
    return get_or_404(visible_communities(request), "community", slug=slug)


def _group(organisation_id: int, group_id: int | None) -> UserGroup | None:
    if group_id is None:
        return None
    return get_or_404(
        UserGroup.objects.filter(organisation_id=organisation_id), "group", pk=group_id
    )


@router.get("/public/{slug}", auth=None, response={200: BrandingOut, 404: ErrorOut})
def community_public(request: HttpRequest, slug: str) -> dict[str, str]:
    """The public face of a community page: name and branding only."""
    return community_by_slug(slug).branding


@router.post(
    "/public/{slug}/signup",
    auth=None,
    response={
        201: MessageOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def signup(request: HttpRequest, slug: str, payload: SignupIn) -> Status[dict[str, str]]:
    """Create an account; a link to verify the address is sent by e-mail."""
    signup_start(community=community_by_slug(slug), **payload.dict())
    return Status(201, {"message": "check your e-mail to confirm your address"})


@router.post("/verify", auth=None, response={200: MembershipOut, 400: ErrorOut, 422: ErrorOut})
def verify(request: HttpRequest, payload: TokenBodyIn) -> Membership:
    return signup_verify(payload.token)


@router.post(
    "/invitations/accept",
    response={200: MembershipOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
)
def accept(request: HttpRequest, payload: TokenBodyIn) -> Membership:
    return invitation_accept(token=payload.token, user=actor(request))


@router.get("", response=list[CommunityOut])
@paginate(PageNumberPagination)
def community_list(request: HttpRequest) -> QuerySet[Community]:
    """The communities you belong to or manage."""
    return visible_communities(request)


@router.get("/{slug}", response={200: CommunityOut, 404: ErrorOut})
def community_detail(request: HttpRequest, slug: str) -> Community:
    return visible_community(request, slug)


@router.post(
    "/{slug}/join", response={200: MembershipOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def join(request: HttpRequest, slug: str) -> Membership:
    """Join one more community with the account you have."""
    return community_join(user=actor(request), community=community_by_slug(slug))


@router.patch(
    "/{slug}",
    response={200: CommunityOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def community_patch(request: HttpRequest, slug: str, payload: CommunityPatch) -> Community:
    community = visible_community(request, slug)
    fields: dict[str, Any] = provided(payload)
    if "default_group_id" in fields:
        fields["default_group"] = _group(community.organisation_id, fields.pop("default_group_id"))
    return community_update(actor=actor(request), community=community, **fields)


@router.get(
    "/{slug}/invitations", response={200: list[InvitationOut], 403: ErrorOut, 404: ErrorOut}
)
@paginate(PageNumberPagination)
def invitation_list(request: HttpRequest, slug: str) -> QuerySet[Invitation]:
    community = visible_community(request, slug)
    require_manager_of_community(actor(request), community)
    return Invitation.objects.filter(community=community)


@router.post(
    "/{slug}/invitations",
    response={201: InvitationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invitation_post(request: HttpRequest, slug: str, payload: InvitationIn) -> Status[Invitation]:
    community = visible_community(request, slug)
    require_manager_of_community(actor(request), community)
    return Status(
        201,
        invitation_create(
            actor=actor(request),
            community=community,
            email=payload.email,
            role=payload.role,
            group=_group(community.organisation_id, payload.group_id),
        ),
    )


@router.delete(
    "/{slug}/invitations/{invitation_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invitation_delete(request: HttpRequest, slug: str, invitation_id: int) -> Status[None]:
    """Withdraw an invitation that was not accepted yet."""
    community = visible_community(request, slug)
    require_manager_of_community(actor(request), community)
    invitation = get_or_404(
        Invitation.objects.filter(community=community), "invitation", pk=invitation_id
    )
    invitation_revoke(actor=actor(request), invitation=invitation)
    return Status(204, None)


def _membership(request: HttpRequest, slug: str, user_id: int) -> Membership:
    community = visible_community(request, slug)
    user = actor(request)
    if user.pk != user_id:
        require_manager_of_community(user, community)
    return get_or_404(
        Membership.objects.filter(community=community).select_related("community"),
        "member of this community",
        user_id=user_id,
    )


@router.patch(
    "/{slug}/members/{user_id}",
    response={200: MembershipOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def membership_patch(
    request: HttpRequest, slug: str, user_id: int, payload: MembershipPatch
) -> Membership:
    """Change a member's user group (their rules and tariffs) or role."""
    membership = _membership(request, slug, user_id)
    require_manager_of_community(actor(request), membership.community)
    fields = provided(payload)
    if "group_id" in fields:
        group = _group(membership.community.organisation_id, fields["group_id"])
        membership = membership_set_group(actor=actor(request), membership=membership, group=group)
    if "role" in fields:
        membership = membership_set_role(
            actor=actor(request), membership=membership, role=fields["role"]
        )
    return membership


@router.delete("/{slug}/members/{user_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def membership_delete(request: HttpRequest, slug: str, user_id: int) -> Status[None]:
    """Remove someone from the community (a manager), or leave it (yourself)."""
    membership_end(actor=actor(request), membership=_membership(request, slug, user_id))
    return Status(204, None)


org_router = Router(tags=["communities"])


@org_router.post(
    "/{org_id}/communities",
    response={201: CommunityOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def community_post(request: HttpRequest, org_id: int, payload: CommunityIn) -> Status[Community]:
    org = organisation(org_id)
    fields: dict[str, Any] = payload.dict()
    fields["default_group"] = _group(org.pk, fields.pop("default_group_id"))
    return Status(201, community_create(actor=actor(request), organisation=org, **fields))
