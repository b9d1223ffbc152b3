from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from flotte.accounts.parameters import param_set
from flotte.booking.models import Booking
from flotte.stats.fleet_size import fleet_advice, not_served, peak
from flotte.stats.models import FailedSearch
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import END, START, T0, make_booking

H = dt.timedelta(hours=1)


def window(start_h: int, hours: int) -> tuple[dt.datetime, dt.datetime]:
    return (T0 + start_h * H, T0 + (start_h + hours) * H)


def test_overlapping_requests_need_one_vehicle_each() -> None:
    asks = [window(0, 2), window(1, 2), window(1, 1)]
    assert [not_served(asks, n) for n in (3, 2, 1, 0)] == [0, 1, 2, 3]


def test_a_vehicle_free_at_the_start_serves_the_next_request() -> None:
    assert not_served([window(0, 2), window(2, 2), window(4, 1)], 1) == 0


def test_first_come_first_served_a_long_early_request_keeps_its_vehicle() -> None:
    # Replayed as members book: the day-long request, first, keeps the
    # vehicle, and the two short ones after it are not served.
    asks = [window(0, 10), window(1, 1), window(3, 1)]
    assert not_served(asks, 1) == 2


requests = st.lists(
    st.tuples(st.integers(0, 48), st.integers(1, 8)).map(lambda t: window(*t)), max_size=30
)


@given(requests, st.integers(0, 10))
def test_more_vehicles_never_serve_fewer_requests(asks: list[Any], vehicles: int) -> None:
    assert not_served(asks, vehicles + 1) <= not_served(asks, vehicles)


@given(requests)
def test_one_vehicle_per_request_serves_them_all(asks: list[Any]) -> None:
    assert not_served(asks, len(asks)) == 0
    assert not_served(asks, 0) == len(asks)


@given(requests)
def test_as_many_vehicles_as_the_peak_serve_everything_one_fewer_do_not(asks: list[Any]) -> None:
    seconds = [(s.timestamp(), e.timestamp()) for s, e in asks]
    most = peak(seconds)
    assert not_served(seconds, most) == 0
    if most:
        assert not_served(seconds, most - 1) > 0


def add_vehicles(tenant: Tenant, count: int) -> list[Any]:
    return [
        f.VehicleFactory(organisation=tenant.organisation, home_station=tenant.station)
        for _ in range(count)
    ]


def test_advice_replays_each_station_for_fewer_and_more_vehicles(alice: Tenant) -> None:
    vehicles = [alice.vehicle, *add_vehicles(alice, 2)]
    for day in range(3):
        make_booking(alice, start=T0 + dt.timedelta(days=day), vehicle=vehicles[0])
        make_booking(alice, start=T0 + dt.timedelta(days=day), vehicle=vehicles[1])
    advice = fleet_advice(alice.organisation, START, END)
    (station,) = advice["stations"]
    assert station["vehicles"] == 3
    curve = {p["vehicles"]: p["not_served"] for p in station["curve"]}
    assert curve == {5: 0, 4: 0, 3: 0, 2: 0, 1: 3, 0: 6}
    assert station["advised_vehicles"] == 2
    assert (advice["vehicles"], advice["advised_vehicles"], advice["change_pct"]) == (3, 2, -33.3)


def test_cancelled_bookings_are_not_demand(alice: Tenant) -> None:
    make_booking(alice, state=Booking.State.CANCELLED)
    (station,) = fleet_advice(alice.organisation, START, END)["stations"]
    assert station["requests"] == 0


def test_buffers_are_replayed_with_the_bookings(alice: Tenant) -> None:
    make_booking(alice, start=T0, hours=2, buffer_minutes=30)
    make_booking(alice, start=T0 + 2 * H, hours=1, vehicle=add_vehicles(alice, 1)[0])
    (station,) = fleet_advice(alice.organisation, START, END)["stations"]
    curve = {p["vehicles"]: p["not_served"] for p in station["curve"]}
    assert curve[1] == 1


def test_failed_searches_at_a_station_are_demand_the_fleet_missed(alice: Tenant) -> None:
    make_booking(alice)
    FailedSearch.objects.create(
        organisation=alice.organisation,
        community=alice.community,
        station=alice.station,
        start=T0,
        end=T0 + H,
        searched_at=T0 - H,
    )
    (station,) = fleet_advice(alice.organisation, START, END)["stations"]
    curve = {p["vehicles"]: p["not_served"] for p in station["curve"]}
    assert (station["requests"], station["failed_searches"]) == (2, 1)
    assert (curve[1], curve[2]) == (1, 0)
    assert station["advised_vehicles"] == 2


def test_the_tolerance_parameter_accepts_some_requests_not_served(alice: Tenant) -> None:
    second = add_vehicles(alice, 1)[0]
    for day in range(10):
        make_booking(alice, start=T0 + dt.timedelta(days=day))
    make_booking(alice, vehicle=second)  # overlaps the first day's
    assert fleet_advice(alice.organisation, START, END)["advised_vehicles"] == 2
    param_set(
        actor=None,
        key="stats_fleet_advice_tolerance_pct",
        value=10,
        organisation=alice.organisation,
    )
    assert fleet_advice(alice.organisation, START, END)["advised_vehicles"] == 1


def test_the_extra_vehicles_parameter_extends_the_curve(alice: Tenant) -> None:
    param_set(
        actor=None,
        key="stats_fleet_advice_extra_vehicles",
        value=5,
        organisation=alice.organisation,
    )
    (station,) = fleet_advice(alice.organisation, START, END)["stations"]
    assert station["curve"][0]["vehicles"] == 6
