"""A late return seen by the next member: the car is not back, the platform
moves the next booking to an equivalent free car at the same station, and
the next member finds the new car in the app and in their mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from flotte.booking.models import Booking, ManagerAlert
from flotte.booking.transfers import late_return_sweep
from flotte.core import clock
from tests import factories as f
from tests.booking.test_services import NOW, book, hours
from tests.booking.test_transfers import twin
from tests.conftest import Tenant
from tests.telematics.messages import FakeBox, send
from tests.web.browser.conftest import PHONE, Visit

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_a_late_return_moves_the_next_booking_and_its_member_sees_the_new_car(
    visit: Visit, alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    box = FakeBox(alice.box.box_id)
    send(box.telemetry(NOW - dt.timedelta(minutes=5)))
    late = book(alice, 0, 2)
    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("unlocked", source="app", booking_id=str(late.pk)))
    colleague = f.UserFactory(first_name="Inès")
    f.MembershipFactory(
        user=colleague, community=alice.community, group=alice.member.memberships.get().group
    )
    f.DriverProfileFactory(user=colleague)
    f.DriverApprovalFactory(organisation=alice.organisation, user=colleague, status="validated")
    following = book(alice, 3, 4, member=colleague)
    spare = twin(alice)
    mail.outbox.clear()

    # Fifteen minutes after the end the car is not back; the next booking is 45 minutes away.
    with clock.frozen(hours(2.25)), django_capture_on_commit_callbacks(execute=True):
        late_return_sweep()
        following.refresh_from_db()
        assert following.vehicle == spare
        assert ManagerAlert.objects.filter(booking=late, kind="late_return").exists()
        assert [m.to for m in mail.outbox if spare.plate in m.body] == [[colleague.email]]

        page = visit.open(colleague, locale="en-GB", viewport=PHONE)
        page.goto(visit.url(f"/c/{alice.community.slug}/bookings/"))
        page.get_by_role("link", name=f"{spare.make} {spare.model}").first.click()
        notice = page.locator("#transfer-notice")
        assert alice.vehicle.plate in notice.inner_text()
        assert "previous driver is late" in notice.inner_text()
        assert spare.plate in page.locator(".facts .plate").inner_text()
        visit.screenshot(page, "booking-transferred")
        assert page.js_errors == []
    late.refresh_from_db()
    assert late.state == Booking.State.STARTED
