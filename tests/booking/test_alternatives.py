from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking import params
from flotte.booking.alternatives import booking_alternatives
from flotte.booking.services import availability
from flotte.core import clock
from flotte.fleet.models import Station, Vehicle
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def station_with_car(tenant: Tenant, name: str, km_north: float) -> tuple[Station, Vehicle]:
    """A station about ``km_north`` km north of the tenant's, with one car."""
    station = f.StationFactory(
        organisation=tenant.organisation,
        name=name,
        latitude=tenant.station.latitude + Decimal(str(round(km_north / 111.2, 6))),
        longitude=tenant.station.longitude,
    )
    station.communities.add(tenant.community)
    vehicle = f.VehicleFactory(organisation=tenant.organisation, home_station=station)
    vehicle.communities.add(tenant.community)
    return station, vehicle


def search(tenant: Tenant, start: float, end: float, **extra: Any) -> Any:
    return booking_alternatives(
        member=tenant.member,
        community=tenant.community,
        start=hours(start),
        end=hours(end),
        **extra,
    )


def test_other_stations_free_at_the_same_time_come_nearest_first(alice: Tenant) -> None:
    far, far_car = station_with_car(alice, "Far", 9)
    near, near_car = station_with_car(alice, "Near", 2)
    book(alice, 2, 4)
    found = search(alice, 2, 4, station_ids=[alice.station.pk])
    same_time = [a for a in found if not a.shift]
    assert [a.station for a in same_time] == [near, far]
    assert [a.offer.vehicle for a in same_time] == [near_car, far_car]
    assert 1_500 < same_time[0].distance_m < 2_500
    assert all((a.start, a.end) == (hours(2), hours(4)) for a in same_time)


def test_nearby_times_at_the_station_asked_are_free_and_allowed(alice: Tenant) -> None:
    book(alice, 2, 4)
    found = search(alice, 2, 4, station_ids=[alice.station.pk])
    # 1 h either way overlaps; 2 h either way meets the buffers (15 min
    # plus 30 min of charging); 3 h earlier is in the past.
    assert [a.shift for a in found] == [dt.timedelta(hours=3), dt.timedelta(hours=24)]
    for alternative in found:
        assert alternative.station == alice.station
        free = availability(
            member=alice.member,
            community=alice.community,
            start=alternative.start,
            end=alternative.end,
            station_ids=[alice.station.pk],
        )
        assert alternative.offer.vehicle in [o.vehicle for o in free]


def test_times_past_the_horizon_are_not_offered(alice: Tenant) -> None:
    set_param(alice, params.HORIZON.key, 1)
    book(alice, 20, 22)
    found = search(alice, 20, 22)
    assert found and all(a.start <= NOW + dt.timedelta(days=1) for a in found)
    assert dt.timedelta(hours=24) not in [a.shift for a in found]


def test_alternatives_never_offer_another_organisations_cars(alice: Tenant, bob: Tenant) -> None:
    bob.station.latitude, bob.station.longitude = alice.station.latitude, alice.station.longitude
    bob.station.save()
    book(alice, 2, 4)
    found = search(alice, 2, 4, station_ids=[alice.station.pk])
    assert bob.vehicle not in [a.offer.vehicle for a in found]
    assert found  # the times nearby at Alice's own station
