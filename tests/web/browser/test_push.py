"""Web Push in the browser: the profile offers this device where the
browser can take push notifications, and the service worker shows a
notification pushed by the platform with its title, text and page."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.core import clock
from tests.booking.test_services import NOW
from tests.conftest import Tenant
from tests.web.browser.conftest import Visit
from tests.web.views.test_profile import vapid  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_the_service_worker_shows_a_pushed_notification(
    visit: Visit,
    alice: Tenant,
    vapid: None,  # noqa: F811
) -> None:
    page = visit.open(alice.member, locale="en-GB")
    page.context.grant_permissions(["notifications"], origin=visit.base)
    page.goto(visit.url("/profile/"))
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.locator("#push-device").is_visible()
    assert page.get_by_role("button", name="Receive my notifications on this device").is_visible()
    [worker] = page.context.service_workers
    shown = worker.evaluate(
        """async () => {
            await self.showPushed({title: "Réservation confirmée", body: "Renault Zoe, 9:00",
                                   url: "/c/x/bookings/1/", tag: "booking-1"});
            const shown = await self.registration.getNotifications();
            return shown.map((n) => [n.title, n.body, n.tag, n.data.url]);
        }"""
    )
    assert shown == [
        ["Réservation confirmée", "Renault Zoe, 9:00", "booking-1", "/c/x/bookings/1/"]
    ]
    assert page.js_errors == []
