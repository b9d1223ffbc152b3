"""Inspections (état des lieux) and incident reports: the driver's routes,
and the managers' (lists, handling, damage history, damage excess)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from flotte.accounts.selectors import managed_community_ids, require_manager_of_organisation
from flotte.api.common import actor, get_or_404, organisation, provided
from flotte.api.schemas import ErrorOut, In, Patch
from flotte.booking.models import Booking
from flotte.fleet.selectors import vehicles_visible_to
from flotte.inspections.history import damage_history
from flotte.inspections.incidents import (
    incident_acknowledge,
    incident_charge_excess,
    incident_photo_add,
    incident_photo_of,
    incident_report,
    incident_resolve,
    incidents_visible_to,
    inspection_charge_excess,
)
from flotte.inspections.models import Incident, Inspection, Photo
from flotte.inspections.services import (
    inspection_create,
    inspection_photo_add,
    inspection_submit,
    inspection_update,
    inspections_visible_to,
    missing_angles,
    photo_of,
)

router = Router(tags=["inspections"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MarkIn(Schema):
    view: str = Field(description="top, left, right, front or rear")
    x: float = Field(description="0..1 from the left of the drawing")
    y: float = Field(description="0..1 from the top of the drawing")
    kind: str = Field("other", description="scratch, dent, broken, stain or other")
    note: str = ""


class InspectionIn(In):
    kind: str = Field(description="check_in or check_out")


class InspectionPatch(Patch):
    nullable = frozenset({"energy_pct", "odometer_km", "cleanliness"})
    marks: list[MarkIn] | None = None
    energy_pct: int | None = None
    odometer_km: int | None = None
    cleanliness: int | None = Field(None, description="1 (dirty) to 5 (spotless)")
    comment: str | None = None


class PhotoOut(Schema):
    id: int
    angle: str
    width: int
    height: int
    created_at: dt.datetime


class InspectionOut(Schema):
    id: int
    booking_id: int
    vehicle_id: int
    driver_id: int
    kind: str
    state: str
    marks: list[dict[str, Any]]
    energy_pct: int | None
    odometer_km: int | None
    cleanliness: int | None
    comment: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    invoice_id: int | None
    photos: list[PhotoOut]
    missing_angles: list[str]


class IncidentIn(In):
    kind: str = Field(description="damage, dirt, accident, fuel_card, breakdown or other")
    description: str
    booking_id: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class IncidentOut(Schema):
    id: int
    vehicle_id: int
    booking_id: int | None
    reporter_id: int
    kind: str
    description: str
    latitude: Decimal | None
    longitude: Decimal | None
    state: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str
    invoice_id: int | None
    photos: list[PhotoOut]


class ResolveIn(In):
    resolution: str = ""


class ExcessIn(In):
    amount: Decimal = Field(description="the excess in euros, VAT included")
    label: str = ""


class HistoryEntryOut(Schema):
    source: str
    id: int
    kind: str
    at: dt.datetime | None
    booking_id: int | None
    driver_id: int | None
    compared_with: int | None
    marks: list[dict[str, Any]]
    new_marks: int
    invoice_id: int | None
    description: str
    state: str


def inspection_out(inspection: Inspection) -> dict[str, Any]:
    return {
        **{
            name: getattr(inspection, name)
            for name in InspectionOut.model_fields
            if hasattr(inspection, name)
        },
        "photos": list(inspection.photos.all()),
        "missing_angles": missing_angles(inspection) if inspection.editable else [],
    }


def incident_out(incident: Incident) -> dict[str, Any]:
    return {
        **{
            name: getattr(incident, name)
            for name in IncidentOut.model_fields
            if hasattr(incident, name)
        },
        "photos": list(incident.photos.all()),
    }


def photo_response(photo: Photo) -> FileResponse:
    return FileResponse(
        photo.image.open("rb"), content_type="image/jpeg", filename=f"photo-{photo.pk}.jpg"
    )


def _inspection(request: HttpRequest, inspection_id: int) -> Inspection:
    return get_or_404(
        inspections_visible_to(actor(request)).select_related("booking__community"),
        "inspection",
        pk=inspection_id,
    )


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    return get_or_404(incidents_visible_to(actor(request)), "incident", pk=incident_id)


def _booking(request: HttpRequest, booking_id: int) -> Booking:
    user = actor(request)
    visible = Booking.objects.filter(
        Q(member=user) | Q(community_id__in=managed_community_ids(user))
    )
    return get_or_404(visible, "booking", pk=booking_id)


# The driver's inspections


@router.post("/bookings/{booking_id}/inspections", response={201: InspectionOut, **ERRORS})
def inspection_post(request: HttpRequest, booking_id: int, payload: InspectionIn) -> Status[Any]:
    """Open (or find) the driver's draft check-in or check-out inspection."""
    booking = _booking(request, booking_id)
    inspection = inspection_create(actor=actor(request), booking=booking, kind=payload.kind)
    return Status(201, inspection_out(inspection))


@router.get("/bookings/{booking_id}/inspections", response={200: list[InspectionOut], **ERRORS})
def booking_inspections(request: HttpRequest, booking_id: int) -> list[dict[str, Any]]:
    booking = _booking(request, booking_id)
    return [
        inspection_out(i)
        for i in inspections_visible_to(actor(request))
        .filter(booking=booking)
        .order_by("created_at")
    ]


@router.get("/me/inspections", response=list[InspectionOut])
@paginate(PageNumberPagination)
def my_inspections(request: HttpRequest) -> list[dict[str, Any]]:
    return [inspection_out(i) for i in Inspection.objects.filter(driver=actor(request))]


@router.get("/inspections/{inspection_id}", response={200: InspectionOut, **ERRORS})
def inspection_detail(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    return inspection_out(_inspection(request, inspection_id))


@router.patch("/inspections/{inspection_id}", response={200: InspectionOut, **ERRORS})
def inspection_patch(
    request: HttpRequest, inspection_id: int, payload: InspectionPatch
) -> dict[str, Any]:
    """Marks on the car outline, energy %, odometer, cleanliness, comment."""
    inspection = _inspection(request, inspection_id)
    data = provided(payload)
    return inspection_out(inspection_update(actor=actor(request), inspection=inspection, data=data))


@router.post("/inspections/{inspection_id}/photos", response={201: PhotoOut, **ERRORS})
def inspection_photo_post(
    request: HttpRequest, inspection_id: int, file: File[UploadedFile], angle: str = "other"
) -> Status[Photo]:
    """A photo of one angle (``?angle=front``): JPEG, PNG or WebP, 5 MiB at most."""
    inspection = _inspection(request, inspection_id)
    return Status(
        201,
        inspection_photo_add(actor=actor(request), inspection=inspection, angle=angle, upload=file),
    )


@router.get("/inspections/{inspection_id}/photos/{photo_id}", response={200: None, **ERRORS})
def inspection_photo_get(request: HttpRequest, inspection_id: int, photo_id: int) -> FileResponse:
    return photo_response(photo_of(_inspection(request, inspection_id), photo_id))


@router.post("/inspections/{inspection_id}/submit", response={200: InspectionOut, **ERRORS})
def inspection_submit_post(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    inspection = _inspection(request, inspection_id)
    return inspection_out(inspection_submit(actor=actor(request), inspection=inspection))


# Incidents


@router.post("/vehicles/{vehicle_id}/incidents", response={201: IncidentOut, **ERRORS})
def incident_post(request: HttpRequest, vehicle_id: int, payload: IncidentIn) -> Status[Any]:
    """Report an incident about the vehicle of your trip (during it or a few
    days after), or, as a manager, about any vehicle of the organisation."""
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    booking = None
    if payload.booking_id is not None:
        booking = _booking(request, payload.booking_id)
    incident = incident_report(
        actor=actor(request),
        vehicle=vehicle,
        kind=payload.kind,
        description=payload.description,
        booking=booking,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    return Status(201, incident_out(incident))


@router.get("/me/incidents", response=list[IncidentOut])
@paginate(PageNumberPagination)
def my_incidents(request: HttpRequest) -> list[dict[str, Any]]:
    return [incident_out(i) for i in Incident.objects.filter(reporter=actor(request))]


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **ERRORS})
def incident_detail(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    return incident_out(_incident(request, incident_id))


@router.post("/incidents/{incident_id}/photos", response={201: PhotoOut, **ERRORS})
def incident_photo_post(
    request: HttpRequest, incident_id: int, file: File[UploadedFile]
) -> Status[Photo]:
    incident = _incident(request, incident_id)
    return Status(201, incident_photo_add(actor=actor(request), incident=incident, upload=file))


@router.get("/incidents/{incident_id}/photos/{photo_id}", response={200: None, **ERRORS})
def incident_photo_get(request: HttpRequest, incident_id: int, photo_id: int) -> FileResponse:
    return photo_response(incident_photo_of(_incident(request, incident_id), photo_id))


@router.post("/incidents/{incident_id}/acknowledge", response={200: IncidentOut, **ERRORS})
def incident_acknowledge_post(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    incident = _incident(request, incident_id)
    return incident_out(incident_acknowledge(actor=actor(request), incident=incident))


@router.post("/incidents/{incident_id}/resolve", response={200: IncidentOut, **ERRORS})
def incident_resolve_post(
    request: HttpRequest, incident_id: int, payload: ResolveIn
) -> dict[str, Any]:
    incident = _incident(request, incident_id)
    resolved = incident_resolve(
        actor=actor(request), incident=incident, resolution=payload.resolution
    )
    return incident_out(resolved)


@router.post("/incidents/{incident_id}/charge", response={200: IncidentOut, **ERRORS})
def incident_charge_post(
    request: HttpRequest, incident_id: int, payload: ExcessIn
) -> dict[str, Any]:
    """Bill the damage excess to the driver of the incident's booking, once."""
    incident = _incident(request, incident_id)
    charged = incident_charge_excess(
        actor=actor(request), incident=incident, amount=payload.amount, label=payload.label
    )
    return incident_out(charged)


@router.post("/inspections/{inspection_id}/charge", response={200: InspectionOut, **ERRORS})
def inspection_charge_post(
    request: HttpRequest, inspection_id: int, payload: ExcessIn
) -> dict[str, Any]:
    """Bill the damage excess for new damage found at a check-out, once."""
    inspection = _inspection(request, inspection_id)
    charged = inspection_charge_excess(
        actor=actor(request), inspection=inspection, amount=payload.amount, label=payload.label
    )
    return inspection_out(charged)


# Managers


@router.get("/organisations/{org_id}/inspections", response={200: list[InspectionOut], **ERRORS})
@paginate(PageNumberPagination)
def organisation_inspections(
    request: HttpRequest,
    org_id: int,
    vehicle_id: int | None = None,
    kind: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    inspections: QuerySet[Inspection] = Inspection.objects.filter(organisation=org)
    filters = {"vehicle_id": vehicle_id, "kind": kind, "state": state}
    inspections = inspections.filter(**{k: v for k, v in filters.items() if v is not None})
    return [inspection_out(i) for i in inspections.prefetch_related("photos")]


@router.get("/organisations/{org_id}/incidents", response={200: list[IncidentOut], **ERRORS})
@paginate(PageNumberPagination)
def organisation_incidents(
    request: HttpRequest, org_id: int, state: str | None = None, vehicle_id: int | None = None
) -> list[dict[str, Any]]:
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    incidents: QuerySet[Incident] = Incident.objects.filter(organisation=org)
    if state is not None:
        incidents = incidents.filter(state=state)
    if vehicle_id is not None:
        incidents = incidents.filter(vehicle_id=vehicle_id)
    return [incident_out(i) for i in incidents.prefetch_related("photos")]


@router.get(
    "/vehicles/{vehicle_id}/damage-history", response={200: list[HistoryEntryOut], **ERRORS}
)
def vehicle_damage_history(request: HttpRequest, vehicle_id: int) -> list[dict[str, Any]]:
    """Marks of the submitted inspections and damage reports, newest first;
    each mark says whether it was new (see docs/inspections.md)."""
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    require_manager_of_organisation(actor(request), vehicle.organisation)
    return damage_history(vehicle)
