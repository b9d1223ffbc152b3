"""Commands to the boxes, vehicle state, digital keys, trips and what the
gateway rejected."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.selectors import managed_community_ids, require_manager_of_organisation
from flotte.api.common import actor, get_or_404, organisation
from flotte.api.schemas import (
    BookingEndIn,
    BookingOut,
    CommandIn,
    CommandOut,
    DigitalKeyOut,
    ErrorOut,
    PrivateModeIn,
    RejectedMessageOut,
    RejectedSummaryOut,
    TripOut,
    VehicleStateOut,
)
from flotte.booking.models import Booking
from flotte.fleet.selectors import vehicles_visible_to
from flotte.telematics.commands import command_for_actor, command_issue
from flotte.telematics.keys import digital_key_issue
from flotte.telematics.models import Command, Trip
from flotte.telematics.selectors import rejected_messages, rejected_summary, vehicle_state_for
from flotte.telematics.trips import booking_close_trip, private_mode_set

router = Router(tags=["telematics"])


def _bookings(request: HttpRequest) -> QuerySet[Booking]:
    user = actor(request)
    return Booking.objects.filter(Q(member=user) | Q(community_id__in=managed_community_ids(user)))


@router.post(
    "/vehicles/{vehicle_id}/commands",
    response={202: CommandOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def command_post(request: HttpRequest, vehicle_id: int, payload: CommandIn) -> Status[Command]:
    """Send a command to the vehicle's box. Members may unlock and lock the
    vehicle of their current booking; managers send any command. The answer
    comes back in the command's state (poll ``GET /commands/{id}``)."""
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    return Status(202, command_issue(actor=actor(request), vehicle=vehicle, kind=payload.kind))


@router.get("/commands/{command_id}", response={200: CommandOut, 404: ErrorOut})
def command_detail(request: HttpRequest, command_id: str) -> Command:
    return command_for_actor(actor(request), command_id)


@router.get(
    "/organisations/{org_id}/commands",
    response={200: list[CommandOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def command_list(
    request: HttpRequest, org_id: int, vehicle_id: int | None = None, open_only: bool = False
) -> QuerySet[Command]:
    """The commands sent to the organisation's boxes, newest first."""
    org = organisation(org_id)
    require_manager_of_organisation(actor(request), org)
    commands = Command.objects.filter(organisation=org)
    if vehicle_id is not None:
        commands = commands.filter(vehicle_id=vehicle_id)
    return commands.filter(state__in=Command.OPEN) if open_only else commands


@router.get(
    "/vehicles/{vehicle_id}/state",
    response={200: VehicleStateOut, 403: ErrorOut, 404: ErrorOut},
)
def vehicle_state(request: HttpRequest, vehicle_id: int) -> dict[str, Any]:
    """The latest state the box reported, each field with its time."""
    vehicle = get_or_404(vehicles_visible_to(actor(request)), "vehicle", pk=vehicle_id)
    return vehicle_state_for(actor(request), vehicle)


@router.post(
    "/bookings/{booking_id}/key",
    response={201: DigitalKeyOut, 404: ErrorOut, 409: ErrorOut},
)
def booking_key(request: HttpRequest, booking_id: int) -> Status[dict[str, Any]]:
    """A digital key for the phone: the box checks it offline."""
    booking = get_or_404(
        Booking.objects.filter(member=actor(request)).select_related("community__organisation"),
        "booking",
        pk=booking_id,
    )
    key, token = digital_key_issue(actor=actor(request), booking=booking)
    return Status(
        201,
        {
            "key_id": key.key_id,
            "token": token,
            "box_id": key.box.box_id,
            "not_before": key.not_before,
            "not_after": key.not_after,
        },
    )


@router.post(
    "/bookings/{booking_id}/end",
    response={200: BookingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def booking_end_post(request: HttpRequest, booking_id: int, payload: BookingEndIn) -> Booking:
    """End the trip. With a box, the vehicle must be back at its station,
    ignition off, doors closed and key present, and the km come from the
    odometer; without one, say the km driven."""
    booking = get_or_404(_bookings(request), "booking", pk=booking_id)
    return booking_close_trip(actor=actor(request), booking=booking, km=payload.km)


@router.get("/bookings/{booking_id}/trip", response={200: TripOut, 404: ErrorOut})
def booking_trip(request: HttpRequest, booking_id: int) -> Trip:
    booking = get_or_404(_bookings(request), "booking", pk=booking_id)
    return get_or_404(Trip.objects.filter(booking=booking), "trip")


@router.post(
    "/bookings/{booking_id}/private-mode",
    response={200: TripOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def booking_private_mode(request: HttpRequest, booking_id: int, payload: PrivateModeIn) -> Trip:
    """Hide the positions of a private trip while driving; only the switch
    times are kept."""
    booking = get_or_404(_bookings(request), "booking", pk=booking_id)
    return private_mode_set(actor=actor(request), booking=booking, on=payload.on)


@router.get("/operator/rejected-messages", response={200: list[RejectedMessageOut], 403: ErrorOut})
@paginate(PageNumberPagination)
def rejected_list(request: HttpRequest, reason: str | None = None) -> QuerySet[Any]:
    """Box messages the gateway refused, newest first (operator only)."""
    rows = rejected_messages(actor(request))
    return rows.filter(reason=reason) if reason else rows


@router.get(
    "/operator/rejected-messages/summary", response={200: RejectedSummaryOut, 403: ErrorOut}
)
def rejected_counts(request: HttpRequest) -> dict[str, Any]:
    return rejected_summary(actor(request))
