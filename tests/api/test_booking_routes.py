from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flotte.fleet.models import Box
from flotte.pricing.services import tariff_create
from tests import factories as f
from tests.conftest import Api, Tenant

SOON = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)


def window(start_h: int = 0, end_h: int = 2) -> dict[str, str]:
    return {
        "start": (SOON + dt.timedelta(hours=start_h)).isoformat(),
        "end": (SOON + dt.timedelta(hours=end_h)).isoformat(),
    }


def post_booking(tenant: Tenant, user: Any = None, **changes: Any) -> Any:
    body = {"vehicle_id": tenant.vehicle.pk, "purpose": "réunion", **window(), **changes}
    return Api(user or tenant.member).post(f"communities/{tenant.community.slug}/bookings", body)


def test_book_list_get_and_cancel(alice: Tenant) -> None:
    response = post_booking(alice)
    assert response.status_code == 201, response.content
    booking = response.json()
    assert booking["state"] == "confirmed"
    mine = Api(alice.member).get("bookings").json()
    assert [b["id"] for b in mine["items"]] == [booking["id"]]
    assert Api(alice.manager).get(f"bookings/{booking['id']}").status_code == 200
    cancelled = Api(alice.member).post(f"bookings/{booking['id']}/cancel").json()
    assert cancelled["state"] == "cancelled"
    assert Decimal(cancelled["cancellation_fee"]) == Decimal("0.00")


def test_a_taken_slot_is_a_409_with_a_code(alice: Tenant) -> None:
    assert post_booking(alice).status_code == 201
    other = f.UserFactory()
    f.MembershipFactory(
        user=other, community=alice.community, group=alice.member.memberships.get().group
    )
    f.DriverProfileFactory(user=other)
    f.DriverApprovalFactory(organisation=alice.organisation, user=other, status="validated")
    response = post_booking(alice, other, **window(1, 3))
    assert response.status_code == 409
    assert response.json()["code"] == "vehicle_taken"


def test_bad_booking_requests_get_clear_errors(alice: Tenant) -> None:
    assert post_booking(alice, **window(2, 1)).json()["code"] == "bad_times"
    assert post_booking(alice, use="joyride").status_code == 400
    assert post_booking(alice, vehicle_id=999999).status_code == 404
    assert post_booking(alice, start="tomorrow").status_code == 422


def test_a_manager_books_for_a_member(alice: Tenant) -> None:
    response = post_booking(alice, alice.manager, member_id=alice.member.pk)
    assert response.status_code == 201, response.content
    assert response.json()["member_id"] == alice.member.pk
    assert response.json()["booked_by_id"] == alice.manager.pk


def test_search_lists_free_vehicles_with_their_price(alice: Tenant) -> None:
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
    )
    query = urlencode({**window(), "km": 20})
    response = Api(alice.member).get(f"communities/{alice.community.slug}/availability?{query}")
    assert response.status_code == 200, response.content
    offers = response.json()
    assert [o["vehicle"]["plate"] for o in offers] == [alice.vehicle.plate]
    assert Decimal(offers[0]["total"]) == Decimal("8.00")
    post_booking(alice)
    assert (
        Api(alice.member).get(f"communities/{alice.community.slug}/availability?{query}").json()
        == []
    )


def test_book_a_station_and_let_the_platform_choose(alice: Tenant) -> None:
    body = {"station_id": alice.station.pk, "purpose": "réunion", **window()}
    response = Api(alice.member).post(f"communities/{alice.community.slug}/bookings", body)
    assert response.status_code == 201, response.content
    assert response.json()["vehicle_id"] == alice.vehicle.pk
    again = Api(alice.member).post(f"communities/{alice.community.slug}/bookings", body)
    assert again.status_code == 409
    assert again.json()["code"] == "no_vehicle_free"
    neither = Api(alice.member).post(
        f"communities/{alice.community.slug}/bookings", {"purpose": "x", **window()}
    )
    assert neither.status_code == 400


def test_extend_start_and_end_through_the_api(alice: Tenant) -> None:
    Box.objects.update(vehicle=None)  # started and ended by hand, without a box
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    booking = post_booking(
        alice, start=now.isoformat(), end=(now + dt.timedelta(hours=1)).isoformat()
    ).json()
    extended = Api(alice.member).patch(
        f"bookings/{booking['id']}", {"end": (now + dt.timedelta(hours=2)).isoformat()}
    )
    assert extended.status_code == 200, extended.content
    assert Api(alice.member).post(f"bookings/{booking['id']}/start").json()["state"] == "started"
    ended = Api(alice.member).post(f"bookings/{booking['id']}/end", {"km": 12}).json()
    assert (ended["state"], ended["actual_km"]) == ("ended", 12)
    assert Api(alice.member).patch(f"bookings/{booking['id']}", {"end": None}).status_code == 422
