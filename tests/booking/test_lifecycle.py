from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking import params
from flotte.booking.lifecycle import booking_change, booking_end, booking_start, no_show_sweep
from flotte.booking.models import Booking
from flotte.booking.services import (
    assign,
    availability,
    booking_create_assigned,
)
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.core.tasks import registered_tasks
from flotte.fleet.models import Box, Vehicle
from flotte.pricing.services import tariff_create
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param, thermal
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _vehicles_without_box(alice: Tenant) -> None:
    """These trips start and end by hand: the vehicles have no box (trips
    of vehicles with a box are in tests/telematics/test_trips.py)."""
    Box.objects.update(vehicle=None)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def at(h: float) -> Any:
    return clock.frozen(hours(h))


def priced(tenant: Tenant) -> None:
    tariff_create(
        actor=tenant.manager,
        community=tenant.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.20"),
    )


def test_a_trip_starts_from_a_little_before_the_booked_time(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    with at(1.5), pytest.raises(ValidationFailed) as error:
        booking_start(actor=alice.member, booking=booking)
    assert error.value.code == "too_early"
    with at(1.76):
        assert booking_start(actor=alice.member, booking=booking).state == "started"
    set_param(alice, params.EARLY_START.key, 60)
    other = book(alice, 5, 6, vehicle=thermal(alice))
    with at(4.1):
        assert booking_start(actor=alice.member, booking=other).state == "started"


def test_someone_else_cannot_start_a_members_trip(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    stranger = f.UserFactory()
    f.MembershipFactory(user=stranger, community=alice.community)
    with at(2), pytest.raises(PermissionDenied):
        booking_start(actor=stranger, booking=booking)


def test_a_trip_that_goes_as_booked_costs_the_quote(alice: Tenant) -> None:
    priced(alice)
    booking = book(alice, 2, 4, declared_km=30)
    with at(2):
        booking_start(actor=alice.member, booking=booking)
    with at(3.9):
        ended = booking_end(actor=alice.member, booking=booking, km=30)
    assert ended.final_total == ended.quoted_total == Decimal("14.00")
    assert ended.late_penalty is None


def test_returning_early_frees_the_rest_of_the_slot(alice: Tenant) -> None:
    booking = book(alice, 2, 6)
    with at(2):
        booking_start(actor=alice.member, booking=booking)
    with at(3):
        ended = booking_end(actor=alice.member, booking=booking, km=5)
    # Electric: 15 + 30 minutes after the actual return.
    assert ended.blocked_until == hours(3.75)


def test_a_late_return_costs_the_penalty_per_started_half_hour_after_the_grace(
    alice: Tenant,
) -> None:
    priced(alice)
    booking = book(alice, 2, 4)
    with at(2):
        booking_start(actor=alice.member, booking=booking)
    with at(4 + 41 / 60):
        ended = booking_end(actor=alice.member, booking=booking, km=0)
    assert ended.late_penalty == Decimal("20.00")  # 41 minutes: two started half hours
    # Time is billed until the actual return: 2 h 41 -> 2 h 45.
    assert ended.final_total == Decimal("11.00") + Decimal("20.00")


def test_the_grace_period_and_penalty_are_parameters(alice: Tenant) -> None:
    set_param(alice, params.LATE_GRACE.key, 45)
    booking = book(alice, 2, 4)
    with at(2):
        booking_start(actor=alice.member, booking=booking)
    with at(4.5):
        assert booking_end(actor=alice.member, booking=booking, km=0).late_penalty is None
    set_param(alice, params.LATE_GRACE.key, 0)
    set_param(alice, params.LATE_PENALTY.key, "7.50")
    other = book(alice, 6, 8, vehicle=thermal(alice))
    with at(6):
        booking_start(actor=alice.member, booking=other)
    with at(8.1):
        assert booking_end(actor=alice.member, booking=other, km=0).late_penalty == Decimal("7.50")


def test_extend_when_the_next_slot_is_free_and_not_otherwise(alice: Tenant) -> None:
    priced(alice)
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    booking = book(alice, 2, 4)
    changed = booking_change(actor=alice.member, booking=booking, end=hours(5))
    assert changed.end == hours(5)
    assert changed.quoted_total == Decimal("12.00")
    assert changed.sequence == 1
    book(alice, 6, 8)
    with pytest.raises(Conflict):
        booking_change(actor=alice.member, booking=changed, end=hours(6))


def test_shorten_and_change_vehicle(alice: Tenant) -> None:
    booking = book(alice, 2, 6)
    shorter = booking_change(actor=alice.member, booking=booking, end=hours(3))
    assert shorter.blocked_until == hours(3.75)
    other = thermal(alice)
    moved = booking_change(actor=alice.member, booking=shorter, vehicle=other)
    assert moved.vehicle == other
    assert moved.blocked_until == hours(3.25)


def test_a_booking_not_started_in_time_becomes_a_no_show(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    with at(2.4):
        assert no_show_sweep() == 0
    with at(2.5):
        assert no_show_sweep() == 1
    booking.refresh_from_db()
    assert booking.state == "no_show"
    # The vehicle is free again.
    with at(2.6):
        assert book(alice, 2.75, 4).state == "confirmed"
    assert registered_tasks()["booking.no_show_sweep"].every == dt.timedelta(minutes=5)


def test_the_no_show_delay_is_a_parameter(alice: Tenant) -> None:
    set_param(alice, params.NO_SHOW_AFTER.key, 90)
    book(alice, 2, 4)
    with at(3):
        assert no_show_sweep() == 0
    with at(3.5):
        assert no_show_sweep() == 1


def test_range_margin_keeps_vehicles_that_cannot_make_the_trip_out(alice: Tenant) -> None:
    Vehicle.objects.filter(pk=alice.vehicle.pk).update(range_km=115)
    found = availability(
        member=alice.member,
        community=alice.community,
        start=hours(2),
        end=hours(4),
        declared_km=100,
    )
    assert found == []
    set_param(alice, params.RANGE_MARGIN.key, 10)
    found = availability(
        member=alice.member,
        community=alice.community,
        start=hours(2),
        end=hours(4),
        declared_km=100,
    )
    assert [o.vehicle for o in found] == [Vehicle.objects.get(pk=alice.vehicle.pk)]


def test_assignment_follows_the_priority_rule(alice: Tenant) -> None:
    petrol = thermal(alice)
    Vehicle.objects.filter(pk=petrol.pk).update(carpool_friendly=True)
    offers = availability(
        member=alice.member, community=alice.community, start=hours(2), end=hours(4)
    )
    assert assign(offers, alice.community)[0].vehicle == alice.vehicle  # electric first
    set_param(alice, params.ASSIGNMENT.key, "carpool_first")
    offers = availability(
        member=alice.member, community=alice.community, start=hours(2), end=hours(4)
    )
    assert assign(offers, alice.community)[0].vehicle.pk == petrol.pk
    set_param(alice, params.ASSIGNMENT.key, "spread_use")
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    book(alice, -0.0, 1, vehicle=petrol)
    offers = availability(
        member=alice.member, community=alice.community, start=hours(2), end=hours(4)
    )
    assert assign(offers, alice.community)[0].vehicle == alice.vehicle


def test_booking_a_station_gets_the_next_vehicle_when_the_first_is_taken(alice: Tenant) -> None:
    petrol = thermal(alice)
    set_param(alice, params.MAX_CONCURRENT.key, 5)

    def by_station() -> Booking:
        return booking_create_assigned(
            actor=alice.member,
            member=alice.member,
            community=alice.community,
            station_id=alice.station.pk,
            category=None,
            start=hours(2),
            end=hours(4),
            purpose="x",
        )

    assert by_station().vehicle == alice.vehicle
    assert by_station().vehicle.pk == petrol.pk
    with pytest.raises(Conflict) as error:
        by_station()
    assert error.value.code == "no_vehicle_free"
    assert Booking.objects.count() == 2
