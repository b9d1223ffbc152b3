"""The carpooling routes: offer, search, ask, accept or decline, cancel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flotte.accounts.parameters import param_set
from flotte.carpool.models import CarpoolOffer
from tests.carpool.conftest import TOWN_HALL, a_booking, member_of
from tests.conftest import Api, Tenant


def offer(tenant: Tenant, **body: Any) -> Any:
    booking = a_booking(tenant)
    payload = {
        "seats": 2,
        "destination": "Mairie",
        "destination_latitude": str(TOWN_HALL[0]),
        "destination_longitude": str(TOWN_HALL[1]),
        "note": "Départ à l'heure",
        **body,
    }
    return Api(tenant.member).post(f"bookings/{booking.pk}/carpool", payload)


def test_a_driver_offers_seats_and_a_member_finds_asks_and_is_accepted(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key="carpool_contribution_per_km",
        value="0.50",
        organisation=alice.organisation,
    )
    response = offer(alice)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["seats_free"], created["trip_km"], created["contribution"]) == (2, 1, "0.50")
    rider = member_of(alice, "rider-alice@example.org")
    query = urlencode(
        {
            "origin_station_id": alice.station.pk,
            "destination_latitude": str(TOWN_HALL[0]),
            "destination_longitude": str(TOWN_HALL[1]),
            "start": created["departure_at"],
            "end": created["departure_at"][:11] + "23:00:00+00:00",
        }
    )
    found = Api(rider).get(f"communities/{alice.community.slug}/carpool/trips?{query}")
    assert found.status_code == 200, found.content
    [match] = found.json()
    assert match["offer"]["id"] == created["id"]
    assert match["offer"]["requests"] == []
    asked = Api(rider).post(f"carpool/offers/{created['id']}/requests", {"message": "Merci"})
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    assert Api(rider).post(f"carpool/requests/{request_id}/accept").status_code == 403
    accepted = Api(alice.member).post(f"carpool/requests/{request_id}/accept")
    assert accepted.json()["state"] == "accepted"
    detail = Api(alice.member).get(f"carpool/offers/{created['id']}").json()
    assert detail["seats_free"] == 1
    assert [r["message"] for r in detail["requests"]] == ["Merci"]


def test_too_many_seats_is_a_clear_error(alice: Tenant) -> None:
    response = offer(alice, seats=alice.vehicle.seats)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_seats"


def test_another_organisation_can_neither_see_nor_ask(alice: Tenant, bob: Tenant) -> None:
    offer_id = offer(alice).json()["id"]
    assert Api(bob.member).get(f"carpool/offers/{offer_id}").status_code == 404
    asked = Api(bob.member).post(f"carpool/offers/{offer_id}/requests", {})
    assert asked.status_code == 404
    assert not CarpoolOffer.objects.get(pk=offer_id).requests.exists()


def test_the_driver_cancels_and_the_offer_is_gone_from_the_search(alice: Tenant) -> None:
    offer_id = offer(alice).json()["id"]
    response = Api(alice.member).post(f"carpool/offers/{offer_id}/cancel")
    assert response.json()["state"] == "cancelled"
    again = Api(alice.member).post(f"carpool/offers/{offer_id}/cancel")
    assert again.status_code == 409


def test_a_member_sees_the_trips_they_offer_and_those_they_asked_to_join(
    alice: Tenant, bob: Tenant
) -> None:
    offer_id = offer(alice).json()["id"]
    rider = member_of(alice, "rider-alice@example.org")
    Api(rider).post(f"carpool/offers/{offer_id}/requests", {"message": "Merci"})
    mine = Api(alice.member).get("me/carpool").json()
    assert [o["id"] for o in mine["offers"]] == [offer_id]
    assert mine["offers"][0]["requests"][0]["message"] == "Merci"
    asked = Api(rider).get("me/carpool").json()
    assert [(r["state"], r["offer"]["id"]) for r in asked["requests"]] == [("pending", offer_id)]
    assert asked["requests"][0]["offer"]["requests"] == []  # the driver's view only
    assert Api(bob.member).get("me/carpool").json() == {"offers": [], "requests": []}
