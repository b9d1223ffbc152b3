from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.models import (
    Organisation,
    OrganisationManager,
    ParameterValue,
    User,
    UserGroup,
)
from flotte.accounts.organisations import (
    group_create,
    manager_appoint,
    manager_dismiss,
    organisation_create,
    organisation_update,
)
from flotte.accounts.parameters import describe_all, param_set, param_unset
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.api.common import actor, get_or_404, organisation, provided
from flotte.api.schemas import (
    AuditOut,
    ErrorOut,
    GroupIn,
    GroupOut,
    ManagerIn,
    ManagerOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    ParameterSetIn,
    ParameterTargetIn,
    ParameterValueOut,
)
from flotte.core.models import AuditEntry

router = Router(tags=["organisations"])


@router.get("", response=list[OrganisationOut])
@paginate(PageNumberPagination)
def organisation_list(request: HttpRequest) -> QuerySet[Organisation]:
    """The organisations you belong to or manage (every one for the operator)."""
    return Organisation.objects.all()


@router.post("", response={201: OrganisationOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def organisation_post(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    return Status(201, organisation_create(actor=actor(request), **payload.dict()))


@router.get("/{org_id}", response={200: OrganisationOut, 404: ErrorOut})
def organisation_detail(request: HttpRequest, org_id: int) -> Organisation:
    return organisation(org_id)


@router.patch(
    "/{org_id}", response={200: OrganisationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def organisation_patch(
    request: HttpRequest, org_id: int, payload: OrganisationPatch
) -> Organisation:
    return organisation_update(
        actor=actor(request), organisation=organisation(org_id), **provided(payload)
    )


@router.get("/{org_id}/groups", response={200: list[GroupOut], 404: ErrorOut})
def group_list(request: HttpRequest, org_id: int) -> QuerySet[UserGroup]:
    return UserGroup.objects.filter(organisation=organisation(org_id))


@router.post(
    "/{org_id}/groups",
    response={201: GroupOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def group_post(request: HttpRequest, org_id: int, payload: GroupIn) -> Status[UserGroup]:
    return Status(
        201, group_create(actor=actor(request), organisation=organisation(org_id), **payload.dict())
    )


@router.get("/{org_id}/audit", response={200: list[AuditOut], 403: ErrorOut, 404: ErrorOut})
@paginate(PageNumberPagination)
def audit_list(request: HttpRequest, org_id: int) -> QuerySet[AuditEntry]:
    """The organisation's audit log, newest first (managers only)."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    return AuditEntry.objects.filter(organisation=org)


@router.get("/{org_id}/managers", response={200: list[ManagerOut], 403: ErrorOut, 404: ErrorOut})
def manager_list(request: HttpRequest, org_id: int) -> QuerySet[OrganisationManager]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    return OrganisationManager.objects.filter(organisation=org).select_related("user")


@router.post("/{org_id}/managers", response={201: ManagerOut, 403: ErrorOut, 404: ErrorOut})
def manager_post(
    request: HttpRequest, org_id: int, payload: ManagerIn
) -> Status[OrganisationManager]:
    """Make a member a manager of the whole organisation."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    user = get_or_404(User.objects.all(), "member", pk=payload.user_id)
    return Status(201, manager_appoint(actor=actor(request), organisation=org, user=user))


@router.delete(
    "/{org_id}/managers/{user_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def manager_delete(request: HttpRequest, org_id: int, user_id: int) -> Status[None]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    user = get_or_404(User.objects.all(), "manager", pk=user_id)
    manager_dismiss(actor=actor(request), organisation=org, user=user)
    return Status(204, None)


# Parameters
@router.get("/{org_id}/parameters", response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut})
def parameter_list(request: HttpRequest, org_id: int) -> dict[str, Any]:
    """The registry, with the values this organisation has set at each level."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    values = [
        {
            "key": v.key,
            "level": v.level,
            "community_id": v.community_id,
            "group_id": v.group_id,
            "vehicle_id": v.vehicle_id,
            "value": v.value,
            "updated_at": v.updated_at,
        }
        for v in ParameterValue.objects.filter(organisation=org).order_by("key", "level")
    ]
    return {"registry": describe_all(), "values": values}


def _targets(org: Organisation, payload: ParameterTargetIn | ParameterSetIn) -> dict[str, Any]:
    from flotte.accounts.models import Community
    from flotte.fleet.models import Vehicle

    targets: dict[str, Any] = {}
    if payload.community_id is not None:
        targets["community"] = get_or_404(
            Community.objects.filter(organisation=org), "community", pk=payload.community_id
        )
    if payload.group_id is not None:
        targets["group"] = get_or_404(
            UserGroup.objects.filter(organisation=org), "group", pk=payload.group_id
        )
    if payload.vehicle_id is not None:
        targets["vehicle"] = get_or_404(
            Vehicle.objects.filter(organisation=org), "vehicle", pk=payload.vehicle_id
        )
    return targets


@router.put(
    "/{org_id}/parameters/{key}",
    response={200: ParameterValueOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def parameter_put(
    request: HttpRequest, org_id: int, key: str, payload: ParameterSetIn
) -> ParameterValue:
    """Set a parameter for the organisation, or for one community, group or vehicle."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    targets = _targets(org, payload)
    param_set(actor=actor(request), key=key, value=payload.value, organisation=org, **targets)
    level = next(iter(targets), "organisation")
    return ParameterValue.objects.get(
        organisation=org, key=key, level=level, **{name: obj for name, obj in targets.items()}
    )


@router.delete(
    "/{org_id}/parameters/{key}", response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def parameter_delete(
    request: HttpRequest, org_id: int, key: str, target: Query[ParameterTargetIn]
) -> Status[None]:
    """Remove a value so that the level above applies again."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    param_unset(actor=actor(request), key=key, organisation=org, **_targets(org, target))
    return Status(204, None)
