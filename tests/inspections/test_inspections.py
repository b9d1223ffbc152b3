"""The driver's check-in and check-out inspections: a draft, then an
immutable submission."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.booking.lifecycle import booking_start
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from flotte.inspections.models import Inspection, Photo
from flotte.inspections.services import (
    inspection_create,
    inspection_photo_add,
    inspection_submit,
    inspection_update,
    inspections_visible_to,
)
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant
from tests.inspections.conftest import MARK, boxless_vehicle, photo, submitted
from tests.telematics.test_commands import other_member


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_the_driver_opens_a_draft_check_in_of_their_booking(alice: Tenant) -> None:
    booking = book(alice)
    inspection = inspection_create(actor=alice.member, booking=booking, kind="check_in")
    assert (inspection.state, inspection.vehicle_id, inspection.driver_id) == (
        "draft",
        alice.vehicle.pk,
        alice.member.pk,
    )
    assert inspection_create(actor=alice.member, booking=booking, kind="check_in") == inspection


def test_someone_else_cannot_inspect_the_booking(alice: Tenant) -> None:
    booking = book(alice)
    for stranger in (other_member(alice), alice.manager):
        with pytest.raises(PermissionDenied):
            inspection_create(actor=stranger, booking=booking, kind="check_in")


def test_a_check_out_waits_for_the_trip_to_start(alice: Tenant) -> None:
    booking = book(alice, vehicle=boxless_vehicle(alice))
    with pytest.raises(Conflict):
        inspection_create(actor=alice.member, booking=booking, kind="check_out")
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=booking)
        assert inspection_create(actor=alice.member, booking=booking, kind="check_out").pk


def test_submit_needs_every_required_angle_and_the_readings(alice: Tenant) -> None:
    set_param(alice, "inspection_photo_angles", ["front", "rear"])
    inspection = inspection_create(actor=alice.member, booking=book(alice), kind="check_in")
    inspection_photo_add(actor=alice.member, inspection=inspection, angle="front", upload=photo())
    with pytest.raises(ValidationFailed) as refused:
        inspection_submit(actor=alice.member, inspection=inspection)
    assert set(refused.value.fields) == {"photo_rear", "energy_pct", "odometer_km", "cleanliness"}
    inspection_photo_add(actor=alice.member, inspection=inspection, angle="rear", upload=photo())
    inspection_update(
        actor=alice.member,
        inspection=inspection,
        data={"energy_pct": 64, "odometer_km": 15230, "cleanliness": 5, "marks": [MARK]},
    )
    done = inspection_submit(actor=alice.member, inspection=inspection)
    assert done.state == "submitted" and done.submitted_at == NOW
    assert done.marks == [MARK]
    assert AuditEntry.objects.filter(action="inspection.submitted", object_id=str(done.pk)).exists()


def test_a_submitted_inspection_is_immutable(alice: Tenant) -> None:
    inspection = submitted(book(alice), "check_in")
    with pytest.raises(Conflict):
        inspection_update(actor=alice.member, inspection=inspection, data={"cleanliness": 1})
    with pytest.raises(Conflict):
        inspection_photo_add(
            actor=alice.member, inspection=inspection, angle="front", upload=photo()
        )
    with pytest.raises(Conflict):
        inspection_submit(actor=alice.member, inspection=inspection)
    with pytest.raises(Conflict):
        inspection_create(actor=alice.member, booking=inspection.booking, kind="check_in")


def test_a_new_photo_of_an_angle_replaces_the_previous_one(alice: Tenant) -> None:
    inspection = inspection_create(actor=alice.member, booking=book(alice), kind="check_in")
    first = inspection_photo_add(
        actor=alice.member, inspection=inspection, angle="front", upload=photo()
    )
    inspection_photo_add(actor=alice.member, inspection=inspection, angle="front", upload=photo())
    assert list(Photo.objects.filter(inspection=inspection).values_list("angle", flat=True)) == [
        "front"
    ]
    assert not Photo.objects.filter(pk=first.pk).exists()


def test_an_unknown_angle_is_refused(alice: Tenant) -> None:
    inspection = inspection_create(actor=alice.member, booking=book(alice), kind="check_in")
    with pytest.raises(ValidationFailed):
        inspection_photo_add(
            actor=alice.member, inspection=inspection, angle="roof", upload=photo()
        )


@pytest.mark.parametrize(
    "data",
    [{"cleanliness": 0}, {"cleanliness": 6}, {"energy_pct": 101}, {"odometer_km": -1}, {"x": 1}],
)
def test_out_of_range_readings_are_refused(alice: Tenant, data: dict[str, Any]) -> None:
    inspection = inspection_create(actor=alice.member, booking=book(alice), kind="check_in")
    with pytest.raises(ValidationFailed):
        inspection_update(actor=alice.member, inspection=inspection, data=data)


def test_inspections_are_visible_to_the_driver_and_the_managers_only(
    alice: Tenant, bob: Tenant
) -> None:
    inspection = inspection_create(actor=alice.member, booking=book(alice), kind="check_in")
    assert inspection in inspections_visible_to(alice.member)
    assert inspection in inspections_visible_to(alice.manager)
    for outsider in (other_member(alice), bob.manager, bob.member):
        assert inspection not in inspections_visible_to(outsider)
    assert Inspection.objects.count() == 1
