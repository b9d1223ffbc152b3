"""What the platform does with a box event: start a trip on the first
unlock, end it on the driver's badge, alert the managers on tampering."""

from __future__ import annotations

import logging

from django.db import transaction

from flotte.accounts.models import User
from flotte.booking.models import Booking, ManagerAlert
from flotte.core import clock
from flotte.core.errors import ServiceError
from flotte.fleet.models import Badge, Vehicle
from flotte.telematics.commands import command_issue
from flotte.telematics.models import BoxEvent, Command, Trip
from flotte.telematics.trips import booking_for_unlock, trip_end_attempt, trip_start

log = logging.getLogger(__name__)

ALERTS = {
    BoxEvent.Type.TAMPER: (ManagerAlert.Kind.TAMPER, "someone tampered with the box of {v}"),
    BoxEvent.Type.CRASH: (ManagerAlert.Kind.CRASH, "the box of {v} reported a crash"),
    BoxEvent.Type.DOOR_OPENED_UNAUTHORIZED: (
        ManagerAlert.Kind.UNAUTHORIZED_DOOR,
        "a door of {v} was opened without access",
    ),
}


def handle_events(box_pk: int) -> int:
    """React to the box's events not handled yet, oldest first; returns how
    many were handled. Concurrent workers skip events another one holds."""
    handled = 0
    while True:
        with transaction.atomic():
            event = (
                BoxEvent.objects.select_for_update(skip_locked=True)
                .filter(box_id=box_pk, handled_at__isnull=True)
                .order_by("ts", "seq")
                .first()
            )
            if event is None:
                return handled
            try:
                with transaction.atomic():
                    outcome = _react(event)
            except ServiceError as error:
                outcome = f"refused: {error.message}"
            event.handled_at = clock.now()
            event.outcome = (event.outcome + " " + outcome).strip()[:200]
            event.save(update_fields=["handled_at", "outcome"])
            handled += 1


def _react(event: BoxEvent) -> str:
    if event.vehicle_id is None:
        return "box not fitted to a vehicle"
    if event.type == BoxEvent.Type.UNLOCKED:
        return _on_unlock(event)
    if event.type == BoxEvent.Type.BADGE:
        return _on_badge(event)
    if event.type == BoxEvent.Type.IMMOBILIZER_RELEASED:
        return _on_immobilizer_released(event)
    if event.type in ALERTS:
        kind, text = ALERTS[BoxEvent.Type(event.type)]
        _alert(event, kind, text)
        return "managers alerted"
    return "recorded"


def _on_unlock(event: BoxEvent) -> str:
    assert event.vehicle_id is not None
    if Trip.objects.filter(vehicle_id=event.vehicle_id, ended_at__isnull=True).exists():
        return "trip under way"
    booking = booking_for_unlock(event.vehicle_id, event.ts, event.booking_ref)
    if booking is None:
        return "no booking starts now"
    trip_start(booking=booking, at=event.ts, source=event.source or "app")
    return f"trip of booking {booking.pk} started"


def _on_badge(event: BoxEvent) -> str:
    """A badge presented during a trip by its driver asks to end it."""
    assert event.vehicle_id is not None and event.organisation_id is not None
    if not event.booking_ref.isdigit():
        return "badge refused by the box"
    booking = (
        Booking.objects.filter(
            pk=int(event.booking_ref), vehicle_id=event.vehicle_id, state=Booking.State.STARTED
        )
        .select_related("member")
        .first()
    )
    if booking is None:
        return "no trip under way for this badge"
    if not Badge.objects.filter(
        organisation_id=event.organisation_id, uid=event.badge_uid, user_id=booking.member_id
    ).exists():
        return "badge of someone else"
    driver: User = booking.member
    from flotte.inspections.gates import check_out_gate

    try:
        check_out_gate(actor=driver, booking=booking)
    except ServiceError as refusal:
        return "end refused: " + refusal.message
    ended, check = trip_end_attempt(actor=driver, booking=booking, source="badge")
    if ended is None:
        return "end refused: " + "; ".join(check.refusals.values())
    return f"trip of booking {booking.pk} ended by badge"


def _on_immobilizer_released(event: BoxEvent) -> str:
    """Outside any valid booking the vehicle stays immobilized, unless a
    manager released it on purpose."""
    assert event.vehicle_id is not None
    if Trip.objects.filter(vehicle_id=event.vehicle_id, ended_at__isnull=True).exists():
        return "trip under way"
    if booking_for_unlock(event.vehicle_id, event.ts) is not None:
        return "inside a booking"
    released_by_manager = Command.objects.filter(
        vehicle_id=event.vehicle_id,
        kind=Command.Kind.RELEASE_IMMOBILIZER,
        requested_by__isnull=False,
        state=Command.State.ACKED,
    ).exists()
    if event.source == "platform" and released_by_manager:
        return "released by a manager"
    vehicle = Vehicle.objects.get(pk=event.vehicle_id)
    command_issue(actor=None, vehicle=vehicle, kind=Command.Kind.IMMOBILIZE)
    _alert(
        event,
        ManagerAlert.Kind.IMMOBILIZER,
        "the immobilizer of {v} was released outside any booking: engaged again",
    )
    return "immobilized again, managers alerted"


def _alert(event: BoxEvent, kind: str, text: str) -> None:
    assert event.vehicle_id is not None
    vehicle = Vehicle.objects.get(pk=event.vehicle_id)
    ManagerAlert.objects.create(
        organisation_id=vehicle.organisation_id,
        kind=kind,
        vehicle=vehicle,
        message=text.format(v=vehicle)[:300],
        created_at=clock.now(),
    )
