"""The manager console in a browser: a check-out inspection with its photo
and its marks on the car outline, then its damage excess charged."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.core import clock
from flotte.inspections.models import Inspection
from tests.booking.test_services import NOW
from tests.conftest import Tenant
from tests.web.browser.conftest import Visit
from tests.web.views.test_manage_inspections import inspected

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 09:00 in Paris
        yield


def test_manager_views_an_inspection_with_its_photo_and_charges_the_excess(
    alice: Tenant, visit: Visit
) -> None:
    _check_in, check_out = inspected(alice)
    page = visit.open(alice.manager, locale="en-GB", viewport={"width": 1280, "height": 900})
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/inspections/?kind=check_out"))
    page.get_by_role("link", name="Inspections", exact=True).first.wait_for()
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and check_out.vehicle.plate in rows.inner_text()
    rows.get_by_role("link").click()

    page.get_by_role("heading", name=f"Check-out of {check_out.vehicle.plate}").wait_for()
    # The marks on the outline the driver drew them on: the new scratch on the bonnet.
    assert page.locator("#car-outline .mark").count() == 1
    assert "new" in page.locator(".marks-list").inner_text()
    # The photos come from the console's own address and are real images.
    photo = page.locator("ul.photos img").first
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('ul.photos img')].every(i => i.complete)"
    )
    assert photo.evaluate("img => img.naturalWidth") > 0
    assert f"/manage/{alice.organisation.pk}/inspections/{check_out.pk}/photos/" in (
        photo.get_attribute("src") or ""
    )
    visit.screenshot(page, "manage-inspection")

    page.get_by_label("Damage excess incl. VAT (€)").fill("0")
    page.get_by_role("button", name="Charge the damage excess").click()
    page.locator(".field.invalid").first.wait_for()
    check_out.refresh_from_db()
    assert check_out.invoice_id is None

    page.get_by_label("Damage excess incl. VAT (€)").fill("150")
    page.get_by_role("button", name="Charge the damage excess").click()
    page.get_by_text("Damage excess charged").wait_for()
    charged = Inspection.objects.select_related("invoice").get(pk=check_out.pk)
    assert charged.invoice is not None and charged.invoice.buyer_id == alice.member.pk
    assert page.get_by_role("button", name="Charge the damage excess").count() == 0
    visit.screenshot(page, "manage-inspection-charged")
    assert page.js_errors == []
