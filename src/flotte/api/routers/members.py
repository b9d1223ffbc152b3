from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.drivers import (
    booking_refusals,
    driver_reject,
    driver_validate,
    member_suspend,
    profile_or_blank,
    suspension_lift,
)
from flotte.accounts.models import DriverApproval, Membership, Organisation, Suspension, User
from flotte.accounts.selectors import (
    managed_community_ids,
    manages_member_in_person,
    manages_organisation,
    member_of_organisation,
    members_of,
)
from flotte.api.common import actor, get_or_404, organisation
from flotte.api.routers.me import DOCUMENTS, document_response, profile_out
from flotte.api.schemas import (
    ErrorOut,
    MemberDetailOut,
    MemberOut,
    ReasonIn,
    SuspendIn,
    SuspensionOut,
)
from flotte.core.errors import NotFound, PermissionDenied

router = Router(tags=["members"])


def _managed(request: HttpRequest, org_id: int) -> Organisation:
    org = organisation(org_id)
    # An organisation manager is a manager even before any community exists.
    user = actor(request)
    if not manages_organisation(user, org.pk) and not managed_community_ids(user, org.pk):
        raise PermissionDenied("only managers see the members")
    return org


def member_row(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "approval_status": MemberOut.resolve_approval_status(user),
        "communities": MemberOut.resolve_communities(user),
    }


def _prefetched(queryset: QuerySet[User], org: Organisation, manager: User) -> QuerySet[User]:
    """With the organisation's approval and the memberships of the
    communities this manager manages (not the others)."""
    return queryset.prefetch_related(
        Prefetch(
            "approvals",
            queryset=DriverApproval.objects.filter(organisation=org),
            to_attr="org_approvals",
        ),
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(
                community_id__in=managed_community_ids(manager, org.pk)
            ).select_related("community"),
            to_attr="org_memberships",
        ),
    )


@router.get("/{org_id}/members", response={200: list[MemberOut], 403: ErrorOut, 404: ErrorOut})
@paginate(PageNumberPagination)
def member_list(
    request: HttpRequest, org_id: int, status: str | None = None, community: str | None = None
) -> QuerySet[User]:
    """Members of the communities you manage; filter by approval status
    (``submitted`` is the validation queue, ``none`` not submitted yet) or
    community slug."""
    org = _managed(request, org_id)
    queryset = members_of(org, actor(request))
    if status == "none":
        queryset = queryset.exclude(approvals__organisation=org)
    elif status:
        queryset = queryset.filter(approvals__organisation=org, approvals__status=status)
    if community:
        queryset = queryset.filter(memberships__community__slug=community)
    return _prefetched(
        queryset.distinct().order_by("last_name", "first_name", "pk"), org, actor(request)
    )


def _member(request: HttpRequest, org_id: int, user_id: int) -> tuple[Organisation, User]:
    org = _managed(request, org_id)
    return org, member_of_organisation(org, actor(request), user_id)


@router.get(
    "/{org_id}/members/{user_id}", response={200: MemberDetailOut, 403: ErrorOut, 404: ErrorOut}
)
def member_detail(request: HttpRequest, org_id: int, user_id: int) -> dict[str, Any]:
    org, user = _member(request, org_id, user_id)
    user = _prefetched(User.objects.filter(pk=user.pk), org, actor(request)).get()
    row = member_row(user)
    approval = next(iter(user.org_approvals), None)  # type: ignore[attr-defined]
    row.update(
        phone=user.phone,
        profile=profile_out(profile_or_blank(user), organisation_ids={org.pk}),
        approval_reason=approval.reason if approval else "",
        suspensions=list(Suspension.objects.filter(organisation=org, user=user)),
        refusals={
            m.community.slug: [r.message for r in booking_refusals(user, m.community)]
            for m in user.org_memberships  # type: ignore[attr-defined]
        },
    )
    return row


@router.get(
    "/{org_id}/members/{user_id}/documents/{kind}",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
)
def member_document(request: HttpRequest, org_id: int, user_id: int, kind: str) -> FileResponse:
    """A member's uploaded document, for checking it; each view is audited."""
    org, user = _member(request, org_id, user_id)
    if not manages_member_in_person(actor(request), org.pk, user):
        raise PermissionDenied("identity documents are shown only to the member's managers")
    if kind not in DOCUMENTS:
        raise NotFound(f"documents are {', '.join(DOCUMENTS)}")
    return document_response(profile_or_blank(user), kind, actor(request), org.pk)


def _approval(org: Organisation, user: User) -> DriverApproval:
    approval = DriverApproval.objects.filter(organisation=org, user=user).first()
    if approval is None:
        raise NotFound("this member has not submitted a driver profile yet", code="not_submitted")
    return approval


@router.post(
    "/{org_id}/members/{user_id}/validate",
    response={200: MemberDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def member_validate(request: HttpRequest, org_id: int, user_id: int) -> dict[str, Any]:
    org, user = _member(request, org_id, user_id)
    driver_validate(actor=actor(request), approval=_approval(org, user))
    return member_detail(request, org_id, user_id)


@router.post(
    "/{org_id}/members/{user_id}/reject",
    response={200: MemberDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def member_reject(
    request: HttpRequest, org_id: int, user_id: int, payload: ReasonIn
) -> dict[str, Any]:
    org, user = _member(request, org_id, user_id)
    driver_reject(actor=actor(request), approval=_approval(org, user), reason=payload.reason)
    return member_detail(request, org_id, user_id)


@router.post(
    "/{org_id}/members/{user_id}/suspend",
    response={201: SuspensionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def member_suspend_post(
    request: HttpRequest, org_id: int, user_id: int, payload: SuspendIn
) -> Status[Suspension]:
    org, user = _member(request, org_id, user_id)
    return Status(
        201,
        member_suspend(
            actor=actor(request),
            organisation=org,
            user=user,
            reason=payload.reason,
            ends_at=payload.ends_at,
        ),
    )


@router.post(
    "/{org_id}/suspensions/{suspension_id}/lift",
    response={200: SuspensionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def suspension_lift_post(request: HttpRequest, org_id: int, suspension_id: int) -> Suspension:
    org = _managed(request, org_id)
    suspension = get_or_404(
        Suspension.objects.filter(organisation=org), "suspension", pk=suspension_id
    )
    return suspension_lift(actor=actor(request), suspension=suspension)
