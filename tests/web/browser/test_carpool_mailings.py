"""Carpooling and the console's mailings in a browser: a driver offers the
seats of a booking (too many refused on the form), a passenger finds the
trip and asks, the driver accepts and the passenger sees it; a manager
writes a mailing, sees how many it reaches, sends it and sees it sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.core import clock
from flotte.notify.models import Mailing
from tests import factories as f
from tests.booking.test_services import NOW
from tests.carpool.conftest import TOWN_HALL, a_booking, member_of
from tests.conftest import Tenant
from tests.web.browser.conftest import PHONE, Visit, overflow
from tests.web.views.test_member_carpool import field

pytestmark = pytest.mark.browser
ENGLISH = "en-GB"


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def test_a_driver_offers_seats_a_passenger_asks_and_is_accepted(
    alice: Tenant, visit: Visit
) -> None:
    town_hall = f.StationFactory(
        organisation=alice.organisation,
        name="Hôtel de ville",
        latitude=TOWN_HALL[0],
        longitude=TOWN_HALL[1],
    )
    booking = a_booking(alice)
    slug = alice.community.slug

    driver = visit.open(alice.member, locale=ENGLISH)
    driver.goto(visit.url(f"/c/{slug}/bookings/{booking.pk}/"))
    driver.locator(f'a[href="/c/{slug}/carpool/bookings/{booking.pk}/offer/"]').click()
    driver.locator("#id_seats").fill("5")
    driver.locator("#id_destination_station").select_option(str(town_hall.pk))
    driver.locator("#carpool-offer button[type=submit]").click()
    error = driver.locator("#id_seats_error")
    error.wait_for()
    assert "4" in error.inner_text()
    assert not CarpoolOffer.objects.exists()
    visit.screenshot(driver, "carpool-offer-refused")

    driver.locator("#id_seats").fill("2")
    driver.locator("#carpool-offer button[type=submit]").click()
    driver.locator("#carpool-requests, #seats-free").first.wait_for()
    offer = CarpoolOffer.objects.get()
    assert offer.destination_station == town_hall and offer.seats == 2

    rider = member_of(alice, "passenger-alice@example.org")
    passenger = visit.open(rider, locale=ENGLISH, viewport=PHONE)
    passenger.goto(visit.url(f"/c/{slug}/carpool/"))
    passenger.locator("#id_origin_station").select_option(str(alice.station.pk))
    passenger.locator("#id_destination_station").select_option(str(town_hall.pk))
    passenger.locator("#id_start").fill(field(offer.departure_at - dt.timedelta(minutes=30)))
    passenger.locator("#id_end").fill(field(offer.departure_at + dt.timedelta(hours=2)))
    passenger.locator("#carpool-search button[type=submit]").click()
    result = passenger.locator("#carpool-results li.carpool-match")
    result.first.wait_for()
    assert result.count() == 1 and "Hôtel de ville" in result.inner_text()
    assert overflow(passenger) == 0
    visit.screenshot(passenger, "carpool-search-phone")
    result.locator("a.button").click()
    passenger.locator("#id_message").fill("Devant la gare ?")
    passenger.locator("#carpool-ask button[type=submit]").click()
    passenger.locator("#my-requests .state-pending").wait_for()
    request = CarpoolRequest.objects.get()
    assert request.passenger == rider and request.state == "pending"

    driver.reload()
    driver.locator("#carpool-requests").get_by_text("Devant la gare ?").wait_for()
    driver.locator(f'form[action$="/carpool/requests/{request.pk}/accept/"] button').click()
    driver.locator("#carpool-requests .state-accepted").wait_for()
    visit.screenshot(driver, "carpool-driver-accepted")

    passenger.reload()
    passenger.locator("#my-requests .state-accepted").wait_for()
    request.refresh_from_db()
    assert request.state == "accepted"
    assert driver.js_errors == [] and passenger.js_errors == []


def test_a_manager_writes_previews_and_sends_a_mailing(alice: Tenant, visit: Visit) -> None:
    for index in range(2):
        reader = f.UserFactory(email=f"reader-{index}@example.org")
        f.MembershipFactory(
            user=reader, community=alice.community, group=alice.community.default_group
        )
    page = visit.open(alice.manager, locale=ENGLISH)
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/"))
    page.locator(f'nav a[href="/manage/{alice.organisation.pk}/mailings/"]').click()
    page.locator("#id_audience").select_option(f"community:{alice.community.pk}")
    page.locator("#id_subject_fr").fill("Nouvelle station à la gare")
    page.locator("#mailing-form button[type=submit]").click()
    page.locator("#id_body_fr_error").wait_for()  # a subject without its message
    assert not Mailing.objects.exists()

    page.locator("#id_body_fr").fill("Une nouvelle station ouvre lundi.")
    page.locator("#mailing-form button[type=submit]").click()
    count = page.locator("#recipient-count")
    count.wait_for()
    assert "3" in count.inner_text()  # Alice's member and the two readers
    visit.screenshot(page, "manage-mailing-preview")
    page.locator(f'form[action$="/mailings/{Mailing.objects.get().pk}/send/"] button').click()
    page.locator("#sent-count").wait_for()
    page.wait_for_function("document.querySelector('#sent-count').textContent.trim() === '3'")
    assert len(mail.outbox) == 3
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/mailings/"))
    assert page.locator("#mailings td.sent-count").inner_text().strip() == "3"
    visit.screenshot(page, "manage-mailings")
    assert page.js_errors == []
