"""The current trip through the pages: unlock and lock with the command's
state, the digital key, the end of the trip and its refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from flotte.booking.models import Booking
from flotte.core import clock
from flotte.telematics.models import Command, DigitalKey
from tests import factories as f
from tests.booking.test_services import NOW, book
from tests.conftest import Tenant
from tests.telematics.messages import FakeBox, send

HTMX = {"HX-Request": "true"}


def unlock_on_page(client: Client, tenant: Tenant, booking: Booking, **headers: str) -> Any:
    return client.post(
        f"/c/{tenant.community.slug}/bookings/{booking.pk}/commands/",
        {"kind": "unlock"},
        headers=headers,
    )


def test_the_booking_page_offers_unlock_and_lock_during_the_booking(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 0, 2)
    html = member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert "Déverrouiller" in html and "Verrouiller" in html
    later = book(alice, 24, 26)
    html = member.get(f"/c/{alice.community.slug}/bookings/{later.pk}/").content.decode()
    assert "Déverrouiller" not in html


def test_unlocking_shows_the_command_state_until_the_box_answers(
    alice: Tenant, member: Client, django_capture_on_commit_callbacks: Any
) -> None:
    booking = book(alice, 0, 2)
    with django_capture_on_commit_callbacks(execute=True):
        answer = unlock_on_page(member, alice, booking, **HTMX)
    command = Command.objects.get()
    assert (command.kind, command.booking_id, command.state) == ("unlock", booking.pk, "sent")
    html = answer.content.decode()
    assert "en attente d’envoi" in html  # answered before the command went out
    poll = f"/c/{alice.community.slug}/commands/{command.pk}/"
    assert f'hx-get="{poll}"' in html
    html = member.get(poll).content.decode()
    assert "envoyé, en attente de la voiture" in html and f'hx-get="{poll}"' in html
    send(FakeBox(alice.box.box_id).ack(str(command.pk)))
    html = member.get(poll).content.decode()
    assert "fait" in html and "hx-get" not in html  # answered: polling stops


def test_without_javascript_unlocking_comes_back_to_the_booking_with_the_state(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 0, 2)
    response = unlock_on_page(member, alice, booking)
    command = Command.objects.get()
    assert response["Location"].endswith(f"/bookings/{booking.pk}/?command={command.pk}")
    page = member.get(response["Location"])
    assert "en attente d’envoi" in page.content.decode()


def test_unlocking_outside_the_booking_time_says_why(alice: Tenant, member: Client) -> None:
    booking = book(alice, 5, 7)
    answer = unlock_on_page(member, alice, booking, **HTMX)
    assert answer.status_code == 200
    assert "Vous ne pouvez ouvrir ou verrouiller que le véhicule" in answer.content.decode()
    assert not Command.objects.exists()


def test_a_command_is_seen_by_its_requester_only(
    alice: Tenant, bob: Tenant, member: Client
) -> None:
    booking = book(alice, 0, 2)
    unlock_on_page(member, alice, booking, **HTMX)
    command = Command.objects.get()
    slug = alice.community.slug
    assert member.get(f"/c/{slug}/commands/{command.pk}/").status_code == 200
    stranger = f.UserFactory()
    f.MembershipFactory(user=stranger, community=alice.community)
    for person, where in [(stranger, slug), (bob.member, bob.community.slug)]:
        other = Client()
        other.force_login(person)
        assert other.get(f"/c/{where}/commands/{command.pk}/").status_code == 404


def test_a_malformed_command_address_is_not_found_not_a_crash(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 0, 2)
    slug = alice.community.slug
    assert member.get(f"/c/{slug}/commands/not-a-uuid/").status_code == 404
    page = member.get(f"/c/{slug}/bookings/{booking.pk}/?command=not-a-uuid")
    assert page.status_code == 200 and page.context["command"] is None


def test_the_digital_key_is_issued_once_then_shown_again(alice: Tenant, member: Client) -> None:
    booking = book(alice, 1, 3)
    url = f"/c/{alice.community.slug}/bookings/{booking.pk}/key/"
    assert "Obtenir ma clé numérique" in member.get(url).content.decode()
    assert member.post(url).status_code == 302
    first, second = member.get(url), member.get(url)
    assert DigitalKey.objects.count() == 1
    assert first.context["token"] and first.context["token"] == second.context["token"]
    assert first.context["token"] in first.content.decode()


def test_nobody_else_gets_a_members_key(alice: Tenant, client: Client) -> None:
    booking = book(alice, 1, 3)
    other = f.UserFactory()
    f.MembershipFactory(user=other, community=alice.community)
    client.force_login(other)
    url = f"/c/{alice.community.slug}/bookings/{booking.pk}/key/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not DigitalKey.objects.exists()


def started_trip(alice: Tenant, capture: Any) -> tuple[Booking, FakeBox]:
    box = FakeBox(alice.box.box_id)
    send(box.telemetry(NOW - dt.timedelta(minutes=5)))
    booking = book(alice, 0, 2)
    with capture(execute=True):
        send(box.event("unlocked", source="app", booking_id=str(booking.pk)))
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED
    return booking, box


def test_ending_the_trip_with_the_doors_open_says_what_to_do(
    alice: Tenant, member: Client, django_capture_on_commit_callbacks: Any
) -> None:
    booking, box = started_trip(alice, django_capture_on_commit_callbacks)
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        send(box.telemetry(doors_closed=False, ignition=True))
        page = member.post(f"/c/{alice.community.slug}/bookings/{booking.pk}/end/")
    assert page.status_code == 200
    reasons = page.context["end_refusals"]
    assert "Fermez les portières." in reasons and "Coupez le contact." in reasons
    assert "Le trajet ne peut pas encore se terminer" in page.content.decode()
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED


def test_ending_the_trip_back_at_the_station_parked_and_shut(
    alice: Tenant, member: Client, django_capture_on_commit_callbacks: Any
) -> None:
    booking, box = started_trip(alice, django_capture_on_commit_callbacks)
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        send(box.telemetry(odometer_km=1012.0))
        response = member.post(f"/c/{alice.community.slug}/bookings/{booking.pk}/end/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.state, booking.actual_km) == ("ended", 12)


def test_a_car_without_a_box_ends_with_the_km_driven(alice: Tenant, member: Client) -> None:
    from flotte.booking.lifecycle import booking_start

    alice.box.delete()
    booking = booking_start(actor=alice.member, booking=book(alice, 0, 2))
    url = f"/c/{alice.community.slug}/bookings/{booking.pk}/end/"
    refused = member.post(url, {"km": "-4"})
    assert refused.status_code == 200 and "km" in refused.context["end_form"].errors
    assert member.post(url, {"km": "25"}).status_code == 302
    booking.refresh_from_db()
    assert (booking.state, booking.actual_km) == ("ended", 25)


def test_the_trip_address_opens_the_current_booking_or_says_there_is_none(
    alice: Tenant, member: Client
) -> None:
    slug = alice.community.slug
    page = member.get(f"/c/{slug}/trip/")
    assert page.status_code == 200 and "Aucun trajet en ce moment" in page.content.decode()
    booking = book(alice, 0, 2)
    assert member.get(f"/c/{slug}/trip/")["Location"] == f"/c/{slug}/bookings/{booking.pk}/"
    listing = member.get(f"/c/{slug}/bookings/")
    assert listing.context["current"] == booking
