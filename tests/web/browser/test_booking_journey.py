"""A member searches, sees the quote, books, finds the booking in their
list and cancels it after reading the fee, in French and in English, on a
desktop and on a 360 px phone."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.core import clock
from flotte.pricing.services import tariff_create
from tests import factories as f
from tests.booking.test_services import NOW, book
from tests.conftest import Tenant
from tests.web.browser.conftest import PHONE, Visit, overflow
from tests.web.views.conftest import local

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "search": "Rechercher",
        "book": "Réserver",
        "booked": "Réservé",
        "mine": "Mes réservations",
        "cancel": "Annuler cette réservation",
        "fee": "Annuler maintenant coûte 5,00 € (frais d’annulation).",
        "confirm": "Annuler et payer 5,00 €",
        "cancelled": "Votre réservation est annulée. Frais d’annulation : 5,00 €.",
        "price": "10,00 €",
    },
    "en": {
        "search": "Search",
        "book": "Book",
        "booked": "Booked",
        "mine": "My bookings",
        "cancel": "Cancel this booking",
        "fee": "Cancelling now costs €5.00 (cancellation fee).",
        "confirm": "Cancel and pay €5.00",
        "cancelled": "Your booking is cancelled. Cancellation fee: €5.00.",
        "price": "€10.00",
    },
}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 09:00 in Paris
        yield


@pytest.fixture
def priced(alice: Tenant) -> Tenant:
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.20"),
    )
    gare = f.StationFactory(
        organisation=alice.organisation,
        name="Gare",
        latitude=alice.station.latitude + Decimal("0.01"),
    )
    gare.communities.add(alice.community)
    return alice


@pytest.mark.parametrize("language", ["fr", "en"])
def test_search_quote_book_list_and_cancel_with_the_fee_shown(
    visit: Visit, priced: Tenant, language: str
) -> None:
    words = WORDS[language]
    page = visit.open(priced.member, locale="fr-FR")
    page.goto(visit.url(f"/c/{priced.community.slug}/book/"))
    if language == "en":  # French by default; the switch in the footer
        page.select_option("#language", "en")
        page.get_by_role("button", name="Changer de langue").click()
        page.wait_for_url(re.compile(r"/book/$"))
    assert page.locator("html").get_attribute("lang") == language

    # The map shows the stations without any tile, and a marker picks one.
    markers = page.locator("#station-map .leaflet-marker-icon")
    assert markers.count() == 2
    page.locator("#station-map .leaflet-marker-icon[title='Gare']").click()
    station = page.locator("#id_station")
    assert station.input_value() == str(priced.station.__class__.objects.get(name="Gare").pk)
    station.select_option(str(priced.station.pk))

    page.fill("#id_start", local(4))  # 13:00 to 15:00 today: within 24 h, so the fee
    page.fill("#id_end", local(6))
    page.fill("#id_km", "10")
    page.get_by_role("button", name=words["search"], exact=True).click()
    offer = page.locator("article.offer")
    assert offer.count() == 1
    assert words["price"] in offer.locator(".price").inner_text()
    page.fill("#id_purpose", "Réunion à la préfecture")  # asked for business trips
    visit.screenshot(page, f"search-results-{language}")

    offer.get_by_role("button", name=re.compile(words["book"])).click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    assert words["booked"] in page.locator("main .notice").first.inner_text()
    booking = Booking.objects.get()
    assert (booking.vehicle, booking.declared_km, booking.quoted_total, booking.purpose) == (
        priced.vehicle,
        10,
        Decimal("10.00"),
        "Réunion à la préfecture",
    )

    page.get_by_role("link", name=words["mine"], exact=True).first.click()
    page.locator(f"a[href$='/bookings/{booking.pk}/']").click()
    page.get_by_role("link", name=words["cancel"]).click()
    assert page.locator(".fee").inner_text() == words["fee"]
    visit.screenshot(page, f"cancel-fee-{language}")
    booking.refresh_from_db()
    assert booking.state == "confirmed"  # nothing happens before confirming
    page.get_by_role("button", name=words["confirm"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert page.locator("main .notice").first.inner_text() == words["cancelled"]
    booking.refresh_from_db()
    assert (booking.state, booking.cancellation_fee) == ("cancelled", Decimal("5.00"))
    assert page.js_errors == []


def test_nothing_overflows_a_360_px_screen(visit: Visit, priced: Tenant) -> None:
    current = book(priced, 0, 2)
    later = book(priced, 30, 32)
    page = visit.open(priced.member, viewport=PHONE)
    slug = priced.community.slug
    query = f"start={local(4)}&end={local(6)}&km=10&use=business&purpose=x"
    for name, path in [
        ("community", f"/c/{slug}/"),
        ("search", f"/c/{slug}/book/?{query}"),
        ("bookings", f"/c/{slug}/bookings/"),
        ("trip", f"/c/{slug}/bookings/{current.pk}/"),
        ("cancel", f"/c/{slug}/bookings/{later.pk}/cancel/"),
        ("key", f"/c/{slug}/bookings/{current.pk}/key/"),
    ]:
        page.goto(visit.url(path))
        assert overflow(page) == 0, f"{name} is wider than 360 px"
        visit.screenshot(page, f"phone-{name}")
    assert page.js_errors == []
