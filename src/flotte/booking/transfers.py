"""Automatic transfers: when a booking's vehicle will not be there (late
previous driver, out of service), the booking moves to an equivalent free
vehicle at the same station and its driver is told; when none is free, the
manager is alerted with the alternatives elsewhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from flotte.accounts.models import Membership, User
from flotte.accounts.parameters import ParamContext
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.booking import params
from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.booking.rules import blocked_until
from flotte.booking.services import (
    Offer,
    access_changed,
    assign,
    bookable_vehicles,
    conflicting,
    covering,
    free_vehicles,
    lock_vehicle,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.fleet.models import Vehicle
from flotte.notify import hooks


def _candidates(booking: Booking, membership: Membership) -> list[Vehicle]:
    """Free vehicles the member may use that can make the declared trip,
    other than the booked one."""
    vehicles = list(
        bookable_vehicles(membership).exclude(pk=booking.vehicle_id).select_related("home_station")
    )
    return free_vehicles(
        covering(vehicles, booking.community, booking.declared_km),
        booking.community,
        booking.start,
        booking.end,
        ignoring=booking,
    )


def _equivalent(booking: Booking, vehicle: Vehicle) -> bool:
    """Same station, and at least the seats of the booked vehicle; licence-free
    and licensed cars are not interchangeable."""
    booked = booking.vehicle
    return (
        vehicle.home_station_id == booked.home_station_id
        and vehicle.seats >= booked.seats
        and vehicle.requires_licence == booked.requires_licence
    )


@transaction.atomic
def booking_transfer(
    *,
    booking: Booking,
    reason: str,
    actor: User | None = None,
    suitable: Callable[[list[Vehicle]], list[Vehicle]] | None = None,
) -> Transfer:
    """Move a confirmed booking to an equivalent free vehicle, or alert the
    manager with the alternatives when there is none. ``suitable`` narrows
    the candidates further (those with energy enough for the trip, say)."""
    booking = (
        Booking.objects.select_for_update()
        .select_related("vehicle", "community__organisation")
        .get(pk=booking.pk)
    )
    membership = (
        Membership.objects.filter(user_id=booking.member_id, community=booking.community)
        .select_related("group", "community__organisation")
        .first()
    )
    candidates = _candidates(booking, membership) if membership else []
    if suitable is not None:
        candidates = suitable(candidates)
    equivalent = [v for v in candidates if _equivalent(booking, v)]
    chosen = assign([Offer(v, None, None) for v in equivalent], booking.community)
    transfer = Transfer(
        organisation=booking.organisation,
        booking=booking,
        from_vehicle=booking.vehicle,
        reason=reason,
        created_at=clock.now(),
        actor=actor,
    )
    if chosen:
        target = chosen[0].vehicle
        lock_vehicle(target.pk)
        transfer.to_vehicle = target
        booking.vehicle = target
        booking.blocked_until = blocked_until(target, booking.community, booking.end)
        booking.sequence += 1
        booking.save(update_fields=["vehicle", "blocked_until", "sequence"])
        transfer.save()
        audit(
            "booking.transferred",
            booking,
            actor=actor,
            data={"reason": reason, "from": transfer.from_vehicle_id, "to": target.pk},
        )
        access_changed(transfer.from_vehicle_id, target.pk)
        hooks.booking_transferred(transfer)
        return transfer
    transfer.save()
    ManagerAlert.objects.get_or_create(
        booking=booking,
        kind=ManagerAlert.Kind.TRANSFER_FAILED,
        defaults={
            "organisation": booking.organisation,
            "message": f"No equivalent vehicle is free for booking {booking.pk} "
            f"({Transfer.Reason(reason).label})",
            "alternatives": [
                {"vehicle_id": v.pk, "plate": v.plate, "station_id": v.home_station_id}
                for v in candidates
            ],
            "created_at": clock.now(),
        },
    )
    audit(
        "booking.transfer_failed",
        booking,
        actor=actor,
        data={"reason": reason, "alternatives": [v.pk for v in candidates]},
    )
    return transfer


def vehicle_bulk_transfer(
    *, actor: User, vehicle: Vehicle, reason: str = "out_of_service"
) -> list[Transfer]:
    """Move every upcoming booking of a vehicle (taken out of service...)."""
    require_manager_of_organisation(actor, vehicle.organisation)
    upcoming = Booking.objects.filter(
        vehicle=vehicle, state=Booking.State.CONFIRMED, end__gt=clock.now()
    ).order_by("start")
    return [booking_transfer(booking=booking, reason=reason, actor=actor) for booking in upcoming]


def late_return_sweep() -> int:
    """For each trip past its end and grace period: alert the manager once,
    extend it when the next slot is free, and move the next booking of the
    vehicle starting within the look-ahead window. Returns how many trips
    are late."""
    now = clock.now()
    late = 0
    started = Booking.objects.filter(state=Booking.State.STARTED, end__lt=now).select_related(
        "community__organisation", "vehicle"
    )
    for booking in started:
        context = ParamContext(booking.community.organisation, booking.community)
        grace = dt.timedelta(minutes=context.value(params.LATE_GRACE.key))
        if now < booking.end + grace:
            continue
        late += 1
        with transaction.atomic():
            _, alerted = ManagerAlert.objects.get_or_create(
                booking=booking,
                kind=ManagerAlert.Kind.LATE_RETURN,
                defaults={
                    "organisation": booking.organisation,
                    "created_at": now,
                    "message": f"{booking.vehicle.plate} is not back: booking "
                    f"{booking.pk} ended at {booking.end:%H:%M} UTC",
                },
            )
        lookahead = dt.timedelta(minutes=context.value(params.TRANSFER_LOOKAHEAD.key))
        following = Booking.objects.filter(
            vehicle=booking.vehicle,
            state=Booking.State.CONFIRMED,
            start__gte=booking.start,
            start__lt=now + lookahead,
        ).exclude(pk=booking.pk)
        if alerted:
            with transaction.atomic():
                hooks.vehicle_late_driver(booking, waiting=following.exists())
        for next_booking in following:
            if not Transfer.objects.filter(
                booking=next_booking, reason=Transfer.Reason.LATE_RETURN
            ).exists():
                moved = booking_transfer(booking=next_booking, reason=Transfer.Reason.LATE_RETURN)
                if not moved.succeeded:
                    with transaction.atomic():
                        hooks.vehicle_late_waiting(next_booking)
        _extend_if_free(booking, context, now)
    return late


def _extend_if_free(booking: Booking, context: ParamContext, now: dt.datetime) -> None:
    minutes = context.value(params.LATE_EXTENSION.key)
    if not minutes:
        return
    new_end = now + dt.timedelta(minutes=minutes)
    with transaction.atomic():
        lock_vehicle(booking.vehicle_id)
        until = blocked_until(booking.vehicle, booking.community, new_end)
        if conflicting([booking.vehicle_id], booking.start, until).exclude(pk=booking.pk).exists():
            return
        Booking.objects.filter(pk=booking.pk, state=Booking.State.STARTED).update(
            end=new_end, blocked_until=until, sequence=booking.sequence + 1
        )
        audit("booking.extended_late", booking, data={"end": new_end.isoformat()})
        access_changed(booking.vehicle_id)


@transaction.atomic
def alert_resolve(*, actor: User, alert: ManagerAlert) -> ManagerAlert:
    require_manager_of_organisation(actor, alert.organisation)
    if alert.resolved_at is None:
        alert.resolved_at = clock.now()
        alert.save(update_fields=["resolved_at"])
        audit("alert.resolved", alert, actor=actor)
    return alert
