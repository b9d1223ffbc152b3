"""The parameters that make an inspection required before the first unlock
and before the end of the trip."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import Conflict
from flotte.telematics.commands import command_issue
from flotte.telematics.trips import booking_close_trip
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant
from tests.inspections.conftest import boxless_vehicle, submitted


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_without_the_parameter_the_member_unlocks_without_inspection(alice: Tenant) -> None:
    book(alice)
    with clock.frozen(hours(2)):
        assert command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock").pk


def test_check_in_required_refuses_the_first_unlock_until_submitted(alice: Tenant) -> None:
    set_param(alice, "inspection_check_in_required", True)
    booking = book(alice)
    with clock.frozen(hours(2)):
        with pytest.raises(Conflict) as refused:
            command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
        assert refused.value.code == "check_in_inspection_required"
        assert refused.value.status == 409
        # Locking is never blocked.
        assert command_issue(actor=alice.member, vehicle=alice.vehicle, kind="lock").pk
        submitted(booking, "check_in")
        assert command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock").pk


def test_check_in_required_can_be_set_for_one_community(alice: Tenant) -> None:
    set_param(alice, "inspection_check_in_required", True, community=alice.community)
    book(alice)
    with clock.frozen(hours(2)), pytest.raises(Conflict):
        command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")


def test_a_manager_is_not_blocked_by_the_check_in(alice: Tenant) -> None:
    set_param(alice, "inspection_check_in_required", True)
    book(alice)
    with clock.frozen(hours(2)):
        assert command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="unlock").pk


def test_once_the_trip_started_unlocking_again_needs_no_check_in(alice: Tenant) -> None:
    booking = book(alice)
    with clock.frozen(hours(2)):
        Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED)
        set_param(alice, "inspection_check_in_required", True)
        assert command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock").pk


def _started(alice: Tenant) -> Booking:
    booking = book(alice, vehicle=boxless_vehicle(alice))
    with clock.frozen(hours(2)):
        return booking_start(actor=alice.member, booking=booking)


def test_without_the_parameter_the_trip_ends_without_check_out(alice: Tenant) -> None:
    booking = _started(alice)
    with clock.frozen(hours(3)):
        assert booking_close_trip(actor=alice.member, booking=booking, km=10).state == "ended"


def test_check_out_required_refuses_the_end_until_submitted(alice: Tenant) -> None:
    set_param(alice, "inspection_check_out_required", True)
    booking = _started(alice)
    with clock.frozen(hours(3)):
        with pytest.raises(Conflict) as refused:
            booking_close_trip(actor=alice.member, booking=booking, km=10)
        assert refused.value.code == "check_out_inspection_required"
        submitted(booking, "check_out")
        assert booking_close_trip(actor=alice.member, booking=booking, km=10).state == "ended"


def test_a_manager_ends_the_trip_without_the_check_out(alice: Tenant) -> None:
    set_param(alice, "inspection_check_out_required", True)
    booking = _started(alice)
    with clock.frozen(hours(3)):
        assert booking_close_trip(actor=alice.manager, booking=booking, km=10).state == "ended"


def test_check_out_required_refuses_the_badge_end_on_the_box_until_submitted(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    from flotte.telematics.models import BoxEvent
    from tests.telematics.messages import FakeBox, send

    set_param(alice, "inspection_check_out_required", True)
    box = FakeBox(alice.box.box_id)
    send(box.telemetry(NOW))
    booking = book(alice, start=0, end=2)
    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("unlocked", source="badge", booking_id=str(booking.pk)))
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED

    def badge() -> None:
        with clock.frozen(hours(1)), django_capture_on_commit_callbacks(execute=True):
            send(
                box.telemetry(ignition=False, locked=False),
                box.event("badge", badge_uid=alice.badge.uid, booking_id=str(booking.pk)),
            )

    badge()
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED
    assert "check-out inspection" in BoxEvent.objects.get(type="badge").outcome
    with clock.frozen(hours(0.5)):
        submitted(booking, "check_out")
    badge()
    booking.refresh_from_db()
    assert booking.state == Booking.State.ENDED
