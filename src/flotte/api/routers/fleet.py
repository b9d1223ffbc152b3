from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.models import Community, Organisation, User, UserGroup
from flotte.accounts.selectors import (
    is_operator,
    managed_organisations,
    member_of_organisation,
    require_manager_of_organisation,
)
from flotte.api.common import actor, get_or_404, organisation, provided
from flotte.api.schemas import (
    BadgeIn,
    BadgeOut,
    BoxCreatedOut,
    BoxFitIn,
    BoxIn,
    BoxOut,
    ErrorOut,
    StationIn,
    StationOut,
    StationPatch,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
    VehicleStatusIn,
)
from flotte.core.errors import NotFound, PermissionDenied
from flotte.fleet.models import Badge, Box, Station, Vehicle
from flotte.fleet.selectors import stations_visible_to, vehicles_visible_to
from flotte.fleet.services import (
    badge_deactivate,
    badge_issue,
    box_fit,
    box_provision,
    station_create,
    station_update,
    vehicle_create,
    vehicle_set_status,
    vehicle_update,
)

router = Router(tags=["fleet"])
org_router = Router(tags=["fleet"])


def _in_org(model: Any, org: Organisation, ids: list[int] | None, what: str) -> list[Any] | None:
    """The rows of this organisation with these ids (None: leave as is);
    an id of another organisation is a 404."""
    if ids is None:
        return None
    found = list(model.objects.filter(organisation=org, pk__in=ids))
    if len(found) != len(set(ids)):
        raise NotFound(f"no such {what} in this organisation")
    return found


# Stations
@router.get("/stations", response=list[StationOut])
@paginate(PageNumberPagination)
def station_list(request: HttpRequest, community: str | None = None) -> QuerySet[Station]:
    """Stations you can use (members) or manage (managers); filter by community slug."""
    queryset = stations_visible_to(actor(request)).prefetch_related("communities")
    if community:
        queryset = queryset.filter(communities__slug=community)
    return queryset


@router.get("/stations/{station_id}", response={200: StationOut, 404: ErrorOut})
def station_detail(request: HttpRequest, station_id: int) -> Station:
    return get_or_404(stations_visible_to(actor(request)), "station", pk=station_id)


@org_router.post(
    "/{org_id}/stations",
    response={201: StationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def station_post(request: HttpRequest, org_id: int, payload: StationIn) -> Status[Station]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    fields = payload.dict()
    communities = _in_org(Community, org, fields.pop("community_ids"), "community") or []
    return Status(
        201,
        (station_create(actor=actor(request), organisation=org, communities=communities, **fields)),
    )


@router.patch(
    "/stations/{station_id}",
    response={200: StationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def station_patch(request: HttpRequest, station_id: int, payload: StationPatch) -> Station:
    station = get_or_404(stations_visible_to(actor(request)), "station", pk=station_id)
    require_manager_of_organisation(actor(request), station.organisation)
    fields = provided(payload)
    communities = _in_org(
        Community, station.organisation, fields.pop("community_ids", None), "community"
    )
    return station_update(actor=actor(request), station=station, communities=communities, **fields)


# Vehicles
@router.get("/vehicles", response=list[VehicleOut])
@paginate(PageNumberPagination)
def vehicle_list(
    request: HttpRequest,
    community: str | None = None,
    station: int | None = None,
    category: str | None = None,
    energy: str | None = None,
    status: str | None = None,
) -> QuerySet[Vehicle]:
    """Vehicles you can use (members) or manage (managers), with filters."""
    queryset = vehicles_visible_to(actor(request)).prefetch_related("communities", "allowed_groups")
    filters = {
        "communities__slug": community,
        "home_station_id": station,
        "category": category,
        "energy": energy,
        "status": status,
    }
    queryset = queryset.filter(**{k: v for k, v in filters.items() if v is not None})
    return queryset


@router.get("/vehicles/{vehicle_id}", response={200: VehicleOut, 404: ErrorOut})
def vehicle_detail(request: HttpRequest, vehicle_id: int) -> Vehicle:
    return get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)


@org_router.post(
    "/{org_id}/vehicles",
    response={
        201: VehicleOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def vehicle_post(request: HttpRequest, org_id: int, payload: VehicleIn) -> Status[Vehicle]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    fields = payload.dict()
    home = get_or_404(
        Station.objects.filter(organisation=org), "station", pk=fields.pop("home_station_id")
    )
    communities = _in_org(Community, org, fields.pop("community_ids"), "community") or []
    groups = _in_org(UserGroup, org, fields.pop("allowed_group_ids"), "group") or []
    return Status(
        201,
        (
            vehicle_create(
                actor=actor(request),
                organisation=org,
                home_station=home,
                communities=communities,
                allowed_groups=groups,
                **fields,
            )
        ),
    )


def _managed_vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    require_manager_of_organisation(actor(request), vehicle.organisation)
    return vehicle


@router.patch(
    "/vehicles/{vehicle_id}",
    response={
        200: VehicleOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def vehicle_patch(request: HttpRequest, vehicle_id: int, payload: VehiclePatch) -> Vehicle:
    vehicle = _managed_vehicle(request, vehicle_id)
    org = vehicle.organisation
    fields = provided(payload)
    home = None
    if fields.get("home_station_id") is not None:
        home = get_or_404(
            Station.objects.filter(organisation=org), "station", pk=fields.pop("home_station_id")
        )
    fields.pop("home_station_id", None)
    communities = _in_org(Community, org, fields.pop("community_ids", None), "community")
    groups = _in_org(UserGroup, org, fields.pop("allowed_group_ids", None), "group")
    return vehicle_update(
        actor=actor(request),
        vehicle=vehicle,
        home_station=home,
        communities=communities,
        allowed_groups=groups,
        **fields,
    )


@router.post(
    "/vehicles/{vehicle_id}/status",
    response={200: VehicleOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def vehicle_status(request: HttpRequest, vehicle_id: int, payload: VehicleStatusIn) -> Vehicle:
    """Put a vehicle in maintenance, out of service, or back in service."""
    vehicle = _managed_vehicle(request, vehicle_id)
    return vehicle_set_status(
        actor=actor(request), vehicle=vehicle, status=payload.status, note=payload.note
    )


# Boxes
def _boxes(request: HttpRequest) -> QuerySet[Box]:
    user = actor(request)
    if is_operator(user):
        return Box.objects.all()
    return Box.objects.filter(
        organisation__in=managed_organisations(user).filter(managers__user=user)
    )


@router.get("/boxes", response=list[BoxOut])
@paginate(PageNumberPagination)
def box_list(request: HttpRequest) -> QuerySet[Box]:
    """Boxes of the organisations you manage (every box for the operator)."""
    return _boxes(request)


@router.post(
    "/boxes",
    response={201: BoxCreatedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def box_post(request: HttpRequest, payload: BoxIn) -> Status[dict[str, Any]]:
    """Provision a box (operator); its MQTT password is shown once."""
    if not is_operator(actor(request)):
        raise PermissionDenied("only the operator provisions boxes")
    org = organisation(payload.organisation_id) if payload.organisation_id is not None else None
    box, secret = box_provision(
        actor=actor(request), box_id=payload.box_id, vendor=payload.vendor, organisation=org
    )
    data = BoxOut.from_orm(box).dict()
    data["secret"] = secret
    return Status(201, data)


@router.post("/boxes/{box_id}/fit", response={200: BoxOut, 403: ErrorOut, 404: ErrorOut})
def box_fit_post(request: HttpRequest, box_id: str, payload: BoxFitIn) -> Box:
    """Fit a box to a vehicle, or take it out with ``vehicle_id: null``."""
    box = get_or_404(_boxes(request), "box", box_id=box_id)
    vehicle = None
    if payload.vehicle_id is not None:
        vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=payload.vehicle_id)
    return box_fit(actor=actor(request), box=box, vehicle=vehicle)


# Badges
@org_router.get("/{org_id}/badges", response={200: list[BadgeOut], 403: ErrorOut, 404: ErrorOut})
@paginate(PageNumberPagination)
def badge_list(request: HttpRequest, org_id: int) -> QuerySet[Badge]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    return Badge.objects.filter(organisation=org)


@org_router.post(
    "/{org_id}/badges",
    response={201: BadgeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def badge_post(request: HttpRequest, org_id: int, payload: BadgeIn) -> Status[Badge]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    user: User | None = None
    if payload.user_id is not None:
        user = member_of_organisation(org, actor(request), payload.user_id)
    return Status(
        201,
        badge_issue(
            actor=actor(request), organisation=org, uid=payload.uid, user=user, label=payload.label
        ),
    )


@org_router.post(
    "/{org_id}/badges/{badge_id}/deactivate",
    response={200: BadgeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def badge_deactivate_post(request: HttpRequest, org_id: int, badge_id: int) -> Badge:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    badge = get_or_404(Badge.objects.filter(organisation=org), "badge", pk=badge_id)
    return badge_deactivate(actor=actor(request), badge=badge)
