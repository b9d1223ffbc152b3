"""The member's inspections and incident reports through the pages: photos
of each angle, damage marks, readings, the submission and its refusals, the
check-in that holds back the first unlock, reports with photos, and photos
served to their owner and the organisation's managers only."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from flotte.booking.models import Booking
from flotte.inspections.models import Incident, Inspection, Photo
from flotte.inspections.services import required_angles
from flotte.telematics.models import Command
from tests import factories as f
from tests.booking.test_services import book, set_param
from tests.conftest import Tenant
from tests.inspections.conftest import image_bytes

ANGLES = ["front", "rear", "left", "right", "interior", "dashboard"]
READINGS = {"energy_pct": "80", "odometer_km": "12345", "cleanliness": "4", "comment": ""}


@pytest.fixture
def english(member: Client) -> Client:
    member.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return member


def png(name: str = "car.png", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, "image/png")


def page(tenant: Tenant, booking: Booking, kind: str = "check_in", rest: str = "") -> str:
    return f"/c/{tenant.community.slug}/bookings/{booking.pk}/inspection/{kind}/{rest}"


def send_photos(client: Client, tenant: Tenant, booking: Booking, angles: list[str]) -> Any:
    return client.post(
        page(tenant, booking, rest="photos/"), {f"photo_{a}": png(f"{a}.png") for a in angles}
    )


def other_member(tenant: Tenant) -> Any:
    """A second validated member of the same community."""
    user = f.UserFactory(email="carol@example.org")
    f.MembershipFactory(user=user, community=tenant.community, group=tenant.community.default_group)
    return user


# The check-in, step by step


def test_the_page_lists_the_angles_to_photograph_with_a_camera_input(
    alice: Tenant, english: Client
) -> None:
    booking = book(alice, 1, 3)
    response = english.get(page(alice, booking))
    assert response.status_code == 200
    html = response.content.decode()
    for angle in ANGLES:
        assert f'name="photo_{angle}"' in html
    assert html.count('accept="image/*" capture="environment"') == len(ANGLES)
    assert "Photos still missing: front, rear, left side, right side, interior, dashboard" in html
    assert not Inspection.objects.exists()  # looking opens nothing


def test_photos_are_kept_per_angle_and_the_missing_ones_are_named(
    alice: Tenant, english: Client
) -> None:
    booking = book(alice, 1, 3)
    response = send_photos(english, alice, booking, ["front", "rear"])
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.booking_id, inspection.kind, inspection.state) == (
        booking.pk,
        "check_in",
        "draft",
    )
    photos = list(Photo.objects.filter(inspection=inspection))
    assert sorted(p.angle for p in photos) == ["front", "rear"]
    assert all(p.image.read()[:2] == b"\xff\xd8" for p in photos)  # re-encoded JPEG
    html = english.get(page(alice, booking)).content.decode()
    assert "Photos still missing: left side, right side, interior, dashboard" in html


def test_a_damage_mark_is_placed_by_a_tap_or_by_a_zone_and_removed(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 1, 3)
    marks = page(alice, booking, rest="marks/")
    tap = {"x": "0.25", "y": "0.4", "zone": "", "kind": "dent", "note": "porte avant"}
    assert member.post(marks, tap).status_code == 302
    zone = {"x": "", "y": "", "zone": "rear_bumper", "kind": "scratch", "note": ""}
    assert member.post(marks, zone).status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.marks == [
        {"view": "top", "x": 0.25, "y": 0.4, "kind": "dent", "note": "porte avant"},
        {"view": "top", "x": 0.5, "y": 0.96, "kind": "scratch", "note": ""},
    ]
    html = member.get(page(alice, booking)).content.decode()
    assert 'cx="50.0" cy="160.0"' in html and 'cx="100.0" cy="384.0"' in html  # drawn
    assert member.post(page(alice, booking, rest="marks/0/remove/")).status_code == 302
    inspection.refresh_from_db()
    assert [m["kind"] for m in inspection.marks] == ["scratch"]
    assert member.post(page(alice, booking, rest="marks/5/remove/")).status_code == 404


def test_a_mark_without_a_place_is_refused_on_the_form(alice: Tenant, english: Client) -> None:
    booking = book(alice, 1, 3)
    response = english.post(
        page(alice, booking, rest="marks/"), {"x": "", "y": "", "zone": "", "kind": "dent"}
    )
    assert response.status_code == 400
    assert "Tap the drawing where the damage is" in response.content.decode()
    off = {"x": "1.7", "y": "0.2", "zone": "", "kind": "dent"}
    assert english.post(page(alice, booking, rest="marks/"), off).status_code == 400
    assert not Inspection.objects.exists()


def test_submitting_with_missing_angles_names_them_and_keeps_the_draft(
    alice: Tenant, english: Client
) -> None:
    booking = book(alice, 1, 3)
    send_photos(english, alice, booking, ["front", "left", "right", "interior"])
    response = english.post(page(alice, booking, rest="submit/"), {**READINGS, "odometer_km": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "a photo of the rear" in html and "a photo of the dashboard" in html
    assert "the odometer" in html and "a photo of the front" not in html
    inspection = Inspection.objects.get()
    assert inspection.state == "draft" and inspection.energy_pct == 80  # readings kept


def test_bad_readings_are_refused_on_their_field(alice: Tenant, member: Client) -> None:
    booking = book(alice, 1, 3)
    response = member.post(page(alice, booking), {**READINGS, "energy_pct": "140"})
    assert response.status_code == 400
    assert 'id="id_energy_pct_error"' in response.content.decode()
    assert not Inspection.objects.exists()


def test_the_draft_is_saved_then_submitted_and_never_changes_again(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 1, 3)
    assert member.post(page(alice, booking), READINGS).status_code == 302
    assert Inspection.objects.get().odometer_km == 12345
    send_photos(member, alice, booking, ANGLES)
    response = member.post(page(alice, booking, rest="submit/"), READINGS)
    assert response["Location"] == f"/c/{alice.community.slug}/bookings/{booking.pk}/"
    inspection = Inspection.objects.get()
    assert inspection.state == "submitted" and inspection.cleanliness == 4
    html = member.get(page(alice, booking)).content.decode()
    assert 'name="photo_front"' not in html and "12345" in html  # read only
    refused = member.post(page(alice, booking, rest="marks/"), {"zone": "roof", "kind": "dent"})
    assert refused.status_code == 409
    assert Inspection.objects.get().marks == []


# Bad files


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_kept(
    alice: Tenant, english: Client
) -> None:
    booking = book(alice, 1, 3)
    response = english.post(
        page(alice, booking, rest="photos/"),
        {
            "photo_front": png("front.png"),
            "photo_rear": SimpleUploadedFile("rear.png", b"%PDF-1.4 not a photo", "image/png"),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_photo_rear_error"' in html and "This file is not a readable image." in html
    assert not Photo.objects.exists() and not Inspection.objects.exists()


def test_a_gif_is_refused_by_its_type(alice: Tenant, english: Client) -> None:
    booking = book(alice, 1, 3)
    response = english.post(
        page(alice, booking, rest="photos/"),
        {"photo_front": SimpleUploadedFile("a.gif", image_bytes("GIF"), "image/gif")},
    )
    assert response.status_code == 400
    assert "Send a JPEG, PNG or WebP photo." in response.content.decode()
    assert not Photo.objects.exists()


def test_sending_no_photo_says_so(alice: Tenant, english: Client) -> None:
    booking = book(alice, 1, 3)
    response = english.post(page(alice, booking, rest="photos/"), {})
    assert response.status_code == 400
    assert "Choose a photo first." in response.content.decode()


# The check-in gate on the booking page


def test_a_required_check_in_replaces_unlock_until_submitted(
    alice: Tenant, english: Client
) -> None:
    set_param(alice, "inspection_check_in_required", True)
    booking = book(alice, 0, 2)
    booking_page = f"/c/{alice.community.slug}/bookings/{booking.pk}/"
    html = english.get(booking_page).content.decode()
    assert 'value="unlock"' not in html
    assert f'href="{page(alice, booking)}"' in html and 'id="check-in-required"' in html
    assert 'value="lock"' in html  # locking is never held back
    # The gate itself refuses an unlock sent anyway, worded for the member.
    refused = english.post(
        f"{booking_page}commands/", {"kind": "unlock"}, headers={"HX-Request": "true"}
    )
    assert "Do the check-in inspection before unlocking the vehicle." in refused.content.decode()
    assert not Command.objects.filter(kind="unlock").exists()
    send_photos(english, alice, booking, ANGLES)
    english.post(page(alice, booking, rest="marks/"), {"zone": "bonnet", "kind": "scratch"})
    english.post(page(alice, booking, rest="submit/"), READINGS)
    html = english.get(booking_page).content.decode()
    assert 'value="unlock"' in html and 'id="check-in-required"' not in html
    assert "submitted on" in html
    english.post(f"{booking_page}commands/", {"kind": "unlock"})
    assert Command.objects.filter(kind="unlock", booking=booking).exists()


def test_without_the_parameter_unlock_shows_and_the_check_in_is_offered(
    alice: Tenant, english: Client
) -> None:
    booking = book(alice, 0, 2)
    html = english.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert 'value="unlock"' in html and 'id="check-in-required"' not in html
    assert "Check-in inspection" in html and "not started" in html
    assert "Check-out inspection" not in html  # not before the trip is under way


# Check-out


def started(tenant: Tenant) -> Booking:
    booking = book(tenant, 0, 2)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED)
    booking.refresh_from_db()
    return booking


def test_the_check_out_is_made_during_the_trip(alice: Tenant, english: Client) -> None:
    set_param(alice, "inspection_check_out_required", True)
    booking = started(alice)
    booking_page = f"/c/{alice.community.slug}/bookings/{booking.pk}/"
    html = english.get(booking_page).content.decode()
    assert 'id="check-out-required"' in html and "End the trip" not in html
    assert f'href="{page(alice, booking, "check_out")}"' in html
    english.post(
        page(alice, booking, "check_out", "photos/"),
        {f"photo_{a}": png() for a in ANGLES},
    )
    response = english.post(page(alice, booking, "check_out", "submit/"), READINGS)
    assert response.status_code == 302
    assert Inspection.objects.get(kind="check_out").state == "submitted"
    html = english.get(booking_page).content.decode()
    assert "End the trip" in html and 'id="check-out-required"' not in html


def test_a_check_out_before_the_trip_is_refused_and_said(alice: Tenant, english: Client) -> None:
    booking = book(alice, 1, 3)
    html = english.get(page(alice, booking, "check_out")).content.decode()
    assert "made while the trip is under way" in html and 'name="photo_front"' not in html
    response = send_photos_of(english, alice, booking, "check_out")
    assert response.status_code == 409
    assert "cannot be made at this stage of the booking" in response.content.decode()
    assert not Inspection.objects.exists() and not Photo.objects.exists()


def send_photos_of(client: Client, tenant: Tenant, booking: Booking, kind: str) -> Any:
    return client.post(page(tenant, booking, kind, "photos/"), {"photo_front": png()})


def test_an_unknown_kind_is_not_a_page(alice: Tenant, member: Client) -> None:
    booking = book(alice, 1, 3)
    assert member.get(page(alice, booking, "halfway")).status_code == 404


# Incidents


def incident_url(tenant: Tenant, booking: Booking) -> str:
    return f"/c/{tenant.community.slug}/bookings/{booking.pk}/incidents/new/"


def test_an_incident_is_reported_with_photos_and_shown_on_the_booking(
    alice: Tenant, english: Client
) -> None:
    booking = started(alice)
    form = english.get(incident_url(alice, booking)).content.decode()
    for kind in ("damage", "dirt", "accident", "fuel_card", "breakdown", "other"):
        assert f'value="{kind}"' in form
    response = english.post(
        incident_url(alice, booking),
        {
            "kind": "damage",
            "description": "Rétroviseur gauche cassé",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.booking_id, incident.reporter_id, incident.kind) == (
        booking.pk,
        alice.member.pk,
        "damage",
    )
    assert Photo.objects.filter(incident=incident).count() == 2
    html = english.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert "Rétroviseur gauche cassé" in html and "Damage" in html
    assert html.count(f"/photos/incidents/{incident.pk}/") == 4  # two links, two images


def test_a_bad_photo_keeps_the_whole_report_back(alice: Tenant, english: Client) -> None:
    booking = started(alice)
    response = english.post(
        incident_url(alice, booking),
        {
            "kind": "dirt",
            "description": "Sièges sales",
            "photos": [png(), SimpleUploadedFile("x.png", b"\x89PNG broken", "image/png")],
        },
    )
    assert response.status_code == 400
    assert "x.png: This file is not a readable image." in response.content.decode()
    assert not Incident.objects.exists() and not Photo.objects.exists()


def test_a_report_needs_a_description(alice: Tenant, member: Client) -> None:
    booking = started(alice)
    response = member.post(incident_url(alice, booking), {"kind": "dirt", "description": " "})
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_report_before_the_trip_is_refused_and_said(alice: Tenant, english: Client) -> None:
    booking = book(alice, 5, 7)
    html = english.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert "Report an incident" not in html
    response = english.post(
        incident_url(alice, booking), {"kind": "breakdown", "description": "Ne démarre pas"}
    )
    assert response.status_code == 403
    assert "You can report an incident only about the vehicle of your trip" in (
        response.content.decode()
    )
    assert not Incident.objects.exists()


def test_the_reporter_adds_a_photo_to_a_report(alice: Tenant, english: Client) -> None:
    booking = started(alice)
    english.post(incident_url(alice, booking), {"kind": "dirt", "description": "Boue"})
    incident = Incident.objects.get()
    url = f"/c/{alice.community.slug}/bookings/{booking.pk}/incidents/{incident.pk}/photos/"
    assert english.post(url, {"photo": png()}).status_code == 302
    assert Photo.objects.filter(incident=incident).count() == 1
    bad = english.post(url, {"photo": SimpleUploadedFile("a.png", b"nope")}, follow=True)
    assert "This file is not a readable image." in bad.content.decode()
    assert Photo.objects.filter(incident=incident).count() == 1


# Who sees what


def test_photos_are_served_to_their_driver_and_the_managers_only(
    alice: Tenant, bob: Tenant, member: Client
) -> None:
    booking = book(alice, 1, 3)
    send_photos(member, alice, booking, ["front"])
    inspection, photo = Inspection.objects.get(), Photo.objects.get()
    url = f"/photos/inspections/{inspection.pk}/{photo.pk}.jpg"
    response = member.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for user, status in (
        (alice.manager, 200),
        (other_member(alice), 404),
        (bob.manager, 404),
        (bob.member, 404),
    ):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == status, user
    assert Client().get(url).status_code == 302  # to the login page
    assert member.get(f"/photos/inspections/{inspection.pk}/{photo.pk + 1}.jpg").status_code == 404


def test_incident_photos_are_served_to_the_reporter_and_managers_only(
    alice: Tenant, bob: Tenant, member: Client
) -> None:
    booking = started(alice)
    member.post(
        incident_url(alice, booking), {"kind": "dirt", "description": "Boue", "photos": png()}
    )
    incident, photo = Incident.objects.get(), Photo.objects.get()
    url = f"/photos/incidents/{incident.pk}/{photo.pk}.jpg"
    assert member.get(url).status_code == 200
    for user, status in ((alice.manager, 200), (other_member(alice), 404), (bob.manager, 404)):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_another_members_booking_is_not_found(alice: Tenant, client: Client) -> None:
    booking = book(alice, 0, 2)
    client.force_login(other_member(alice))
    for url in (
        page(alice, booking),
        page(alice, booking, rest="photos/"),
        page(alice, booking, rest="marks/"),
        page(alice, booking, rest="submit/"),
        incident_url(alice, booking),
    ):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"photo_front": png(), **READINGS}).status_code == 404, url
    assert not Inspection.objects.exists() and not Photo.objects.exists()


def test_another_organisation_gets_404_everywhere(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    booking = started(alice)
    client.force_login(bob.member)
    bob_pages = (
        f"/c/{bob.community.slug}/bookings/{booking.pk}/inspection/check_in/",
        f"/c/{bob.community.slug}/bookings/{booking.pk}/incidents/new/",
    )
    for url in (page(alice, booking), incident_url(alice, booking), *bob_pages):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"kind": "dirt", "description": "x"}).status_code == 404, url
    assert not Incident.objects.exists() and not Inspection.objects.exists()


def test_the_angles_follow_the_parameter(alice: Tenant, english: Client) -> None:
    set_param(alice, "inspection_photo_angles", ["front", "boot"])
    booking = book(alice, 1, 3)
    assert required_angles(booking) == ["front", "boot"]
    html = english.get(page(alice, booking)).content.decode()
    assert 'name="photo_boot"' in html and 'name="photo_rear"' not in html
    assert "Photos still missing: front, boot" in html
