"""Inspections and incident reports in a member's data export and erasure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from flotte.accounts.privacy import member_data_export, member_erase
from flotte.booking.lifecycle import booking_end
from flotte.core import clock
from flotte.inspections.incidents import incident_photo_add
from flotte.inspections.models import Incident, Inspection
from tests.booking.test_services import NOW, hours
from tests.conftest import Tenant
from tests.inspections.conftest import MARK, photo, submitted
from tests.inspections.test_incidents import _report, _trip
from tests.telematics.test_commands import other_member


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def _records(alice: Tenant) -> tuple[Inspection, Incident]:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        inspection = submitted(booking, "check_out", marks=[MARK])
        incident = _report(alice, booking, latitude=Decimal("45.1"), longitude=Decimal("5.7"))
        incident_photo_add(actor=alice.member, incident=incident, upload=photo())
    with clock.frozen(hours(3)):
        booking_end(actor=alice.member, booking=booking, km=10)
    return inspection, incident


def test_export_holds_the_members_inspections_and_incidents_with_their_photos(
    alice: Tenant,
) -> None:
    inspection, incident = _records(alice)
    data = member_data_export(alice.member)
    [exported] = data["inspections"]
    assert exported["kind"] == "check_out"
    assert exported["marks"] == inspection.marks
    assert len(exported["photos"]) == inspection.photos.count() > 0
    [reported] = data["incidents"]
    assert reported["position"] == {"latitude": 45.1, "longitude": 5.7}
    assert [p["id"] for p in reported["photos"]] == [incident.photos.get().pk]
    # Another member of the same organisation sees none of it in theirs.
    other = member_data_export(other_member(alice))
    assert other["inspections"] == [] and other["incidents"] == []


def test_erasure_keeps_the_vehicles_condition_but_forgets_where_the_member_was(
    alice: Tenant,
) -> None:
    inspection, incident = _records(alice)
    with clock.frozen(hours(4)):
        member_erase(actor=alice.member, user=alice.member)
    incident.refresh_from_db()
    assert (incident.latitude, incident.longitude) == (None, None)
    assert incident.description and incident.photos.count() == 1
    assert Inspection.objects.get(pk=inspection.pk).marks == inspection.marks
