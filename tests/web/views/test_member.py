"""Search, book, my bookings, change and cancel, through the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from flotte.booking import params
from flotte.booking.models import Booking
from tests import factories as f
from tests.booking.test_services import book, hours, set_param
from tests.conftest import Tenant
from tests.web.views.conftest import local


def search(client: Client, tenant: Tenant, start: float = 2, end: float = 4, **extra: Any) -> Any:
    query = {"start": local(start), "end": local(end), "km": 10, "use": "business", **extra}
    return client.get(f"/c/{tenant.community.slug}/book/", query)


def book_on_page(client: Client, tenant: Tenant, **extra: Any) -> Any:
    data = {
        "vehicle": tenant.vehicle.pk,
        "start": local(2),
        "end": local(4),
        "km": 10,
        "use": "business",
        "purpose": "Visite de chantier",
        **extra,
    }
    return client.post(f"/c/{tenant.community.slug}/book/confirm/", data)


def test_the_search_page_offers_the_stations_as_a_list_and_a_map(
    alice: Tenant, member: Client
) -> None:
    page = member.get(f"/c/{alice.community.slug}/book/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{alice.station.pk}">{alice.station.name}</option>' in html
    assert 'id="station-map"' in html and str(float(alice.station.latitude)) in html
    assert '<label for="id_start">' in html and 'type="datetime-local"' in html
    assert "Réserver une voiture" in html  # French by default


def test_a_search_shows_each_free_vehicle_with_its_quote(priced: Tenant, member: Client) -> None:
    page = search(member, priced)
    html = page.content.decode()
    assert priced.vehicle.plate in html
    # 2 h at 4 € and 10 km at 0.20 €, in French
    assert "10,00 €" in html
    assert page.context["offers"][0].quote.total == Decimal("10.00")


def test_booking_from_the_results_takes_one_tap_and_lands_on_the_booking(
    priced: Tenant, member: Client
) -> None:
    response = book_on_page(member, priced)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/c/{priced.community.slug}/bookings/{booking.pk}/"
    assert (booking.start, booking.end) == (hours(2), hours(4))
    assert (booking.declared_km, booking.purpose, booking.quoted_total) == (
        10,
        "Visite de chantier",
        Decimal("10.00"),
    )
    listing = member.get(f"/c/{priced.community.slug}/bookings/").content.decode()
    assert f"/bookings/{booking.pk}/" in listing


def test_a_business_trip_without_purpose_is_refused_on_the_purpose_field(
    alice: Tenant, member: Client
) -> None:
    page = book_on_page(member, alice, purpose="")
    assert page.status_code == 200
    assert page.context["form"].errors["purpose"] == [
        "Indiquez le motif du trajet ou le centre de coût."
    ]
    assert not Booking.objects.exists()


def test_times_the_rules_refuse_are_shown_on_their_field(alice: Tenant, member: Client) -> None:
    set_param(alice, params.MAX_DURATION.key, 3)
    page = search(member, alice, 2, 8)
    assert page.status_code == 200
    assert page.context["form"].errors["end"] == ["Une réservation dure au plus 3 heures."]
    backwards = search(member, alice, 4, 2)
    assert backwards.context["form"].errors["end"] == [
        "Une réservation se termine après son début."
    ]


def test_a_malformed_search_is_a_form_error_not_a_crash(alice: Tenant, member: Client) -> None:
    page = member.get(
        f"/c/{alice.community.slug}/book/",
        {"start": "demain", "end": "", "km": "-3", "use": "business"},
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"start", "end", "km"}


def test_a_vehicle_taken_meanwhile_is_said_on_the_form(alice: Tenant, member: Client) -> None:
    other = f.UserFactory()
    f.MembershipFactory(user=other, community=alice.community, group=alice.community.default_group)
    f.DriverProfileFactory(user=other)
    f.DriverApprovalFactory(organisation=alice.organisation, user=other, status="validated")
    book(alice, 2, 4, member=other)
    page = book_on_page(member, alice)
    assert page.status_code == 200
    assert "Ce véhicule est déjà réservé à ce moment-là." in page.context["form"].non_field_errors()


def test_when_nothing_is_free_the_nearest_alternatives_are_offered(
    alice: Tenant, member: Client
) -> None:
    elsewhere = f.StationFactory(organisation=alice.organisation, name="Gare")
    elsewhere.communities.add(alice.community)
    spare = f.VehicleFactory(organisation=alice.organisation, home_station=elsewhere)
    spare.communities.add(alice.community)
    book(alice, 2, 4)
    page = search(member, alice, station=alice.station.pk)
    assert page.context["offers"] == []
    alternatives = page.context["alternatives"]
    assert alternatives[0].offer.vehicle == spare
    html = page.content.decode()
    assert "Aucun véhicule n’est libre pour ce choix" in html
    assert spare.plate in html
    # the alternative books in one tap, at its own station and time
    response = book_on_page(member, alice, vehicle=spare.pk, station=alice.station.pk)
    assert response.status_code == 302
    assert Booking.objects.filter(vehicle=spare).exists()


def test_cancelling_shows_the_fee_before_confirming_then_charges_it(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 10, 12)  # inside the 24 hours: the 5 € fee
    confirm = member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/cancel/")
    assert "Annuler maintenant coûte 5,00 € (frais d’annulation)." in confirm.content.decode()
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED  # nothing happens until confirmed
    response = member.post(f"/c/{alice.community.slug}/bookings/{booking.pk}/cancel/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.state, booking.cancellation_fee) == ("cancelled", Decimal("5.00"))


def test_cancelling_early_is_said_to_be_free(alice: Tenant, member: Client) -> None:
    booking = book(alice, 48, 50)
    confirm = member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/cancel/")
    assert confirm.context["fee"] == Decimal("0.00")
    assert "Annuler maintenant est gratuit." in confirm.content.decode()


def test_extending_a_booking_moves_its_end(alice: Tenant, member: Client) -> None:
    booking = book(alice, 2, 4)
    response = member.post(
        f"/c/{alice.community.slug}/bookings/{booking.pk}/change/", {"end": local(5)}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.end == hours(5)


def test_an_extension_onto_the_next_booking_is_refused_on_the_form(
    alice: Tenant, member: Client
) -> None:
    booking = book(alice, 2, 4)
    book(alice, 6, 8)
    page = member.post(
        f"/c/{alice.community.slug}/bookings/{booking.pk}/change/", {"end": local(7)}
    )
    assert page.status_code == 200
    assert page.context["change_form"].non_field_errors()
    booking.refresh_from_db()
    assert booking.end == hours(4)


def test_the_pages_are_in_english_for_who_asks(alice: Tenant, member: Client) -> None:
    member.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = member.get(f"/c/{alice.community.slug}/book/")
    assert "Book a car" in page.content.decode()
    assert 'lang="en"' in page.content.decode()


def test_anonymous_visitors_are_asked_to_log_in(alice: Tenant, client: Client) -> None:
    response = client.get(f"/c/{alice.community.slug}/book/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_another_organisations_member_gets_404_everywhere(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    booking = book(alice, 2, 4)
    client.force_login(bob.member)
    slug = alice.community.slug
    for url in [
        f"/c/{slug}/book/",
        f"/c/{slug}/bookings/",
        f"/c/{slug}/bookings/{booking.pk}/",
        f"/c/{slug}/bookings/{booking.pk}/cancel/",
        f"/c/{slug}/bookings/{booking.pk}/key/",
        # Alice's booking under Bob's own community
        f"/c/{bob.community.slug}/bookings/{booking.pk}/",
        f"/c/{bob.community.slug}/bookings/{booking.pk}/cancel/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/c/{bob.community.slug}/bookings/{booking.pk}/cancel/",
        f"/c/{bob.community.slug}/bookings/{booking.pk}/change/",
        f"/c/{bob.community.slug}/bookings/{booking.pk}/end/",
    ]:
        assert client.post(url, {"end": local(5)}).status_code == 404, url
    booking.refresh_from_db()
    assert (booking.state, booking.end) == ("confirmed", hours(4))
    # Bob's own vehicle cannot be booked through Alice's community either
    client.force_login(alice.member)
    response = book_on_page(client, alice, vehicle=bob.vehicle.pk)
    assert response.status_code == 404
    assert Booking.objects.count() == 1


def test_another_member_of_the_same_community_cannot_see_a_booking(
    alice: Tenant, client: Client
) -> None:
    booking = book(alice, 2, 4)
    other = f.UserFactory()
    f.MembershipFactory(user=other, community=alice.community)
    client.force_login(other)
    assert client.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").status_code == 404
    assert client.post(f"/c/{alice.community.slug}/bookings/{booking.pk}/cancel/").status_code == (
        404
    )
