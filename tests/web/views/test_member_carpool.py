"""Carpooling in the member app: offer the free seats of a booking, search
trips, ask to join, accept or decline; each refusal on its form, nothing
changed, and nothing of another member's or organisation's reachable."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from flotte.accounts.models import User
from flotte.accounts.parameters import param_set
from flotte.booking.models import Booking
from flotte.booking.services import booking_create
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.carpool.services import carpool_request_create
from tests import factories as f
from tests.carpool.conftest import TOWN_HALL, a_booking, an_offer, member_of
from tests.conftest import Tenant

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def field(at: dt.datetime) -> str:
    """A time as a datetime-local field in Paris sends it."""
    return at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def base(tenant: Tenant) -> str:
    return f"/c/{tenant.community.slug}/carpool/"


def offer_url(tenant: Tenant, booking: Booking) -> str:
    return f"{base(tenant)}bookings/{booking.pk}/offer/"


def offer_data(**extra: Any) -> dict[str, Any]:
    return {
        "seats": "2",
        "destination": "Mairie",
        "destination_latitude": str(TOWN_HALL[0]),
        "destination_longitude": str(TOWN_HALL[1]),
        "note": "Départ devant la gare",
        **extra,
    }


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def driver(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.member)
    return english(client)


@pytest.fixture
def passenger(alice: Tenant) -> User:
    return member_of(alice, "passenger-alice@example.org")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return english(client)


# Offering seats


def test_the_booking_page_and_the_menu_lead_to_carpooling(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    page = driver.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert offer_url(alice, booking) in page
    assert f'href="{base(alice)}"' in page


def test_a_driver_offers_the_free_seats_of_a_booking(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    form = driver.get(offer_url(alice, booking))
    assert form.status_code == 200
    assert f'value="{field(booking.start)}"' in form.content.decode()  # the booking's start
    response = driver.post(offer_url(alice, booking), offer_data())
    offer = CarpoolOffer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{base(alice)}offers/{offer.pk}/"
    assert (offer.booking, offer.driver, offer.seats) == (booking, alice.member, 2)
    assert offer.departure_at == booking.start and offer.destination == "Mairie"
    page = driver.get(response["Location"]).content.decode()
    assert "Mairie" in page and "2 of 2 seats free" in page and "No one has asked yet" in page


def test_a_station_may_be_the_destination(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    town_hall = f.StationFactory(
        organisation=alice.organisation,
        name="Hôtel de ville",
        latitude=TOWN_HALL[0],
        longitude=TOWN_HALL[1],
    )
    data = offer_data(destination="", destination_latitude="", destination_longitude="")
    response = driver.post(offer_url(alice, booking), {**data, "destination_station": town_hall.pk})
    assert response.status_code == 302
    offer = CarpoolOffer.objects.get()
    assert offer.destination_station == town_hall and offer.destination == "Hôtel de ville"


def test_more_seats_than_the_vehicle_has_are_refused_on_the_form(
    alice: Tenant, driver: Client
) -> None:
    booking = a_booking(alice)
    assert alice.vehicle.seats == 5
    page = driver.post(offer_url(alice, booking), offer_data(seats="5"))
    assert page.status_code == 400
    [error] = page.context["form"].errors["seats"]
    assert "at most 4 seats" in error
    assert not CarpoolOffer.objects.exists()


def test_another_members_booking_cannot_be_offered(
    alice: Tenant, passenger: User, driver: Client
) -> None:
    theirs = a_booking(alice, member=passenger)
    assert driver.get(offer_url(alice, theirs)).status_code == 404
    assert driver.post(offer_url(alice, theirs), offer_data()).status_code == 404
    assert not CarpoolOffer.objects.exists()


def test_bad_input_shows_on_the_fields_and_changes_nothing(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    page = driver.post(
        offer_url(alice, booking),
        offer_data(seats="plenty", destination_longitude="", departure_at="tomorrow"),
    )
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert {"seats", "destination_longitude", "departure_at"} <= set(errors)
    assert not CarpoolOffer.objects.exists()


def test_a_departure_outside_the_booking_is_refused_on_its_field(
    alice: Tenant, driver: Client
) -> None:
    booking = a_booking(alice)
    late = booking.end + dt.timedelta(hours=1)
    page = driver.post(offer_url(alice, booking), offer_data(departure_at=field(late)))
    assert page.status_code == 400
    assert page.context["form"].errors["departure_at"] == [
        "The departure is within the booking's time."
    ]
    assert not CarpoolOffer.objects.exists()


def test_a_destination_without_its_coordinates_is_refused(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    data = offer_data(destination_latitude="", destination_longitude="")
    page = driver.post(offer_url(alice, booking), data)
    assert page.status_code == 400 and "destination" in page.context["form"].errors
    assert not CarpoolOffer.objects.exists()


def test_a_booking_offered_already_opens_its_offer(alice: Tenant, driver: Client) -> None:
    offer = an_offer(alice)
    response = driver.get(offer_url(alice, offer.booking))
    assert response.status_code == 302
    assert response["Location"] == f"{base(alice)}offers/{offer.pk}/"


def test_a_cancelled_booking_cannot_be_offered(alice: Tenant, driver: Client) -> None:
    booking = a_booking(alice)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.CANCELLED)
    page = driver.post(offer_url(alice, booking), offer_data())
    assert page.status_code == 400
    assert page.context["form"].non_field_errors() == [
        "Only a booking to come or under way can be offered."
    ]
    assert not CarpoolOffer.objects.exists()


# Searching


def search_data(offer: CarpoolOffer, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {
        "origin_station": tenant.station.pk,
        "destination_latitude": str(TOWN_HALL[0]),
        "destination_longitude": str(TOWN_HALL[1]),
        "start": field(offer.departure_at - dt.timedelta(minutes=30)),
        "end": field(offer.departure_at + dt.timedelta(hours=2)),
        **extra,
    }


def test_a_member_finds_trips_ranked_by_detour_and_time(alice: Tenant, passenger: User) -> None:
    near = an_offer(alice)
    other_driver = member_of(alice, "second-driver@example.org")
    second_vehicle = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    second_vehicle.communities.add(alice.community)
    start = near.departure_at + dt.timedelta(hours=1)
    later = an_offer(
        alice,
        booking=booking_create(
            actor=other_driver,
            member=other_driver,
            community=alice.community,
            vehicle=second_vehicle,
            start=start,
            end=start + dt.timedelta(hours=3),
            purpose="collège",
        ),
        destination="Collège",
    )
    page = logged_in(passenger).get(base(alice), search_data(near, alice))
    assert page.status_code == 200
    assert [m.offer for m in page.context["matches"]] == [near, later]
    text = page.content.decode()
    assert "2 trips found, best first" in text
    assert text.index(f"offers/{near.pk}/") < text.index(f"offers/{later.pk}/")
    assert "Cost share" not in text


def test_the_cost_share_shows_when_the_organisation_sets_one(
    alice: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    param_set(
        actor=alice.manager,
        key="carpool_contribution_per_km",
        value="0.10",
        organisation=alice.organisation,
    )
    client = logged_in(passenger)
    [match] = client.get(base(alice), search_data(offer, alice)).context["matches"]
    assert match.contribution is not None
    page = client.get(base(alice), search_data(offer, alice)).content.decode()
    assert f"Cost share: €{match.contribution}" in page
    detail = client.get(f"{base(alice)}offers/{offer.pk}/").content.decode()
    assert "per passenger, given to the driver" in detail


def test_a_search_without_a_destination_or_with_an_end_before_its_start_is_refused(
    alice: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    client = logged_in(passenger)
    data = search_data(offer, alice, destination_latitude="", destination_longitude="")
    page = client.get(base(alice), data)
    assert page.status_code == 400 and "destination_station" in page.context["form"].errors
    assert page.context["matches"] is None
    backwards = search_data(offer, alice, end=field(offer.departure_at - dt.timedelta(hours=2)))
    assert "end" in client.get(base(alice), backwards).context["form"].errors


def test_a_station_of_another_organisation_is_not_a_choice(
    alice: Tenant, bob: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    page = logged_in(passenger).get(
        base(alice), search_data(offer, alice, origin_station=bob.station.pk)
    )
    assert page.status_code == 400 and "origin_station" in page.context["form"].errors


# Asking, accepting, declining


def test_a_member_asks_the_driver_accepts_and_both_see_it(
    alice: Tenant, passenger: User, driver: Client
) -> None:
    offer = an_offer(alice)
    rider = logged_in(passenger)
    detail = f"{base(alice)}offers/{offer.pk}/"
    response = rider.post(f"{detail}ask/", {"seats": "1", "message": "Devant la gare ?"})
    assert response.status_code == 302 and response["Location"] == detail
    request = CarpoolRequest.objects.get()
    assert (request.passenger, request.state, request.seats) == (passenger, "pending", 1)
    assert "waiting for the driver" in rider.get(detail).content.decode()
    assert "waiting for the driver" in rider.get(base(alice)).content.decode()

    seen = driver.get(detail)
    assert "Devant la gare ?" in seen.content.decode()
    assert f"requests/{request.pk}/accept/" in seen.content.decode()
    assert driver.post(f"{base(alice)}requests/{request.pk}/accept/").status_code == 302
    request.refresh_from_db()
    assert request.state == "accepted"
    assert "1 of 2 seats free" in driver.get(detail).content.decode()
    assert "accepted" in rider.get(detail).content.decode()
    assert "accepted" in driver.get(base(alice)).content.decode()


def test_the_driver_declines_and_the_passenger_sees_it(
    alice: Tenant, passenger: User, driver: Client
) -> None:
    offer = an_offer(alice)
    request = carpool_request_create(passenger=passenger, offer=offer)
    assert driver.post(f"{base(alice)}requests/{request.pk}/decline/").status_code == 302
    request.refresh_from_db()
    assert request.state == "declined"
    page = logged_in(passenger).get(f"{base(alice)}offers/{offer.pk}/").content.decode()
    assert "declined" in page


def test_more_seats_than_free_are_refused_on_the_ask_form(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice, seats=1)
    page = logged_in(passenger).post(f"{base(alice)}offers/{offer.pk}/ask/", {"seats": "2"})
    assert page.status_code == 400
    assert page.context["ask_form"].errors["seats"] == ["Not enough seats are free on this trip."]
    assert not CarpoolRequest.objects.exists()


def test_asking_twice_is_refused_and_keeps_one_request(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    client = logged_in(passenger)
    client.post(f"{base(alice)}offers/{offer.pk}/ask/", {"seats": "1"})
    page = client.post(f"{base(alice)}offers/{offer.pk}/ask/", {"seats": "1"})
    assert page.status_code == 400
    assert "You asked to join this trip already." in page.content.decode()
    assert CarpoolRequest.objects.count() == 1


def test_the_driver_cannot_ask_to_join_their_own_trip(alice: Tenant, driver: Client) -> None:
    offer = an_offer(alice)
    assert driver.get(f"{base(alice)}offers/{offer.pk}/").context["ask_form"] is None
    page = driver.post(f"{base(alice)}offers/{offer.pk}/ask/", {"seats": "1"})
    assert page.status_code == 400 and "You are the driver of this trip." in page.content.decode()
    assert not CarpoolRequest.objects.exists()


def test_a_bad_seat_count_is_a_form_error(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    page = logged_in(passenger).post(f"{base(alice)}offers/{offer.pk}/ask/", {"seats": "0"})
    assert page.status_code == 400 and "seats" in page.context["ask_form"].errors
    assert not CarpoolRequest.objects.exists()


def test_only_the_driver_answers_a_request(alice: Tenant, passenger: User) -> None:
    offer = an_offer(alice)
    request = carpool_request_create(passenger=passenger, offer=offer)
    rider = logged_in(passenger)
    assert rider.post(f"{base(alice)}requests/{request.pk}/accept/").status_code == 404
    assert rider.get(f"{base(alice)}offers/{offer.pk}/").context["mine"] is False
    request.refresh_from_db()
    assert request.state == "pending"


def test_the_driver_withdraws_the_offer_and_the_booking_stays(
    alice: Tenant, passenger: User, driver: Client
) -> None:
    offer = an_offer(alice)
    request = carpool_request_create(passenger=passenger, offer=offer)
    assert logged_in(passenger).post(f"{base(alice)}offers/{offer.pk}/cancel/").status_code == 302
    offer.refresh_from_db()
    assert offer.state == "open"  # a passenger cannot withdraw it
    assert driver.post(f"{base(alice)}offers/{offer.pk}/cancel/").status_code == 302
    offer.refresh_from_db()
    request.refresh_from_db()
    assert offer.state == "cancelled" and request.state == "cancelled"
    assert Booking.objects.get(pk=offer.booking_id).state == Booking.State.CONFIRMED
    page = logged_in(passenger).get(f"{base(alice)}offers/{offer.pk}/")
    assert "cancelled" in page.content.decode() and page.context["ask_form"] is None


# Other organisations


def test_another_organisation_reaches_none_of_it(
    alice: Tenant, bob: Tenant, passenger: User
) -> None:
    offer = an_offer(alice)
    request = carpool_request_create(passenger=passenger, offer=offer)
    outsider = logged_in(bob.member)
    for url in (
        base(alice),
        f"{base(alice)}offers/{offer.pk}/",
        offer_url(alice, offer.booking),
    ):
        assert outsider.get(url).status_code == 404, url
    # Through their own community's address, Alice's rows are not found either.
    assert outsider.get(f"{base(bob)}offers/{offer.pk}/").status_code == 404
    assert outsider.post(f"{base(bob)}offers/{offer.pk}/ask/", {"seats": "1"}).status_code == 404
    assert outsider.post(f"{base(bob)}requests/{request.pk}/decline/").status_code == 404
    assert outsider.post(f"{base(bob)}offers/{offer.pk}/cancel/").status_code == 404
    assert outsider.post(offer_url(bob, offer.booking), offer_data()).status_code == 404
    assert CarpoolRequest.objects.count() == 1 and CarpoolOffer.objects.count() == 1
    request.refresh_from_db()
    assert request.state == "pending"


def test_a_visitor_goes_to_the_login_page(alice: Tenant, client: Client) -> None:
    response = client.get(base(alice))
    assert response.status_code == 302 and "/login/" in response["Location"]
