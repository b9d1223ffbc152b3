"""Positions are erased once older than the organisation's retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.models import AuditEntry
from flotte.telematics import params
from flotte.telematics.models import Telemetry, Trip, VehicleState
from flotte.telematics.privacy import positions_purge
from tests.booking.test_services import NOW, book, set_param
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def located(tenant: Tenant, seq: int, age_days: float) -> Telemetry:
    at = days_ago(age_days)
    return Telemetry.objects.create(
        box=tenant.box,
        organisation=tenant.organisation,
        vehicle=tenant.vehicle,
        seq=seq,
        ts=at,
        received_at=at,
        odometer_km=1000.0 + seq,
        latitude=44.933,
        longitude=4.892,
        accuracy_m=8.0,
    )


def position_of(row: Telemetry) -> tuple[Any, Any, Any]:
    row.refresh_from_db()
    return (row.latitude, row.longitude, row.accuracy_m)


def test_positions_older_than_the_retention_are_erased(alice: Tenant) -> None:
    old, recent = located(alice, 1, 61), located(alice, 2, 59)
    assert positions_purge() == 1
    assert position_of(old) == (None, None, None)
    assert position_of(recent) == (44.933, 4.892, 8.0)


def test_the_rest_of_an_old_message_is_kept(alice: Tenant) -> None:
    old = located(alice, 1, 61)
    positions_purge()
    old.refresh_from_db()
    assert (old.odometer_km, old.ts) == (1001.0, days_ago(61))


def test_the_retention_is_the_organisation_parameter(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, params.POSITION_RETENTION.key, 7)
    alice_row, bob_row = located(alice, 1, 10), located(bob, 1, 10)
    assert positions_purge() == 1
    assert position_of(alice_row) == (None, None, None)
    assert position_of(bob_row) == (44.933, 4.892, 8.0)


def test_a_purge_with_nothing_to_erase_does_nothing(alice: Tenant) -> None:
    recent = located(alice, 1, 1)
    assert positions_purge() == 0
    assert position_of(recent) == (44.933, 4.892, 8.0)
    assert not AuditEntry.objects.filter(action="positions.purged").exists()


def test_the_purge_is_audited_per_organisation(alice: Tenant, bob: Tenant) -> None:
    located(alice, 1, 61)
    located(alice, 2, 70)
    located(bob, 1, 61)
    positions_purge()
    entries = {e.organisation_id: e for e in AuditEntry.objects.filter(action="positions.purged")}
    assert set(entries) == {alice.organisation.pk, bob.organisation.pk}
    entry = entries[alice.organisation.pk]
    assert entry.data["rows"] == 2
    assert entry.data["retention_days"] == 60
    assert entry.data["before"] == days_ago(60).isoformat()
    assert entry.object_id == str(alice.organisation.pk)


def test_an_old_parked_position_in_the_state_is_erased(alice: Tenant, bob: Tenant) -> None:
    for tenant, age in ((alice, 61), (bob, 59)):
        VehicleState.objects.create(
            vehicle=tenant.vehicle,
            organisation=tenant.organisation,
            latitude=44.9,
            longitude=4.8,
            accuracy_m=5.0,
            position_at=days_ago(age),
            odometer_km=500.0,
            odometer_at=days_ago(age),
        )
    assert positions_purge() == 1
    erased = VehicleState.objects.get(vehicle=alice.vehicle)
    assert (erased.latitude, erased.longitude, erased.accuracy_m) == (None, None, None)
    assert erased.odometer_km == 500.0
    assert VehicleState.objects.get(vehicle=bob.vehicle).latitude == 44.9


def test_old_trip_start_and_end_positions_are_erased(alice: Tenant) -> None:
    with clock.frozen(days_ago(62)):
        booking = book(alice, -62 * 24 + 1, -59 * 24)  # a three-day trip
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.ENDED)
    trip = Trip.objects.create(
        booking=booking,
        organisation=alice.organisation,
        vehicle=alice.vehicle,
        started_at=days_ago(62) + dt.timedelta(hours=1),
        start_latitude=44.9,
        start_longitude=4.8,
        start_odometer_km=100.0,
        ended_at=days_ago(59),
        end_latitude=44.95,
        end_longitude=4.85,
        end_odometer_km=180.0,
    )
    assert positions_purge() == 1
    trip.refresh_from_db()
    assert (trip.start_latitude, trip.start_longitude) == (None, None)
    assert (trip.end_latitude, trip.end_longitude) == (44.95, 4.85)
    assert trip.km == 80
