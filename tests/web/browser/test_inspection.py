"""The check-in inspection on a phone: photos of each angle, a damage mark
tapped on the car outline, the readings, then the unlock the organisation
held back until the check-in was submitted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flotte.core import clock
from flotte.inspections.models import Inspection, Photo
from flotte.telematics.models import Command
from tests.booking.test_services import NOW, book, set_param
from tests.conftest import Tenant
from tests.inspections.conftest import image_bytes
from tests.telematics.messages import FakeBox, send
from tests.web.browser.conftest import PHONE, Visit, overflow

pytestmark = pytest.mark.browser

ANGLES = ["front", "rear", "left", "right", "interior", "dashboard"]


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_the_check_in_on_a_phone_then_unlock(visit: Visit, alice: Tenant) -> None:
    box = FakeBox(alice.box.box_id)
    send(box.telemetry(NOW - dt.timedelta(minutes=5)))
    set_param(alice, "inspection_check_in_required", True)
    booking = book(alice, 0, 2)
    page = visit.open(alice.member, locale="en-GB", viewport=PHONE)
    page.goto(visit.url(f"/c/{alice.community.slug}/bookings/{booking.pk}/"))
    assert page.get_by_role("button", name="Unlock").count() == 0
    visit.screenshot(page, "inspection-required-phone")
    page.get_by_role("link", name="Do the check-in inspection").click()
    page.wait_for_selector("#car-outline")
    assert overflow(page) == 0

    for angle in ANGLES:
        page.set_input_files(
            f"#id_photo_{angle}",
            files=[{"name": f"{angle}.png", "mimeType": "image/png", "buffer": image_bytes()}],
        )
    page.get_by_role("button", name="Send the photos").click()
    page.wait_for_selector("#missing-angles.success")
    assert Photo.objects.filter(inspection__booking=booking).count() == len(ANGLES)

    outline = page.locator("#car-outline")
    size = outline.bounding_box()
    outline.click(position={"x": size["width"] * 0.25, "y": size["height"] * 0.4})
    assert page.locator("#mark-pending").get_attribute("visibility") == "visible"
    assert "front left door" in page.locator("#mark-place").inner_text()
    page.locator("#id_kind").select_option("dent")
    page.get_by_label("Short description").fill("Porte enfoncée")
    page.get_by_role("button", name="Add the mark").click()
    page.wait_for_selector(".marks-list li")
    mark = Inspection.objects.get(booking=booking).marks[0]
    assert mark["view"] == "top" and mark["kind"] == "dent" and mark["note"] == "Porte enfoncée"
    assert abs(mark["x"] - 0.25) < 0.02 and abs(mark["y"] - 0.4) < 0.02
    assert page.locator("#car-outline .mark").count() == 1

    page.get_by_label("Fuel or battery level (%)").fill("75")
    page.get_by_label("Odometer (km)").fill("20431")
    page.check("input[name=cleanliness][value='4']")
    visit.screenshot(page, "inspection-check-in-phone")
    page.get_by_role("button", name="Submit the inspection").click()

    unlock = page.get_by_role("button", name="Unlock")
    unlock.wait_for()
    inspection = Inspection.objects.get(booking=booking)
    assert (inspection.state, inspection.energy_pct, inspection.odometer_km) == (
        "submitted",
        75,
        20431,
    )
    unlock.click()
    page.wait_for_selector("#command-state .command-state")
    command = Command.objects.get(kind="unlock")
    send(box.ack(str(command.pk)))
    page.wait_for_selector("#command-state .state-acked")
    assert overflow(page) == 0
    assert page.js_errors == []
