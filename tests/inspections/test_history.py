"""A vehicle's damage history, and what was new at each check-in."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.inspections.history import damage_history
from flotte.inspections.incidents import incident_report
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Tenant
from tests.inspections.conftest import boxless_vehicle, submitted

OLD = {"view": "left", "x": 0.3, "y": 0.5, "kind": "scratch"}
OLD_AGAIN = {"view": "left", "x": 0.32, "y": 0.48, "kind": "dent"}
FRESH = {"view": "front", "x": 0.5, "y": 0.2, "kind": "broken"}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def _trip(
    alice: Tenant, vehicle: Any, start: float, check_in: list[Any], check_out: list[Any]
) -> Booking:
    booking = book(alice, start, start + 2, vehicle=vehicle)
    with clock.frozen(hours(start)):
        submitted(booking, "check_in", marks=check_in)
        booking_start(actor=alice.member, booking=booking)
    with clock.frozen(hours(start + 1)):
        submitted(booking, "check_out", marks=check_out)
        booking_end(actor=alice.member, booking=booking, km=5)
    return booking


def test_a_check_in_shows_what_is_new_since_the_previous_check_out(alice: Tenant) -> None:
    vehicle = boxless_vehicle(alice)
    _trip(alice, vehicle, 2, check_in=[OLD], check_out=[OLD])
    _trip(alice, vehicle, 5, check_in=[OLD_AGAIN, FRESH], check_out=[OLD_AGAIN, FRESH])
    history = damage_history(vehicle)
    assert [(e["kind"], e["new_marks"]) for e in history] == [
        ("check_out", 0),  # second trip's check-out against its own check-in
        ("check_in", 1),  # FRESH appeared between the two trips
        ("check_out", 0),
        ("check_in", 1),  # the first inspection: everything is new
    ]
    second_check_in = history[1]
    assert [m["new"] for m in second_check_in["marks"]] == [False, True]
    assert second_check_in["compared_with"] == history[2]["id"]


def test_damage_reports_are_in_the_history_newest_first(alice: Tenant) -> None:
    vehicle = boxless_vehicle(alice)
    _trip(alice, vehicle, 2, check_in=[], check_out=[FRESH])
    with clock.frozen(hours(8)):
        incident = incident_report(
            actor=alice.manager, vehicle=vehicle, kind="damage", description="Rétroviseur"
        )
        incident_report(actor=alice.manager, vehicle=vehicle, kind="dirt", description="Sale")
    history = damage_history(vehicle)
    assert (history[0]["source"], history[0]["id"]) == ("incident", incident.pk)
    assert [e["source"] for e in history[1:]] == ["inspection", "inspection"]
    assert history[1]["new_marks"] == 1  # damage found at the check-out


def test_another_vehicle_history_is_separate(alice: Tenant) -> None:
    vehicle = boxless_vehicle(alice)
    _trip(alice, vehicle, 2, check_in=[OLD], check_out=[OLD])
    assert damage_history(boxless_vehicle(alice)) == []
