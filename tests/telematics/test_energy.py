from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.core import clock
from flotte.fleet.models import Vehicle
from flotte.telematics.energy import expected_range_km, low_energy_sweep
from flotte.telematics.models import VehicleState
from tests import factories as f
from tests.booking.test_services import NOW, book, set_param
from tests.conftest import Tenant
from tests.telematics.messages import FakeBox, send


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def reported(tenant: Tenant, vehicle: Vehicle, pct: float, **state: Any) -> None:
    """The vehicle's box reports this charge (range 300 km when full)."""
    box = vehicle.box if hasattr(vehicle, "box") else None
    if box is None:
        box = f.BoxFactory(organisation=tenant.organisation, vehicle=vehicle)
    fake = FakeBox(box.box_id)
    send(fake.telemetry(pct=pct, **state))


def spare(tenant: Tenant) -> Vehicle:
    vehicle = f.VehicleFactory(organisation=tenant.organisation, home_station=tenant.station)
    vehicle.communities.add(tenant.community)
    return vehicle


def test_a_booking_whose_vehicle_will_not_cover_the_trip_moves_to_one_that_will(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    drained, charged = spare(alice), spare(alice)
    reported(alice, alice.vehicle, pct=10)  # about 30 km left
    reported(alice, drained, pct=12)
    reported(alice, charged, pct=90)
    booking = book(alice, start=0.5, end=3, declared_km=100)
    with django_capture_on_commit_callbacks(execute=True):
        assert low_energy_sweep() == 1
    booking.refresh_from_db()
    assert booking.vehicle == charged
    transfer = Transfer.objects.get(booking=booking)
    assert transfer.reason == Transfer.Reason.LOW_ENERGY
    assert low_energy_sweep() == 0  # moved once, and the new vehicle covers it


def test_enough_energy_with_the_range_margin_keeps_the_booking(alice: Tenant) -> None:
    reported(alice, alice.vehicle, pct=45)  # the box says 135 km
    booking = book(alice, start=0.5, end=3, declared_km=100)
    assert low_energy_sweep() == 0
    set_param(alice, "booking_range_margin_pct", 50)  # now 150 km are needed
    spare(alice)
    assert low_energy_sweep() == 1
    booking.refresh_from_db()
    assert booking.vehicle != alice.vehicle


def test_a_charging_electric_car_is_credited_with_the_charge_until_the_start(
    alice: Tenant,
) -> None:
    vehicle = alice.vehicle
    state_at = NOW + dt.timedelta(hours=2)
    reported(alice, vehicle, pct=10, charging=True)
    state = VehicleState.objects.get(vehicle=vehicle)
    # 15 %/h without a battery size: 10 % now, 40 % two hours later.
    assert expected_range_km(vehicle, state, state_at, NOW) == pytest.approx(120)
    vehicle.battery_kwh = 37
    assert expected_range_km(vehicle, state, state_at, NOW) == pytest.approx(
        300 * (10 + 2 * 7.4 / 37 * 100) / 100
    )


def test_only_bookings_within_the_look_ahead_window_move(alice: Tenant) -> None:
    reported(alice, alice.vehicle, pct=5)
    spare(alice)
    booking = book(alice, start=2, end=4, declared_km=100)
    assert low_energy_sweep() == 0
    set_param(alice, "transfer_lookahead_min", 180)
    assert low_energy_sweep() == 1
    booking.refresh_from_db()
    assert booking.vehicle != alice.vehicle


def test_without_a_vehicle_charged_enough_the_manager_is_alerted(alice: Tenant) -> None:
    reported(alice, alice.vehicle, pct=5)
    reported(alice, spare(alice), pct=6)
    booking = book(alice, start=0.5, end=2, declared_km=80)
    assert low_energy_sweep() == 1
    booking.refresh_from_db()
    assert booking.vehicle == alice.vehicle
    assert ManagerAlert.objects.filter(booking=booking, kind="transfer_failed").exists()
    assert Transfer.objects.get(booking=booking).to_vehicle is None
    assert Booking.objects.get(pk=booking.pk).state == Booking.State.CONFIRMED
