from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flotte.accounts.models import User
from flotte.accounts.parameters import param_set
from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.services import booking_cancel
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.carpool.selectors import carpool_figures, contribution_of, trip_km
from flotte.carpool.services import (
    carpool_offer_cancel,
    carpool_offer_create,
    carpool_request_accept,
    carpool_request_create,
    carpool_request_decline,
    seats_free,
)
from flotte.core import clock
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.notify.models import Notification
from tests import factories as f
from tests.carpool.conftest import TOWN_HALL, a_booking, an_offer, member_of
from tests.conftest import Tenant


def events_of(user: User) -> list[str]:
    return sorted(set(Notification.objects.filter(user=user).values_list("event", flat=True)))


def test_a_driver_offers_the_free_seats_of_their_booking(alice: Tenant) -> None:
    offer = an_offer(alice, seats=3, note="Coffre plein")
    assert offer.is_open
    assert offer.origin_station == alice.vehicle.home_station
    assert offer.departure_at == offer.booking.start
    assert offer.note == "Coffre plein"


def test_the_driver_keeps_a_seat(alice: Tenant) -> None:
    alice.vehicle.seats = 4
    alice.vehicle.save()
    booking = a_booking(alice)
    with pytest.raises(ValidationFailed) as error:
        an_offer(alice, booking=booking, seats=4)
    assert error.value.code == "too_many_seats"
    assert an_offer(alice, booking=booking, seats=3).seats == 3


def test_only_the_bookings_driver_offers_its_seats(alice: Tenant, passenger: User) -> None:
    booking = a_booking(alice)
    with pytest.raises(PermissionDenied):
        carpool_offer_create(
            driver=passenger,
            booking=booking,
            seats=1,
            destination="Mairie",
            destination_latitude=TOWN_HALL[0],
            destination_longitude=TOWN_HALL[1],
        )


def test_a_destination_station_gives_its_name_and_coordinates(alice: Tenant) -> None:
    town = f.StationFactory(
        organisation=alice.organisation, name="Hôtel de ville", latitude=Decimal("44.75")
    )
    offer = an_offer(
        alice,
        destination="",
        destination_station=town,
        destination_latitude=None,
        destination_longitude=None,
    )
    assert (offer.destination, offer.destination_latitude) == ("Hôtel de ville", Decimal("44.75"))


def test_a_station_of_another_organisation_is_no_destination(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        an_offer(alice, destination_station=bob.station)


def test_times_stay_within_the_booking(alice: Tenant) -> None:
    booking = a_booking(alice)
    with pytest.raises(ValidationFailed):
        an_offer(alice, booking=booking, departure_at=booking.start - dt.timedelta(minutes=5))
    with pytest.raises(ValidationFailed):
        an_offer(alice, booking=booking, return_at=booking.end + dt.timedelta(minutes=5))


def test_a_booking_is_offered_once(alice: Tenant) -> None:
    offer = an_offer(alice)
    with pytest.raises(Conflict):
        an_offer(alice, booking=offer.booking)


def test_asking_tells_the_driver(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    request = carpool_request_create(passenger=passenger, offer=offer, message="Devant la gare")
    assert request.state == CarpoolRequest.State.PENDING
    assert events_of(alice.member) == ["booking_confirmed", "carpool_request_received"]


def test_a_member_of_another_organisation_cannot_ask(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        carpool_request_create(passenger=bob.member, offer=an_offer(alice))


def test_the_driver_cannot_ask_to_join_their_own_trip(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        carpool_request_create(passenger=alice.member, offer=an_offer(alice))


def test_one_live_request_per_passenger(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    carpool_request_create(passenger=passenger, offer=offer)
    with pytest.raises(Conflict):
        carpool_request_create(passenger=passenger, offer=offer)


def test_accepting_and_declining_tell_the_passenger(alice: Tenant, passenger: User) -> None:
    other = member_of(alice, "other-alice@example.org")
    offer = an_offer(alice)
    taken = carpool_request_accept(
        actor=alice.member, request=carpool_request_create(passenger=passenger, offer=offer)
    )
    left = carpool_request_decline(
        actor=alice.member, request=carpool_request_create(passenger=other, offer=offer)
    )
    assert (taken.state, left.state) == ("accepted", "declined")
    assert "carpool_request_accepted" in events_of(passenger)
    assert "carpool_request_declined" in events_of(other)
    assert seats_free(offer) == 1


def test_only_the_driver_answers(alice: Tenant, passenger: User) -> None:
    request = carpool_request_create(passenger=passenger, offer=an_offer(alice))
    with pytest.raises(PermissionDenied):
        carpool_request_accept(actor=passenger, request=request)


def test_seats_never_exceed_the_offer(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice, seats=1)
    others = [member_of(alice, f"p{i}-alice@example.org") for i in range(2)]
    first, second = [carpool_request_create(passenger=p, offer=offer) for p in others]
    carpool_request_accept(actor=alice.member, request=first)
    with pytest.raises(Conflict) as error:
        carpool_request_accept(actor=alice.member, request=second)
    assert error.value.code == "no_seat_free"
    with pytest.raises(Conflict):
        carpool_request_create(passenger=passenger, offer=offer)
    assert CarpoolRequest.objects.filter(offer=offer, state="accepted").count() == 1


def test_cancelling_the_booking_cancels_the_offer_and_tells_passengers(
    alice: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    carpool_request_accept(
        actor=alice.member, request=carpool_request_create(passenger=passenger, offer=offer)
    )
    booking_cancel(actor=alice.member, booking=offer.booking)
    offer.refresh_from_db()
    assert offer.state == CarpoolOffer.State.CANCELLED
    assert offer.requests.get().state == CarpoolRequest.State.CANCELLED
    assert "carpool_offer_cancelled" in events_of(passenger)


def test_the_driver_cancels_the_offer(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    carpool_request_create(passenger=passenger, offer=offer)
    with pytest.raises(PermissionDenied):
        carpool_offer_cancel(actor=passenger, offer=offer)
    carpool_offer_cancel(actor=alice.member, offer=offer)
    assert "carpool_offer_cancelled" in events_of(passenger)
    offer.booking.refresh_from_db()
    assert offer.booking.state == "confirmed"  # the booking itself stays


def test_trip_km_is_the_straight_line_then_the_recorded_km(alice: Tenant) -> None:
    one_way = an_offer(alice)
    assert trip_km(one_way) == 1
    booking = a_booking(alice, start=one_way.booking.end + dt.timedelta(hours=2))
    both_ways = an_offer(alice, booking=booking, return_at=booking.start + dt.timedelta(hours=2))
    assert trip_km(both_ways) == 3
    both_ways.booking.actual_km = 17
    assert trip_km(both_ways) == 17


def test_cost_sharing_shows_only_with_a_contribution_per_km(alice: Tenant) -> None:
    offer = an_offer(alice)
    offer.booking.actual_km = 23
    assert contribution_of(offer) is None
    param_set(
        actor=alice.manager,
        key="carpool_contribution_per_km",
        value="0.12",
        organisation=alice.organisation,
    )
    assert contribution_of(offer) == Decimal("2.76")


def test_shared_trips_are_counted_with_passengers_and_km(alice: Tenant, bob: Tenant) -> None:
    alice.box.vehicle = None  # the trip starts by hand
    alice.box.save()
    now = clock.now()
    booking = a_booking(alice, start=now.replace(second=0, microsecond=0) + dt.timedelta(minutes=5))
    offer = an_offer(alice, booking=booking, seats=3)
    riders = [member_of(alice, f"r{i}-alice@example.org") for i in range(3)]
    requests = [carpool_request_create(passenger=r, offer=offer, seats=1) for r in riders]
    carpool_request_accept(actor=alice.member, request=requests[0])
    carpool_request_accept(actor=alice.member, request=requests[1])
    carpool_request_decline(actor=alice.member, request=requests[2])
    window = (now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    assert carpool_figures(alice.organisation, *window).passengers == 0  # not driven yet
    booking_start(actor=alice.member, booking=booking)
    booking_end(actor=alice.member, booking=booking, km=40)
    figures = carpool_figures(alice.organisation, *window)
    assert (figures.trips, figures.passengers, figures.km_shared) == (1, 2, 80)
    assert carpool_figures(bob.organisation, *window).trips == 0


def test_the_statistics_count_the_shared_trips_per_booking(alice: Tenant) -> None:
    from flotte.stats.carpool import shared_rides

    alice.box.vehicle = None
    alice.box.save()
    now = clock.now()
    booking = a_booking(alice, start=now.replace(second=0, microsecond=0) + dt.timedelta(minutes=5))
    offer = an_offer(alice, booking=booking, seats=2)
    rider = member_of(alice, "rider-alice@example.org")
    carpool_request_accept(
        actor=alice.member, request=carpool_request_create(passenger=rider, offer=offer, seats=2)
    )
    booking_start(actor=alice.member, booking=booking)
    booking_end(actor=alice.member, booking=booking, km=25)
    rides = shared_rides(alice.organisation.pk, now, now + dt.timedelta(days=1))
    assert rides[booking.pk].passengers == 2
    assert rides[booking.pk].passenger_km == 50.0
