"""A new member's whole way, in the browser and with the simulated box:
sign up with the licence and identity documents, validation by a fleet
manager in the console, search and book, the check-in inspection, unlock,
drive, end the trip at the station, and the invoice with its PDF."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from flotte.accounts.models import DriverApproval, User
from flotte.billing.models import Invoice
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.telematics.models import Command
from tests.booking.test_services import NOW, set_param
from tests.conftest import Tenant
from tests.inspections.conftest import image_bytes
from tests.telematics.messages import FakeBox, send
from tests.web.browser.conftest import PHONE, Visit
from tests.web.views.conftest import local, priced  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

EMAIL = "lea.morel@example.org"
ANGLES = ["front", "rear", "left", "right", "interior", "dashboard"]


def png(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/png", "buffer": image_bytes()}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 09:00 in Paris
        yield


def test_sign_up_validation_booking_inspection_trip_and_invoice(
    visit: Visit,
    priced: Tenant,  # noqa: F811
) -> None:
    alice = priced
    slug = alice.community.slug
    set_param(alice, "inspection_check_in_required", True)
    set_param(alice, "billing_enabled", True)
    box = FakeBox(alice.box.box_id)
    send(box.telemetry(NOW - dt.timedelta(minutes=5)))

    # Sign up on the community's page, on a phone.
    member = visit.open(locale="en-GB", viewport=PHONE)
    member.goto(visit.url(f"/c/{slug}/"))
    member.get_by_role("link", name="Sign up").click()
    member.get_by_label("First name").fill("Léa")
    member.get_by_label("Last name").fill("Morel")
    member.get_by_label("E-mail").fill(EMAIL)
    member.get_by_label("Password").fill("un-long-mot-de-passe")
    member.get_by_role("button", name="Create my account").click()
    member.wait_for_url(re.compile(r"/signup/$"))
    [welcome] = [m for m in mail.outbox if m.to == [EMAIL]]
    link = re.search(r"https?://\S+/verify/\S+/", welcome.body)
    assert link is not None, welcome.body
    member.goto(visit.url(re.sub(r"^https?://[^/]+", "", link.group(0))))
    member.wait_for_url(re.compile(r"/profile/$"))

    # The driver profile with the licence and identity documents.
    member.fill("input[name=birth_date]", "1990-04-12")
    member.fill("input[name=licence_number]", "12AB34567")
    member.fill("input[name=licence_issued_on]", "2010-06-01")
    member.fill("input[name=licence_expires_on]", "2035-06-01")
    member.set_input_files("input[name=licence_document]", files=[png("permis.png")])
    member.set_input_files("input[name=identity_document]", files=[png("identite.png")])
    member.get_by_role("button", name="Save and send for validation").click()
    lea = User.objects.get(email=EMAIL)
    approval = DriverApproval.objects.get(user=lea, organisation=alice.organisation)
    assert approval.status == "submitted"
    member.goto(visit.url(f"/c/{slug}/"))
    assert "Complete my driver profile" in member.content()  # not validated yet

    # The manager validates the profile from the console's queue.
    manager = visit.open(alice.manager, locale="en-GB")
    manager.goto(visit.url(f"/manage/{alice.organisation.pk}/members/?status=submitted"))
    manager.get_by_role("link", name="Léa Morel").click()
    assert manager.locator("a[href*='/documents/licence']").count() == 1
    manager.get_by_role("button", name="Validate the driver profile").click()
    approval.refresh_from_db()
    assert approval.status == "validated"

    # Search and book.
    member.goto(visit.url(f"/c/{slug}/book/"))
    member.fill("#id_start", local(0))
    member.fill("#id_end", local(2))
    member.fill("#id_km", "12")
    member.get_by_role("button", name="Search", exact=True).click()
    offer = member.locator("article.offer")
    assert offer.count() == 1
    if member.locator("#id_purpose").count():
        member.fill("#id_purpose", "Rendez-vous à la mairie annexe")
    offer.get_by_role("button", name=re.compile("Book")).click()
    member.wait_for_url(re.compile(r"/bookings/\d+/$"))
    booking = Booking.objects.get(member=lea)
    assert booking.quoted_total == Decimal("8.00") + Decimal("2.40")

    # The check-in the organisation asks for comes before the unlock.
    assert member.get_by_role("button", name="Unlock").count() == 0
    member.get_by_role("link", name="Do the check-in inspection").click()
    for angle in ANGLES:
        member.set_input_files(f"#id_photo_{angle}", files=[png(f"{angle}.png")])
    member.get_by_role("button", name="Send the photos").click()
    member.wait_for_selector("#missing-angles.success")
    member.get_by_label("Fuel or battery level (%)").fill("80")
    member.get_by_label("Odometer (km)").fill("1000")
    member.check("input[name=cleanliness][value='5']")
    member.get_by_role("button", name="Submit the inspection").click()

    # Unlock: the box opens the car, and the trip starts.
    member.get_by_role("button", name="Unlock").click()
    member.wait_for_selector("#command-state .command-state")
    unlock = Command.objects.get(kind="unlock", booking=booking)
    send(box.ack(str(unlock.pk)))
    send(box.event("unlocked", source="app", booking_id=str(booking.pk)))
    member.wait_for_selector("#command-state .state-acked")
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED

    # Back at the station 90 minutes and 12 km later, ignition off, doors closed.
    with clock.frozen(NOW + dt.timedelta(minutes=90)):
        send(box.telemetry(odometer_km=1012.0, ignition=False, doors_closed=True))
        member.reload()
        member.get_by_role("button", name="End the trip").click()
        member.wait_for_load_state()
        booking.refresh_from_db()
        assert booking.state == Booking.State.ENDED
        assert booking.actual_km == 12

        # The invoice, issued by the platform at the end, with its PDF.
        invoice = Invoice.objects.get(booking=booking)
        assert invoice.state == Invoice.State.ISSUED
        # The two hours booked (an early return does not shorten them) at 4.00,
        # and the 12 km driven at 0.20.
        assert invoice.total_incl_vat == Decimal("8.00") + Decimal("2.40")
        member.goto(visit.url(f"/c/{slug}/invoices/"))
        assert invoice.number in member.locator("main").inner_text()
        with member.expect_download() as download:
            member.get_by_role("link", name=re.compile("Download the PDF")).first.click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    visit.screenshot(member, "journey-invoices-phone")
    assert member.js_errors == [] and manager.js_errors == []
