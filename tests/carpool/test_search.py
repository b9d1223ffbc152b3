from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flotte.accounts.models import User
from flotte.accounts.parameters import param_set
from flotte.carpool.selectors import carpool_search
from flotte.carpool.services import carpool_request_accept, carpool_request_create
from flotte.core.errors import NotFound
from flotte.fleet.models import Station
from tests import factories as f
from tests.carpool.conftest import TOWN_HALL, a_booking, an_offer, member_of
from tests.conftest import Tenant


def search(
    tenant: Tenant,
    member: User,
    start: dt.datetime,
    *,
    origin: Station | None = None,
    to: tuple[Decimal, Decimal] = TOWN_HALL,
    hours: int = 1,
) -> list:
    return carpool_search(
        member=member,
        community=tenant.community,
        origin_station=origin or tenant.station,
        destination_latitude=to[0],
        destination_longitude=to[1],
        start=start,
        end=start + dt.timedelta(hours=hours),
    )


def test_a_trip_from_a_near_station_to_a_near_destination_is_found(
    alice: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    near = f.StationFactory(organisation=alice.organisation, latitude=Decimal("44.740000"))
    [match] = search(alice, passenger, offer.departure_at, origin=near)
    assert match.offer == offer
    assert match.seats_free == 2
    assert Decimal("0.5") < match.origin_km < Decimal("1")
    assert match.contribution is None


def test_a_far_destination_is_not_found(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    assert search(alice, passenger, offer.departure_at, to=(Decimal("44.9"), Decimal("4.9"))) == []


def test_the_distance_parameter_widens_the_search(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    five_km_away = (Decimal("44.785000"), Decimal("5.055000"))
    assert search(alice, passenger, offer.departure_at, to=five_km_away) == []
    param_set(
        actor=alice.manager,
        key="carpool_max_distance_km",
        value="6",
        organisation=alice.organisation,
        community=alice.community,
    )
    assert len(search(alice, passenger, offer.departure_at, to=five_km_away)) == 1


def test_only_overlapping_times_are_found(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    assert search(alice, passenger, offer.departure_at - dt.timedelta(hours=3), hours=2) == []
    assert len(search(alice, passenger, offer.departure_at - dt.timedelta(hours=1), hours=2)) == 1


def test_a_return_trip_is_found_until_its_return(alice: Tenant, passenger: User) -> None:
    booking = a_booking(alice)
    offer = an_offer(alice, booking=booking, return_at=booking.start + dt.timedelta(hours=3))
    assert len(search(alice, passenger, offer.departure_at + dt.timedelta(hours=2))) == 1


def test_results_are_ranked_by_detour_and_time_difference(alice: Tenant, passenger: User) -> None:
    start = a_booking(alice).start  # that booking leaves exactly when wanted
    driver = member_of(alice, "driver2-alice@example.org")
    second = f.VehicleFactory(
        organisation=alice.organisation, home_station=alice.station, communities=[alice.community]
    )
    from flotte.booking.services import booking_create

    late = booking_create(
        actor=driver,
        member=driver,
        community=alice.community,
        vehicle=second,
        start=start + dt.timedelta(minutes=30),
        end=start + dt.timedelta(hours=3),
        purpose="réunion",
    )
    on_time = an_offer(alice, booking=alice.vehicle.bookings.get())
    half_an_hour_later = an_offer(alice, booking=late)
    matches = search(alice, passenger, start)
    assert [m.offer for m in matches] == [on_time, half_an_hour_later]
    assert matches[1].minutes_apart == 30
    assert matches[1].score - matches[0].score == Decimal("3.0")


def test_a_full_trip_and_ones_own_are_not_found(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice, seats=1)
    assert search(alice, alice.member, offer.departure_at) == []
    rider = member_of(alice, "rider-alice@example.org")
    carpool_request_accept(
        actor=alice.member, request=carpool_request_create(passenger=rider, offer=offer)
    )
    assert search(alice, passenger, offer.departure_at) == []


def test_another_organisation_cannot_search_alices_community(alice: Tenant, bob: Tenant) -> None:
    offer = an_offer(alice)
    with pytest.raises(NotFound):
        search(alice, bob.member, offer.departure_at)


def test_a_trip_whose_booking_is_no_longer_upcoming_is_not_found(
    alice: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    offer.booking.state = "no_show"
    offer.booking.save()
    assert search(alice, passenger, offer.departure_at) == []
