"""The manager console in a browser: the planning (see the grid, book for
a member, cancel), the parameters (change one, see it take effect in the
member app), and the dashboard on a 360 px phone."""

from __future__ import annotations

from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.core import clock
from tests.booking.test_services import NOW, book
from tests.conftest import Tenant
from tests.web.browser.conftest import PHONE, Visit, overflow
from tests.web.views.conftest import local

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 09:00 in Paris
        yield


def test_manager_planning_book_for_a_member_then_cancel(alice: Tenant, visit: Visit) -> None:
    page = visit.open(alice.manager, viewport={"width": 1280, "height": 900})
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/planning/"))
    grid = page.get_by_role("region", name="Planning des véhicules")
    assert alice.vehicle.plate in grid.inner_text()

    page.locator("#id_member").select_option(str(alice.member.pk))
    page.locator("#id_community").select_option(str(alice.community.pk))
    page.locator("#id_vehicle").select_option(str(alice.vehicle.pk))
    page.locator("#id_start").fill(local(3))
    page.locator("#id_end").fill(local(6))
    page.get_by_label("Motif", exact=False).fill("Réunion de quartier")
    page.get_by_role("button", name="Réserver", exact=True).click()

    page.get_by_text(f"Réservation faite pour {alice.member.email}.").wait_for()
    bar = page.locator("a.slot.bar-confirmed")
    assert bar.count() == 1 and alice.member.email in bar.inner_text()
    booking = Booking.objects.get()
    assert booking.member == alice.member and booking.booked_by == alice.manager
    visit.screenshot(page, "manage-planning")

    bar.click()
    page.get_by_role("heading", name=f"Réservation de {alice.vehicle.plate}").wait_for()
    page.get_by_role("button", name="Annuler cette réservation").click()
    page.get_by_text("Réservation annulée.").wait_for()
    assert page.locator("a.slot").count() == 0
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED
    visit.screenshot(page, "manage-planning-cancelled")
    assert page.js_errors == []


def test_manager_parameters_change_the_cancellation_fee_and_the_member_sees_it(
    alice: Tenant, visit: Visit
) -> None:
    booking = book(alice, 2, 4)  # within the 24 h before: cancelling costs the fee
    member = visit.open(alice.member)
    member.goto(visit.url(f"/c/{alice.community.slug}/bookings/{booking.pk}/cancel/"))
    assert "5,00 €" in member.content()

    page = visit.open(alice.manager, viewport={"width": 1280, "height": 900})
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/parameters/?q=booking_cancel_fee"))
    card = page.locator("#booking_cancel_fee")
    card.get_by_label("Valeur").fill("sept")
    card.get_by_role("button", name="Enregistrer").click()
    card = page.locator("#booking_cancel_fee")
    card.get_by_role("alert").wait_for()
    visit.screenshot(page, "manage-parameter-refused")

    card.get_by_label("Valeur").fill("7.50")
    card.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Paramètre booking_cancel_fee enregistré.").wait_for()
    assert "7.50" in page.locator("#booking_cancel_fee .values").inner_text()
    visit.screenshot(page, "manage-parameters")

    member.reload()
    assert "7,50 €" in member.content()
    assert page.js_errors == [] and member.js_errors == []


def test_the_dashboard_fits_a_360_px_phone(alice: Tenant, visit: Visit) -> None:
    book(alice, 2, 4)
    page = visit.open(alice.manager, viewport=PHONE)
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/"))
    page.get_by_role("heading", name="Départs du jour").wait_for()
    assert alice.vehicle.plate in page.locator("section", has_text="Départs du jour").inner_text()
    assert overflow(page) == 0
    visit.screenshot(page, "manage-dashboard-phone")
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/planning/"))
    assert overflow(page) == 0  # the grid scrolls inside its own box
    visit.screenshot(page, "manage-planning-phone")
