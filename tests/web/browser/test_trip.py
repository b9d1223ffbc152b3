"""The current trip in the browser: unlock showing the command's state as
the box answers, the digital key kept for use without network, and the
refusal to end a trip said condition by condition."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.core import clock
from flotte.telematics.models import Command
from tests.booking.test_services import NOW, book
from tests.conftest import Tenant
from tests.telematics.messages import FakeBox, send
from tests.web.browser.conftest import PHONE, Visit

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def box(alice: Tenant) -> FakeBox:
    fake = FakeBox(alice.box.box_id)
    send(fake.telemetry(NOW - dt.timedelta(minutes=5)))
    return fake


def test_unlock_shows_the_command_state_until_the_car_answers(
    visit: Visit, alice: Tenant, box: FakeBox
) -> None:
    booking = book(alice, 0, 2)
    page = visit.open(alice.member, viewport=PHONE)
    page.goto(visit.url(f"/c/{alice.community.slug}/bookings/{booking.pk}/"))
    page.get_by_role("button", name="Déverrouiller").focus()
    page.keyboard.press("Enter")  # from the keyboard
    state = page.locator("#command-state .command-state")
    state.wait_for()
    assert re.search("en attente d’envoi|envoyé, en attente de la voiture", state.inner_text())
    command = Command.objects.get()
    assert (command.kind, command.booking_id) == ("unlock", booking.pk)
    send(box.ack(str(command.pk)))  # the box opens the car and answers
    page.wait_for_selector("#command-state .state-acked")
    assert "fait" in state.inner_text()
    visit.screenshot(page, "trip-unlocked")
    assert page.js_errors == []


def test_the_digital_key_stays_readable_without_network(
    visit: Visit, alice: Tenant, box: FakeBox
) -> None:
    booking = book(alice, 1, 3)
    page = visit.open(alice.member, viewport=PHONE)
    slug = alice.community.slug
    page.goto(visit.url(f"/c/{slug}/bookings/{booking.pk}/key/"))
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.get_by_role("button", name="Obtenir ma clé numérique").click()
    page.wait_for_selector("#key-token")
    token = page.locator("#key-token").input_value()
    assert token.count(".") == 1
    page.context.set_offline(True)
    page.goto(visit.url(f"/c/{slug}/bookings/{booking.pk}/key/"))
    assert page.locator("#key-token").input_value() == token
    visit.screenshot(page, "key-offline")
    page.goto(visit.url(f"/c/{slug}/book/"))  # never seen: the offline page
    assert page.locator("h1").inner_text() == "Vous êtes hors ligne"


def test_ending_a_trip_away_from_the_station_says_why_not(
    visit: Visit, alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = book(alice, 0, 2)
    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("unlocked", source="app", booking_id=str(booking.pk)))
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        send(box.telemetry(doors_closed=False, position=(44.80, 5.10)))
        page = visit.open(alice.member, viewport=PHONE)
        page.goto(visit.url(f"/c/{alice.community.slug}/bookings/{booking.pk}/"))
        page.get_by_role("button", name="Terminer le trajet").click()
        reasons = page.locator(".end-trip [role=alert] li").all_inner_texts()
    assert reasons == [
        "Fermez les portières.",
        f"Ramenez le véhicule à sa station, {alice.station.name}.",
    ]
    visit.screenshot(page, "trip-end-refused")
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED
