from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.booking.ical import calendar, escape, fold
from flotte.booking.lifecycle import booking_change
from flotte.booking.services import booking_cancel, calendar_token_of
from flotte.core import clock
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Api, Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def feed(client: Client, token: str) -> str:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return response.content.decode()


def test_the_feed_lists_bookings_with_stable_uids_and_growing_sequence(
    alice: Tenant, client: Client
) -> None:
    booking = book(alice, 2, 4)
    token = calendar_token_of(alice.member)
    first = feed(client, token)
    assert f"UID:booking-{booking.pk}@testserver" in first
    assert "SEQUENCE:0" in first
    assert "DTSTART:20261201T100000Z" in first
    booking_change(actor=alice.member, booking=booking, end=hours(5))
    second = feed(client, token)
    assert f"UID:booking-{booking.pk}@testserver" in second
    assert "SEQUENCE:1" in second
    booking_cancel(actor=alice.member, booking=booking)
    third = feed(client, token)
    assert "STATUS:CANCELLED" in third
    assert "SEQUENCE:2" in third


def test_the_feed_shows_only_the_members_own_bookings(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    book(alice)
    text = feed(client, calendar_token_of(bob.member))
    assert "BEGIN:VEVENT" not in text


def test_a_wrong_or_reset_token_gets_nothing(alice: Tenant, client: Client) -> None:
    old = calendar_token_of(alice.member)
    assert client.get("/calendar/guess.ics").status_code == 404
    new = calendar_token_of(alice.member, reset=True)
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert Api(alice.member).get("me/calendar").json()["url"].endswith(f"/calendar/{new}.ics")


def test_text_is_escaped_and_long_lines_folded() -> None:
    assert escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 80
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_an_empty_calendar_is_valid() -> None:
    text = calendar([], host="flotte.example", name="Test")
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")


def test_a_manager_sees_the_planning_of_a_period(alice: Tenant, bob: Tenant) -> None:
    booking = book(alice, 2, 4)
    query = f"start={hours(0).isoformat()}&end={hours(24).isoformat()}".replace("+", "%2B")
    rows = Api(alice.manager).get(f"organisations/{alice.organisation.pk}/planning?{query}").json()
    assert [row["id"] for row in rows] == [booking.pk]
    assert (
        Api(alice.member).get(f"organisations/{alice.organisation.pk}/planning?{query}").status_code
        == 403
    )
    too_long = f"start={hours(0).isoformat()}&end={hours(24 * 90).isoformat()}".replace("+", "%2B")
    assert (
        Api(alice.manager)
        .get(f"organisations/{alice.organisation.pk}/planning?{too_long}")
        .status_code
        == 400
    )
