"""Inspection and incident routes: the driver's, the managers', and who is
refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.inspections.models import Incident
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Api, Tenant
from tests.inspections.conftest import boxless_vehicle, photo
from tests.telematics.test_commands import other_member


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def upload(user: Any, url: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.post(f"/api/v1/{url}", {"file": photo()})


def _check_in(alice: Tenant, booking: Booking) -> int:
    set_param(alice, "inspection_photo_angles", ["front"])
    response = Api(alice.member).post(f"bookings/{booking.pk}/inspections", {"kind": "check_in"})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_the_driver_fills_in_and_submits_the_check_in(alice: Tenant) -> None:
    booking = book(alice)
    inspection_id = _check_in(alice, booking)
    member = Api(alice.member)
    response = member.patch(
        f"inspections/{inspection_id}",
        {
            "marks": [{"view": "left", "x": 0.2, "y": 0.4, "kind": "dent"}],
            "energy_pct": 70,
            "odometer_km": 1234,
            "cleanliness": 3,
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["missing_angles"] == ["front"]
    assert member.post(f"inspections/{inspection_id}/submit").status_code == 400
    photo_response = upload(alice.member, f"inspections/{inspection_id}/photos?angle=front")
    assert photo_response.status_code == 201, photo_response.content
    submitted = member.post(f"inspections/{inspection_id}/submit")
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    again = member.patch(f"inspections/{inspection_id}", {"cleanliness": 1})
    assert again.status_code == 409
    assert member.get(f"bookings/{booking.pk}/inspections").json()[0]["id"] == inspection_id
    assert member.get("me/inspections").json()["items"][0]["id"] == inspection_id


def test_a_photo_is_downloaded_by_the_driver_and_managers_only(alice: Tenant, bob: Tenant) -> None:
    inspection_id = _check_in(alice, book(alice))
    photo_id = upload(alice.member, f"inspections/{inspection_id}/photos?angle=front").json()["id"]
    url = f"inspections/{inspection_id}/photos/{photo_id}"
    for viewer in (alice.member, alice.manager):
        response = Api(viewer).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for outsider in (other_member(alice), bob.manager, bob.member):
        assert Api(outsider).get(url).status_code == 404


def test_a_file_that_is_not_an_image_is_refused(alice: Tenant) -> None:
    inspection_id = _check_in(alice, book(alice))
    client = Client()
    client.force_login(alice.member)
    fake = photo("car.jpg", b"<script>alert(1)</script>", "image/jpeg")
    response = client.post(
        f"/api/v1/inspections/{inspection_id}/photos?angle=front", {"file": fake}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": "not an image"}


def test_unlock_is_refused_with_409_until_the_required_check_in(alice: Tenant) -> None:
    set_param(alice, "inspection_check_in_required", True)
    book(alice)
    with clock.frozen(hours(2)):
        response = Api(alice.member).post(
            f"vehicles/{alice.vehicle.pk}/commands", {"kind": "unlock"}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "check_in_inspection_required"


def test_end_trip_is_refused_with_409_until_the_required_check_out(alice: Tenant) -> None:
    set_param(alice, "inspection_check_out_required", True)
    booking = book(alice, vehicle=boxless_vehicle(alice))
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=booking)
        response = Api(alice.member).post(f"bookings/{booking.pk}/end", {"km": 4})
    assert response.status_code == 409
    assert response.json()["code"] == "check_out_inspection_required"


def test_the_driver_reports_an_incident_and_a_manager_handles_and_charges_it(
    alice: Tenant,
) -> None:
    booking = book(alice, vehicle=boxless_vehicle(alice))
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=booking)
        response = Api(alice.member).post(
            f"vehicles/{booking.vehicle_id}/incidents",
            {"kind": "damage", "description": "Pare-chocs enfoncé"},
        )
    assert response.status_code == 201, response.content
    incident_id = response.json()["id"]
    assert response.json()["booking_id"] == booking.pk
    assert upload(alice.member, f"incidents/{incident_id}/photos").status_code == 201
    manager = Api(alice.manager)
    listed = manager.get(f"organisations/{alice.organisation.pk}/incidents").json()["items"]
    assert [i["id"] for i in listed] == [incident_id] and len(listed[0]["photos"]) == 1
    alerts = manager.get(f"organisations/{alice.organisation.pk}/alerts").json()["items"]
    assert [a["kind"] for a in alerts] == ["damage"]
    assert manager.post(f"incidents/{incident_id}/acknowledge").json()["state"] == "acknowledged"
    charged = manager.post(f"incidents/{incident_id}/charge", {"amount": "250.00"})
    assert charged.status_code == 200 and charged.json()["invoice_id"]
    assert manager.post(f"incidents/{incident_id}/charge", {"amount": "250.00"}).status_code == 409
    resolved = manager.post(f"incidents/{incident_id}/resolve", {"resolution": "Réparé"})
    assert resolved.json()["state"] == "resolved"
    history = manager.get(f"vehicles/{booking.vehicle_id}/damage-history").json()
    assert [(e["source"], e["id"]) for e in history] == [("incident", incident_id)]


def test_members_are_refused_the_manager_routes(alice: Tenant) -> None:
    incident = Incident.objects.create(
        organisation=alice.organisation,
        vehicle=alice.vehicle,
        reporter=alice.member,
        kind="dirt",
        description="Sale",
        created_at=NOW,
    )
    member = Api(alice.member)
    org = alice.organisation.pk
    for response in (
        member.get(f"organisations/{org}/inspections"),
        member.get(f"organisations/{org}/incidents"),
        member.get(f"vehicles/{alice.vehicle.pk}/damage-history"),
        member.post(f"incidents/{incident.pk}/acknowledge"),
        member.post(f"incidents/{incident.pk}/resolve", {}),
        member.post(f"incidents/{incident.pk}/charge", {"amount": "10"}),
    ):
        assert response.status_code == 403, response.content


def test_another_organisation_is_refused(alice: Tenant, bob: Tenant) -> None:
    booking = book(alice)
    inspection_id = _check_in(alice, booking)
    for outsider in (bob.manager, bob.member):
        api = Api(outsider)
        assert api.get(f"inspections/{inspection_id}").status_code == 404
        assert (
            api.post(f"bookings/{booking.pk}/inspections", {"kind": "check_in"}).status_code == 404
        )
        assert api.get(f"organisations/{alice.organisation.pk}/inspections").status_code == 404
        assert api.get(f"vehicles/{alice.vehicle.pk}/damage-history").status_code == 404
        assert (
            api.post(
                f"vehicles/{alice.vehicle.pk}/incidents", {"kind": "dirt", "description": "x"}
            ).status_code
            == 404
        )
