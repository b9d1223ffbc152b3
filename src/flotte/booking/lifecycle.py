"""A booking's life after it is made: start, end, changes, no-shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction

from flotte.accounts.models import Membership, User, UserGroup
from flotte.accounts.parameters import ParamContext
from flotte.accounts.selectors import manages_community
from flotte.billing.tasks import draft_for_booking
from flotte.booking import params
from flotte.booking.models import Booking
from flotte.booking.rules import blocked_until, check_times, early_start
from flotte.booking.services import (
    access_changed,
    bookable_vehicles,
    conflicting,
    lock_vehicle,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.fleet.models import Vehicle
from flotte.notify import hooks
from flotte.pricing.engine import STANDARD_VAT_RATE, Quote, late_return_penalty
from flotte.pricing.services import quote_if_priced


def final_quote(booking: Booking, group: UserGroup | None) -> Quote | None:
    """The price of an ended booking from its actual km and the time booked,
    or used if longer (None without a tariff): what the booking's end
    records and what its invoice lists."""
    assert booking.ended_at is not None
    _, quote = quote_if_priced(
        community=booking.community,
        group=group,
        start=booking.start,
        end=max(booking.end, booking.ended_at),
        km=booking.actual_km or 0,
        business_use=booking.use == Booking.Use.BUSINESS,
    )
    return quote


def _context(booking: Booking) -> tuple[Membership | None, ParamContext]:
    membership = (
        Membership.objects.filter(user_id=booking.member_id, community=booking.community)
        .select_related("group", "community__organisation", "user")
        .first()
    )
    community = booking.community
    return membership, ParamContext(
        community.organisation, community, membership.group if membership else None
    )


def booking_locked(booking: Booking, actor: User | None) -> Booking:
    """The booking, locked for update; the actor (None: the platform) must
    be its member or a manager of its community."""
    locked = (
        Booking.objects.select_for_update()
        .select_related("community__organisation", "vehicle")
        .get(pk=booking.pk)
    )
    if (
        actor is not None
        and actor.pk != locked.member_id
        and not manages_community(actor, locked.community)
    ):
        raise PermissionDenied("only the member or a manager may do this")
    return locked


@transaction.atomic
def booking_start(*, actor: User, booking: Booking) -> Booking:
    """The trip starts (by hand for now; the box will start it on unlock)."""
    booking = booking_locked(booking, actor)
    if booking.state != Booking.State.CONFIRMED:
        raise Conflict(
            f"a {booking.get_state_display()} booking cannot start", code="not_startable"
        )
    now = clock.now()
    early = early_start(booking.community)
    if now < booking.start - early:
        raise ValidationFailed(
            f"the trip can start from {early.seconds // 60} minutes before the booked time",
            code="too_early",
        )
    if now >= booking.end:
        raise ValidationFailed("the booking is over", code="booking_over")
    from flotte.fleet.models import Box

    if Box.objects.filter(vehicle_id=booking.vehicle_id).exists():
        raise Conflict(
            "this vehicle has a box: the trip starts when you unlock it", code="starts_on_unlock"
        )
    return booking_mark_started(booking, at=now, actor=actor)


def booking_mark_started(booking: Booking, *, at: dt.datetime, actor: User | None) -> Booking:
    """Record the start of a locked, confirmed booking (by hand, or on the
    first unlock reported by the box)."""
    booking.state = Booking.State.STARTED
    booking.started_at = at
    booking.save(update_fields=["state", "started_at"])
    audit("booking.started", booking, actor=actor)
    access_changed(booking.vehicle_id)
    return booking


@transaction.atomic
def booking_end(*, actor: User, booking: Booking, km: int) -> Booking:
    """The trip ends: the final price from the actual km and the time booked
    (or used, if longer), plus the late-return penalty past the grace
    period. Returning early frees the rest of the slot."""
    return booking_finish(booking_locked(booking, actor), km=km, actor=actor)


def booking_finish(booking: Booking, *, km: int, actor: User | None) -> Booking:
    """End a locked booking: see :func:`booking_end`."""
    if booking.state != Booking.State.STARTED:
        raise Conflict("only a started booking can end", code="not_started")
    if km < 0:
        raise ValidationFailed("km cannot be negative", fields={"km": "negative"})
    membership, context = _context(booking)
    now = clock.now()
    booking.state = Booking.State.ENDED
    booking.ended_at = now
    booking.actual_km = km
    final = final_quote(booking, membership.group if membership else None)
    total = final.total if final else None
    late_minutes = int((now - booking.end).total_seconds() // 60)
    penalty = late_return_penalty(
        late_minutes,
        grace_minutes=context.value(params.LATE_GRACE.key),
        per_started_half_hour=context.value(params.LATE_PENALTY.key),
        vat_rate=STANDARD_VAT_RATE,
    )
    booking.late_penalty = penalty.amount if penalty else None
    booking.final_total = (
        (total or Decimal("0")) + (penalty.amount if penalty else 0)
        if total is not None or penalty
        else None
    )
    if now < booking.end:
        booking.blocked_until = blocked_until(booking.vehicle, booking.community, now)
    booking.save()
    access_changed(booking.vehicle_id)
    # Invoiced after commit, when the organisation bills (billing_enabled).
    draft_for_booking.enqueue(booking.pk)
    hooks.trip_ended(booking)
    audit(
        "booking.ended",
        booking,
        actor=actor,
        data={
            "km": km,
            "late_minutes": max(late_minutes, 0),
            "final_total": str(booking.final_total),
        },
    )
    return booking


@transaction.atomic
def booking_change(
    *,
    actor: User,
    booking: Booking,
    end: dt.datetime | None = None,
    vehicle: Vehicle | None = None,
) -> Booking:
    """Extend or shorten a booking, or move it to another vehicle; refused
    when the new slot is taken."""
    booking = booking_locked(booking, actor)
    if booking.state not in Booking.BLOCKING:
        raise Conflict(
            f"a {booking.get_state_display()} booking cannot change", code="not_changeable"
        )
    if vehicle is not None and booking.state == Booking.State.STARTED:
        raise Conflict("a started trip keeps its vehicle", code="started")
    membership, _ = _context(booking)
    if membership is None:
        raise NotFound("the member left the community", code="not_member")
    new_end = end or booking.end
    new_vehicle = vehicle or booking.vehicle
    if new_end <= max(booking.start, clock.now()) and booking.state == Booking.State.STARTED:
        raise ValidationFailed("a trip in progress ends in the future", fields={"end": "past"})
    if vehicle is not None and not bookable_vehicles(membership).filter(pk=vehicle.pk).exists():
        raise NotFound(
            "this vehicle cannot be booked in this community", code="vehicle_unavailable"
        )
    if booking.state == Booking.State.CONFIRMED:
        check_times(membership, new_vehicle, max(booking.start, clock.now()), new_end)
    until = blocked_until(new_vehicle, booking.community, new_end)
    lock_vehicle(new_vehicle.pk)
    if conflicting([new_vehicle.pk], booking.start, until).exclude(pk=booking.pk).exists():
        raise Conflict("the vehicle is booked by someone else then", code="vehicle_taken")
    old_vehicle_id = booking.vehicle_id
    before = {"end": booking.end.isoformat(), "vehicle": old_vehicle_id}
    booking.end, booking.vehicle, booking.blocked_until = new_end, new_vehicle, until
    _, q = quote_if_priced(
        community=booking.community,
        group=membership.group,
        start=booking.start,
        end=new_end,
        km=booking.declared_km,
        business_use=booking.use == Booking.Use.BUSINESS,
    )
    if q is not None:
        booking.quoted_total = q.total
    booking.sequence += 1
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError:
        raise Conflict("the vehicle is booked by someone else then", code="vehicle_taken") from None
    audit(
        "booking.changed",
        booking,
        actor=actor,
        data={"before": before, "after": {"end": new_end.isoformat(), "vehicle": new_vehicle.pk}},
    )
    access_changed(old_vehicle_id, new_vehicle.pk)
    hooks.booking_changed(booking)
    return booking


def no_show_sweep() -> int:
    """Bookings not started long enough after their start become no-shows,
    which frees their vehicle. Returns how many."""
    count = 0
    now = clock.now()
    candidates = Booking.objects.filter(
        state=Booking.State.CONFIRMED, start__lt=now
    ).select_related("community__organisation")
    for booking in candidates:
        context = ParamContext(booking.community.organisation, booking.community)
        if now < booking.start + dt.timedelta(minutes=context.value(params.NO_SHOW_AFTER.key)):
            continue
        with transaction.atomic():
            updated = Booking.objects.filter(pk=booking.pk, state=Booking.State.CONFIRMED).update(
                state=Booking.State.NO_SHOW, sequence=booking.sequence + 1
            )
            if updated:
                booking.state = Booking.State.NO_SHOW
                audit("booking.no_show", booking)
                access_changed(booking.vehicle_id)
                draft_for_booking.enqueue(booking.pk)  # billed if the organisation says so
                hooks.booking_no_show(booking)
                count += 1
    return count
