"""Will the vehicle have energy enough for its next trip? Upcoming bookings
move to an equivalent vehicle when the latest state says no."""

from __future__ import annotations

import datetime as dt
from functools import partial

from flotte.accounts.parameters import ParamContext
from flotte.booking import params as booking_params
from flotte.booking.models import Booking, Transfer
from flotte.booking.transfers import booking_transfer
from flotte.core import clock
from flotte.fleet.models import Vehicle
from flotte.telematics.models import VehicleState

# A typical AC wallbox (7.4 kW) when the battery size is unknown: 15 %/h.
WALLBOX_KW = 7.4
DEFAULT_CHARGE_PCT_PER_HOUR = 15.0


def expected_range_km(
    vehicle: Vehicle, state: VehicleState | None, at: dt.datetime, now: dt.datetime
) -> float | None:
    """The range the vehicle should have at ``at``: the box's estimate, or
    the share of the nominal range, plus what charging adds by then. None
    when the box has not reported any energy."""
    if state is None or state.energy_pct is None:
        return None
    pct = state.energy_pct
    if state.charging and vehicle.energy == Vehicle.Energy.ELECTRIC:
        per_hour = (
            WALLBOX_KW / float(vehicle.battery_kwh) * 100
            if vehicle.battery_kwh
            else DEFAULT_CHARGE_PCT_PER_HOUR
        )
        hours = max((at - now).total_seconds() / 3600, 0)
        pct = min(100.0, pct + per_hour * hours)
    if state.range_km is not None and state.energy_pct > 0 and pct == state.energy_pct:
        return state.range_km
    return vehicle.range_km * pct / 100


def low_energy_sweep() -> int:
    """Move the confirmed bookings starting within the look-ahead window
    whose vehicle will not cover the declared distance (with the range
    margin) to one that will; returns how many bookings were at risk."""
    now = clock.now()
    at_risk = 0
    upcoming = (
        Booking.objects.filter(
            state=Booking.State.CONFIRMED,
            declared_km__gt=0,
            start__gte=now,
            start__lt=now + dt.timedelta(hours=24),
        )
        .exclude(transfers__reason=Transfer.Reason.LOW_ENERGY)
        .select_related("vehicle", "community__organisation")
    )
    for booking in upcoming:
        context = ParamContext(booking.community.organisation, booking.community)
        values = context.for_vehicle(booking.vehicle).values(
            booking_params.TRANSFER_LOOKAHEAD.key, booking_params.RANGE_MARGIN.key
        )
        if booking.start >= now + dt.timedelta(
            minutes=values[booking_params.TRANSFER_LOOKAHEAD.key]
        ):
            continue
        needed = booking.declared_km * (1 + values[booking_params.RANGE_MARGIN.key] / 100)
        if _able([booking.vehicle], needed_km=needed, at=booking.start, now=now):
            continue
        at_risk += 1
        booking_transfer(
            booking=booking,
            reason=Transfer.Reason.LOW_ENERGY,
            suitable=partial(_able, needed_km=needed, at=booking.start, now=now),
        )
    return at_risk


def _able(
    candidates: list[Vehicle], *, needed_km: float, at: dt.datetime, now: dt.datetime
) -> list[Vehicle]:
    """The vehicles whose expected range covers the trip, their states read
    in one query. A vehicle whose box has not reported is given the benefit
    of the doubt."""
    states = VehicleState.objects.in_bulk([v.pk for v in candidates])
    able = []
    for vehicle in candidates:
        expected = expected_range_km(vehicle, states.get(vehicle.pk), at, now)
        if expected is None or expected >= needed_km:
            able.append(vehicle)
    return able
