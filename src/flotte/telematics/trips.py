"""Trips: the first unlock inside a booking's window starts one; the driver
ends it, from the app or by badge, once the car is back, parked and shut."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from flotte.accounts.models import User
from flotte.accounts.parameters import param_value
from flotte.booking.lifecycle import (
    booking_end,
    booking_finish,
    booking_locked,
    booking_mark_started,
)
from flotte.booking.models import Booking
from flotte.booking.rules import early_start
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, ValidationFailed
from flotte.core.geo import distance_m
from flotte.fleet.models import Box, Station
from flotte.telematics import params
from flotte.telematics.access import vehicles_access_changed
from flotte.telematics.commands import command_issue
from flotte.telematics.ingest import position_policies
from flotte.telematics.models import Command, PrivateModeSwitch, Telemetry, Trip, VehicleState


def booking_for_unlock(vehicle_id: int, at: dt.datetime, booking_ref: str = "") -> Booking | None:
    """The confirmed booking of this vehicle whose window (from the
    early-start margin) holds ``at``; the box's booking id must agree."""
    candidates = (
        Booking.objects.filter(vehicle_id=vehicle_id, state=Booking.State.CONFIRMED, end__gt=at)
        .select_related("community__organisation")
        .order_by("start")
    )
    if booking_ref:
        if not booking_ref.isdigit():
            return None
        candidates = candidates.filter(pk=int(booking_ref))
    for booking in candidates[:5]:
        if booking.start - early_start(booking.community) <= at:
            return booking
    return None


def _keeps_edges(organisation_id: int) -> bool:
    return position_policies([organisation_id])[organisation_id] != "never"


@transaction.atomic
def trip_start(*, booking: Booking, at: dt.datetime, source: str) -> Trip:
    """Start the trip of a confirmed booking, with the odometer and energy
    of the latest telemetry."""
    booking = booking_locked(booking, None)
    if booking.state != Booking.State.CONFIRMED:
        raise Conflict("the booking has started already", code="started")
    booking_mark_started(booking, at=at, actor=None)
    state = VehicleState.objects.filter(vehicle_id=booking.vehicle_id).first()
    edges = _keeps_edges(booking.organisation_id)
    trip = Trip.objects.create(
        booking=booking,
        organisation_id=booking.organisation_id,
        vehicle_id=booking.vehicle_id,
        started_at=at,
        start_source=source,
        start_odometer_km=state.odometer_km if state else None,
        start_energy_pct=state.energy_pct if state else None,
        start_latitude=state.latitude if state and edges else None,
        start_longitude=state.longitude if state and edges else None,
    )
    audit("trip.started", trip, data={"booking": booking.pk, "source": source})
    return trip


def _start_reading(trip: Trip, field: str) -> float | None:
    """The reading nearest the trip's start: the last one taken before it,
    else the first one after it."""
    readings = Telemetry.objects.filter(
        vehicle_id=trip.vehicle_id, **{f"{field}__isnull": False}
    ).values_list(field, flat=True)
    before = readings.filter(ts__lte=trip.started_at).order_by("-ts").first()
    if before is not None:
        return before
    return readings.filter(ts__gt=trip.started_at).order_by("ts").first()


def _start_readings_if_missing(trip: Trip) -> None:
    """A box may report the unlock before its readings (they come in
    separate batches, or late from its buffer): the trip then starts
    without an odometer or energy, and takes the reading nearest its start."""
    if trip.start_odometer_km is None:
        trip.start_odometer_km = _start_reading(trip, "odometer_km")
    if trip.start_energy_pct is None:
        trip.start_energy_pct = _start_reading(trip, "energy_pct")


@dataclass(frozen=True)
class ReturnCheck:
    refusals: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.refusals


def return_check(
    booking: Booking, state: VehicleState | None, trip_started: dt.datetime | None
) -> ReturnCheck:
    """What stops the trip from ending now, condition by condition."""
    if state is None:
        return ReturnCheck({"state": "the box has not reported the vehicle's state yet"})
    refusals = {}
    if state.ignition is not False:
        refusals["ignition"] = "switch the ignition off"
    if state.doors_closed is not True:
        refusals["doors"] = "close the doors"
    if state.key_present is not True:
        refusals["key"] = "put the key back in its place"
    refusals.update(_return_station_problem(booking, state, trip_started))
    return ReturnCheck(refusals)


def _return_station_problem(
    booking: Booking, state: VehicleState, trip_started: dt.datetime | None
) -> dict[str, str]:
    if not _keeps_edges(booking.organisation_id):
        # The organisation keeps no position at all: the station cannot be
        # checked, and the driver is trusted (see docs/box-protocol.md).
        return {}
    if (
        state.latitude is None
        or state.longitude is None
        or state.position_at is None
        or (trip_started is not None and state.position_at < trip_started)
    ):
        command_issue(actor=None, vehicle=booking.vehicle, kind=Command.Kind.LOCATE)
        return {"position": "the vehicle's position is not known yet: try again in a moment"}
    radius = param_value(
        params.RETURN_RADIUS.key,
        organisation=booking.community.organisation,
        community=booking.community,
    )
    stations = Station.objects.filter(
        Q(pk=booking.vehicle.home_station_id)
        | Q(one_way_returns=True, communities=booking.community, active=True)
    ).distinct()
    nearest = min(
        (
            (distance_m(state.latitude, state.longitude, float(s.latitude), float(s.longitude)), s)
            for s in stations
        ),
        key=lambda pair: pair[0],
        default=None,
    )
    if nearest is None or nearest[0] > radius:
        home = booking.vehicle.home_station
        return {"station": f"bring the vehicle back to {home.name} (within {radius} m)"}
    return {}


def trip_end(*, actor: User | None, booking: Booking, source: str = "app") -> Booking:
    """End the trip when the vehicle is back at an allowed station, ignition
    off, doors closed and key present; then lock and immobilize it and price
    the booking with the km driven. A refusal says which condition failed,
    and is kept in the audit log."""
    ended, check = trip_end_attempt(actor=actor, booking=booking, source=source)
    if ended is None:
        raise ValidationFailed(
            "the trip cannot end yet: " + "; ".join(check.refusals.values()),
            code="end_refused",
            fields=check.refusals,
        )
    return ended


@transaction.atomic
def trip_end_attempt(
    *, actor: User | None, booking: Booking, source: str
) -> tuple[Booking | None, ReturnCheck]:
    """End the trip if the return check passes; the booking, or None and
    the refusals (kept in the audit log)."""
    booking = booking_locked(booking, actor)
    if booking.state != Booking.State.STARTED:
        raise Conflict("only a trip under way can end", code="not_started")
    state = VehicleState.objects.filter(vehicle_id=booking.vehicle_id).first()
    trip = Trip.objects.select_for_update().filter(booking=booking).first()
    check = return_check(booking, state, trip.started_at if trip else booking.started_at)
    if not check.ok:
        audit(
            "trip.end_refused",
            booking,
            actor=actor,
            data={"refusals": check.refusals, "source": source},
        )
        return None, check
    assert state is not None
    now = clock.now()
    if trip is None:  # started by hand before the box was fitted
        trip = Trip(
            booking=booking,
            organisation_id=booking.organisation_id,
            vehicle_id=booking.vehicle_id,
            started_at=booking.started_at or now,
            start_source="manual",
        )
    edges = _keeps_edges(booking.organisation_id)
    _start_readings_if_missing(trip)
    trip.ended_at = now
    trip.end_odometer_km = state.odometer_km
    trip.end_energy_pct = state.energy_pct
    trip.end_latitude = state.latitude if edges else None
    trip.end_longitude = state.longitude if edges else None
    trip.private_mode = False
    trip.save()
    booking_finish(booking, km=trip.km or 0, actor=actor)
    for kind in (Command.Kind.LOCK, Command.Kind.IMMOBILIZE):
        command_issue(actor=None, vehicle=booking.vehicle, kind=kind, booking=booking)
    vehicles_access_changed([booking.vehicle_id])
    audit("trip.ended", trip, actor=actor, data={"km": trip.km, "source": source})
    return booking, check


def booking_close_trip(*, actor: User, booking: Booking, km: int | None) -> Booking:
    """The member or a manager ends a booking: through the box's checks when
    the vehicle has one (the km come from the odometer), by declared km
    otherwise. The check-out inspection may be required first."""
    from flotte.inspections.gates import check_out_gate

    check_out_gate(actor=actor, booking=booking)
    if Box.objects.filter(vehicle_id=booking.vehicle_id).exists():
        return trip_end(actor=actor, booking=booking)
    if km is None:
        raise ValidationFailed("say how many km were driven", fields={"km": "required"})
    return booking_end(actor=actor, booking=booking, km=km)


@transaction.atomic
def private_mode_set(*, actor: User, booking: Booking, on: bool) -> Trip:
    """The driver hides the positions of a private trip; only the switch
    times are kept."""
    booking = booking_locked(booking, actor)
    if actor.pk != booking.member_id:
        raise ValidationFailed("only the driver switches private mode", code="not_driver")
    if booking.use != Booking.Use.PRIVATE:
        raise ValidationFailed("private mode is for private trips", code="business_trip")
    trip = Trip.objects.select_for_update().filter(booking=booking, ended_at=None).first()
    if trip is None:
        raise Conflict("private mode applies to a trip under way", code="no_trip")
    if trip.private_mode != on:
        trip.private_mode = on
        trip.save(update_fields=["private_mode"])
        PrivateModeSwitch.objects.create(trip=trip, on=on, at=clock.now())
        audit("trip.private_mode", trip, actor=actor, data={"on": on})
        from flotte.telematics.tasks import refresh_box_config

        for box_pk in Box.objects.filter(vehicle_id=booking.vehicle_id).values_list(
            "pk", flat=True
        ):
            refresh_box_config.enqueue(box_pk)
    return trip
