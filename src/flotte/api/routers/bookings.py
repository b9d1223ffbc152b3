from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.models import User
from flotte.accounts.selectors import managed_community_ids, require_manager_of_organisation
from flotte.api.common import actor, get_or_404, organisation
from flotte.api.routers.communities import visible_community
from flotte.api.schemas import (
    AlertOut,
    BookingIn,
    BookingOut,
    BookingPatch,
    BulkTransferIn,
    CalendarOut,
    ErrorOut,
    OfferOut,
    PlanningQuery,
    TransferOut,
)
from flotte.booking.lifecycle import booking_change, booking_start
from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.booking.services import (
    availability,
    booking_cancel,
    booking_create,
    booking_create_assigned,
    calendar_token_of,
)
from flotte.booking.transfers import alert_resolve as alert_resolve_service
from flotte.booking.transfers import vehicle_bulk_transfer
from flotte.core.errors import PermissionDenied, ValidationFailed
from flotte.fleet.models import Vehicle
from flotte.fleet.selectors import vehicles_visible_to

router = Router(tags=["bookings"])


class SearchQuery(Schema):
    start: dt.datetime
    end: dt.datetime
    station: list[int] = []
    category: str | None = None
    energy: str | None = None
    seats: int | None = None
    km: int = 0
    business_use: bool = False


@router.get(
    "/communities/{slug}/availability",
    response={200: list[OfferOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def search(request: HttpRequest, slug: str, query: Query[SearchQuery]) -> list[dict[str, Any]]:
    """Vehicles free for the whole window, buffers included, with their price.
    ``km`` keeps only vehicles whose range covers the declared trip."""
    community = visible_community(request, slug)
    offers = availability(
        member=actor(request),
        community=community,
        start=query.start,
        end=query.end,
        station_ids=query.station,
        category=query.category,
        energy=query.energy,
        seats=query.seats,
        declared_km=query.km,
        business_use=query.business_use,
    )
    return [
        {
            "vehicle": offer.vehicle,
            "station_id": offer.vehicle.home_station_id,
            "tariff_id": offer.tariff_id,
            "total": offer.quote.total if offer.quote else None,
            "lines": list(offer.quote.lines) if offer.quote else [],
        }
        for offer in offers
    ]


@router.post(
    "/communities/{slug}/bookings",
    response={
        201: BookingOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def booking_post(request: HttpRequest, slug: str, payload: BookingIn) -> Status[Booking]:
    """Book a vehicle, or a station and category and let the platform choose
    (``station_id``, ``category``); managers may book for a member
    (``member_id``). An overlap with another booking is a 409."""
    community = visible_community(request, slug)
    member = actor(request)
    if payload.member_id is not None and payload.member_id != member.pk:
        member = get_or_404(
            User.objects.filter(memberships__community=community), "member", pk=payload.member_id
        )
    fields = payload.dict(exclude={"vehicle_id", "member_id", "station_id", "category"})
    if payload.vehicle_id is None:
        if payload.station_id is None:
            raise ValidationFailed(
                "give a vehicle_id, or a station_id to let the platform choose",
                fields={"vehicle_id": "or station_id"},
            )
        booking = booking_create_assigned(
            actor=actor(request),
            member=member,
            community=community,
            station_id=payload.station_id,
            category=payload.category,
            **fields,
        )
        return Status(201, booking)
    vehicle = get_or_404(
        # Its station goes into the confirmation.
        Vehicle.objects.filter(organisation=community.organisation).select_related("home_station"),
        "vehicle",
        pk=payload.vehicle_id,
    )
    booking = booking_create(
        actor=actor(request), member=member, community=community, vehicle=vehicle, **fields
    )
    return Status(201, booking)


def _visible_bookings(request: HttpRequest) -> QuerySet[Booking]:
    user = actor(request)
    return Booking.objects.filter(Q(member=user) | Q(community_id__in=managed_community_ids(user)))


@router.get("/bookings", response=list[BookingOut])
@paginate(PageNumberPagination)
def booking_list(request: HttpRequest, upcoming: bool = False) -> QuerySet[Booking]:
    """Your own bookings (``upcoming=true``: those not ended yet)."""
    bookings = Booking.objects.filter(member=actor(request))
    if upcoming:
        bookings = bookings.filter(state__in=Booking.BLOCKING)
    return bookings.order_by("-start")


@router.get("/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut})
def booking_detail(request: HttpRequest, booking_id: int) -> Booking:
    return get_or_404(_visible_bookings(request), "booking", pk=booking_id)


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: BookingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def booking_cancel_post(request: HttpRequest, booking_id: int) -> Booking:
    """Cancel; after the deadline before the original start, the fee applies."""
    booking = get_or_404(_visible_bookings(request), "booking", pk=booking_id)
    return booking_cancel(actor=actor(request), booking=booking)


@router.patch(
    "/bookings/{booking_id}",
    response={
        200: BookingOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def booking_patch(request: HttpRequest, booking_id: int, payload: BookingPatch) -> Booking:
    """Extend or shorten (``end``), or change vehicle (``vehicle_id``)."""
    booking = get_or_404(_visible_bookings(request), "booking", pk=booking_id)
    vehicle = None
    if payload.vehicle_id is not None:
        vehicle = get_or_404(
            Vehicle.objects.filter(organisation=booking.organisation_id),
            "vehicle",
            pk=payload.vehicle_id,
        )
    return booking_change(actor=actor(request), booking=booking, end=payload.end, vehicle=vehicle)


@router.post(
    "/bookings/{booking_id}/start",
    response={200: BookingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def booking_start_post(request: HttpRequest, booking_id: int) -> Booking:
    """Start the trip by hand, for a vehicle without a box (with one, the
    trip starts when the member unlocks it)."""
    booking = get_or_404(_visible_bookings(request), "booking", pk=booking_id)
    return booking_start(actor=actor(request), booking=booking)


def _calendar_url(token: str) -> dict[str, str]:
    return {"url": settings.PUBLIC_URL + reverse("web:calendar", kwargs={"token": token})}


@router.get("/me/calendar", response=CalendarOut)
def calendar_url(request: HttpRequest) -> dict[str, str]:
    """The secret address of your bookings' calendar (iCalendar), to add to
    your calendar app."""
    return _calendar_url(calendar_token_of(actor(request)))


@router.post("/me/calendar/reset", response=CalendarOut)
def calendar_reset(request: HttpRequest) -> dict[str, str]:
    """A new calendar address; the old one stops working."""
    return _calendar_url(calendar_token_of(actor(request), reset=True))


@router.get(
    "/organisations/{org_id}/planning",
    response={200: list[BookingOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def planning(request: HttpRequest, org_id: int, query: Query[PlanningQuery]) -> QuerySet[Booking]:
    """The bookings of the communities you manage that overlap a period,
    cancelled ones left out, by vehicle and time."""
    org = organisation(org_id)
    managed = managed_community_ids(actor(request), org.pk)
    if not managed:
        raise PermissionDenied("only managers see the planning")
    if query.end <= query.start or query.end - query.start > dt.timedelta(days=62):
        raise ValidationFailed(
            "a planning covers up to 62 days, ending after it starts",
            fields={"end": "out of range"},
        )
    bookings = Booking.objects.filter(
        community_id__in=managed,
        start__lt=query.end,
        end__gt=query.start,
    ).exclude(state=Booking.State.CANCELLED)
    if query.station is not None:
        bookings = bookings.filter(vehicle__home_station_id=query.station)
    return bookings.order_by("vehicle_id", "start")


@router.post(
    "/vehicles/{vehicle_id}/transfer-bookings",
    response={200: list[TransferOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def bulk_transfer(request: HttpRequest, vehicle_id: int, payload: BulkTransferIn) -> list[Any]:
    """Move every upcoming booking of this vehicle to equivalent free
    vehicles (when it goes out of service); the ones that cannot move raise
    alerts."""
    if payload.reason not in Transfer.Reason.values:
        raise ValidationFailed(f"unknown reason {payload.reason!r}", fields={"reason": "unknown"})
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    return vehicle_bulk_transfer(actor=actor(request), vehicle=vehicle, reason=payload.reason)


@router.get(
    "/organisations/{org_id}/alerts",
    response={200: list[AlertOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def alert_list(request: HttpRequest, org_id: int, open_only: bool = True) -> QuerySet[Any]:
    """What the managers must look at: late returns, bookings that found no
    vehicle to move to."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    alerts = ManagerAlert.objects.filter(organisation=org)
    return alerts.filter(resolved_at=None) if open_only else alerts


@router.post(
    "/organisations/{org_id}/alerts/{alert_id}/resolve",
    response={200: AlertOut, 403: ErrorOut, 404: ErrorOut},
)
def alert_resolve(request: HttpRequest, org_id: int, alert_id: int) -> Any:
    org = organisation(org_id)
    return alert_resolve_service(
        actor=actor(request),
        alert=get_or_404(ManagerAlert.objects.filter(organisation=org), "alert", pk=alert_id),
    )
