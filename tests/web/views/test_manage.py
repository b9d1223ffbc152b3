"""The manager console through the pages: each page for its manager, a 404
for another organisation's manager, a 403 for a member, errors on forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from flotte.accounts.parameters import param_value
from flotte.booking.models import Booking, ManagerAlert
from flotte.core import clock
from tests import factories as f
from tests.booking.test_services import book
from tests.conftest import Tenant
from tests.web.views.conftest import local


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


def org_url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/{rest}"


def book_data(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {
        "member": tenant.member.pk,
        "community": tenant.community.pk,
        "vehicle": tenant.vehicle.pk,
        "start": local(2),
        "end": local(4),
        "purpose": "Réunion",
        **extra,
    }


# Layout and access


def test_the_console_sends_a_manager_of_one_organisation_to_its_dashboard(
    alice: Tenant, manager: Client
) -> None:
    response = manager.get("/manage/")
    assert response.status_code == 302
    assert response["Location"] == org_url(alice)


def test_a_manager_of_several_organisations_chooses_one(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    f.OrganisationManagerFactory(user=alice.manager, organisation=bob.organisation)
    page = manager.get("/manage/")
    assert page.status_code == 200
    assert alice.organisation.name in page.content.decode()
    assert bob.organisation.name in page.content.decode()


def test_a_visitor_is_sent_to_the_login_page(alice: Tenant, client: Client) -> None:
    response = client.get(org_url(alice))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_member_who_manages_nothing_is_refused_the_console(alice: Tenant, client: Client) -> None:
    """Every page of the console, for members and other organisations: see
    tests/web/views/test_access.py."""
    client.force_login(alice.member)
    assert client.get("/manage/").status_code == 403
    assert client.get(org_url(alice)).status_code == 403


# Dashboard


def test_the_dashboard_shows_todays_departures_late_trips_and_alerts(
    alice: Tenant, manager: Client
) -> None:
    booking = book(alice, 2, 4)
    # Another car, out since five hours and due back an hour ago: its
    # blocked time runs on (PostgreSQL's exclusion constraint checks it).
    other = f.VehicleFactory(
        organisation=alice.organisation, home_station=alice.station, communities=[alice.community]
    )
    late = book(alice, 6, 8, vehicle=other)
    Booking.objects.filter(pk=late.pk).update(
        state=Booking.State.STARTED,
        start=clock.now() - dt.timedelta(hours=5),
        end=clock.now() - dt.timedelta(hours=1),
        blocked_until=clock.now() + dt.timedelta(hours=1),
    )
    alert = ManagerAlert.objects.create(
        organisation=alice.organisation,
        kind=ManagerAlert.Kind.TAMPER,
        vehicle=alice.vehicle,
        message="tamper",
        created_at=clock.now(),
    )
    page = manager.get(org_url(alice))
    assert page.status_code == 200
    assert booking in page.context["departures"]
    assert late in page.context["late"]
    html = page.content.decode()
    assert "Départs du jour" in html  # French by default
    assert alert in page.context["alerts"]
    assert late.member.email in html and alice.vehicle.plate in html
    assert page.context["figures"].bookings == 2


def test_the_dashboard_is_in_english_when_asked(alice: Tenant, manager: Client) -> None:
    manager.cookies["django_language"] = "en"
    page = manager.get(org_url(alice))
    assert "Departures today" in page.content.decode()


# Planning


def test_the_planning_draws_each_booking_as_a_bar_on_its_vehicle(
    alice: Tenant, manager: Client
) -> None:
    booking = book(alice, 2, 4)
    page = manager.get(org_url(alice, "planning/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/manage/{alice.organisation.pk}/bookings/{booking.pk}/"' in html
    assert "slot bar-confirmed" in html
    row = next(r for r in page.context["rows"] if r.vehicle == alice.vehicle)
    assert [bar.booking for bar in row.bars] == [booking]


def test_the_planning_leaves_out_another_organisations_bookings(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    book(bob, 2, 4)
    page = manager.get(org_url(alice, "planning/"))
    assert all(not row.bars for row in page.context["rows"])


def test_a_manager_books_for_a_member_from_the_planning(alice: Tenant, manager: Client) -> None:
    response = manager.post(org_url(alice, "planning/"), book_data(alice))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.member == alice.member and booking.booked_by == alice.manager


def test_a_booking_refused_by_the_service_shows_on_the_form(alice: Tenant, manager: Client) -> None:
    book(alice, 2, 4)
    page = manager.post(org_url(alice, "planning/"), book_data(alice))
    assert page.status_code == 400
    assert page.context["form"].errors
    assert Booking.objects.count() == 1


def test_an_end_before_the_start_shows_on_the_field(alice: Tenant, manager: Client) -> None:
    page = manager.post(org_url(alice, "planning/"), book_data(alice, end=local(1)))
    assert page.status_code == 400
    assert "end" in page.context["form"].errors


def test_another_organisations_vehicle_cannot_be_booked(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    page = manager.post(org_url(alice, "planning/"), book_data(alice, vehicle=bob.vehicle.pk))
    assert page.status_code == 400
    assert "vehicle" in page.context["form"].errors


def test_a_manager_cancels_a_booking(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 30, 32)
    assert manager.get(org_url(alice, f"bookings/{booking.pk}/")).status_code == 200
    response = manager.post(org_url(alice, f"bookings/{booking.pk}/cancel/"))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED


def test_cancelling_twice_shows_why_not(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 30, 32)
    manager.post(org_url(alice, f"bookings/{booking.pk}/cancel/"))
    page = manager.post(org_url(alice, f"bookings/{booking.pk}/cancel/"))
    assert page.status_code == 400


def test_a_manager_changes_a_bookings_end(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 2, 4)
    response = manager.post(
        org_url(alice, f"bookings/{booking.pk}/change/"),
        {"end": local(5), "vehicle": alice.vehicle.pk},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.end == clock.now() + dt.timedelta(hours=5)


def test_a_bad_end_shows_on_the_change_form(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 2, 4)
    page = manager.post(org_url(alice, f"bookings/{booking.pk}/change/"), {"end": "soon"})
    assert page.status_code == 400
    assert "end" in page.context["change_form"].errors


def test_a_transfer_without_a_free_vehicle_raises_an_alert(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 2, 4)
    response = manager.post(
        org_url(alice, f"bookings/{booking.pk}/transfer/"), {"reason": "manual"}
    )
    assert response.status_code == 302
    assert ManagerAlert.objects.filter(booking=booking).exists()


def test_another_organisations_booking_is_a_404(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    booking = book(bob, 2, 4)
    assert manager.get(org_url(alice, f"bookings/{booking.pk}/")).status_code == 404
    assert manager.post(org_url(alice, f"bookings/{booking.pk}/cancel/")).status_code == 404
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED


# Parameters


def test_the_parameters_page_lists_every_parameter_with_its_description(
    alice: Tenant, manager: Client
) -> None:
    page = manager.get(org_url(alice, "parameters/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "booking_cancel_free_until_hours" in html
    assert 'id="id_booking_cancel_free_until_hours_value"' in html


def test_a_manager_sets_a_parameter_for_the_organisation(alice: Tenant, manager: Client) -> None:
    key = "booking_cancel_free_until_hours"
    response = manager.post(
        org_url(alice, f"parameters/{key}/"),
        {f"{key}-level": "organisation", f"{key}-target": "", f"{key}-value": "12", "set": ""},
    )
    assert response.status_code == 302
    assert param_value(key, organisation=alice.organisation) == 12


def test_a_manager_sets_and_resets_a_parameter_for_a_community(
    alice: Tenant, manager: Client
) -> None:
    key = "booking_business_purpose_required"
    data = {
        f"{key}-level": "community",
        f"{key}-target": f"community:{alice.community.pk}",
        f"{key}-value": "false",
    }
    assert manager.post(org_url(alice, f"parameters/{key}/"), data).status_code == 302
    value = param_value(key, organisation=alice.organisation, community=alice.community)
    assert value is False
    assert (
        manager.post(org_url(alice, f"parameters/{key}/"), {**data, "reset": ""}).status_code == 302
    )
    value = param_value(key, organisation=alice.organisation, community=alice.community)
    assert value is True


def test_a_value_out_of_range_shows_on_the_form(alice: Tenant, manager: Client) -> None:
    key = "booking_cancel_free_until_hours"
    page = manager.post(
        org_url(alice, f"parameters/{key}/"),
        {f"{key}-level": "organisation", f"{key}-value": "9999"},
    )
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()
    assert param_value(key, organisation=alice.organisation) == 24


def test_a_level_the_parameter_does_not_allow_is_refused(alice: Tenant, manager: Client) -> None:
    key = "booking_early_start_min"
    page = manager.post(
        org_url(alice, f"parameters/{key}/"),
        {
            f"{key}-level": "vehicle",
            f"{key}-target": f"vehicle:{alice.vehicle.pk}",
            f"{key}-value": "5",
        },
    )
    assert page.status_code == 400


def test_another_organisations_community_is_a_404(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    key = "booking_cancel_free_until_hours"
    page = manager.post(
        org_url(alice, f"parameters/{key}/"),
        {
            f"{key}-level": "community",
            f"{key}-target": f"community:{bob.community.pk}",
            f"{key}-value": "5",
        },
    )
    # Not among the choices: refused on the form, nothing set anywhere.
    assert page.status_code in (400, 404)
    assert param_value(key, organisation=bob.organisation, community=bob.community) == 24


def test_an_unknown_parameter_is_a_404(alice: Tenant, manager: Client) -> None:
    assert manager.post(org_url(alice, "parameters/nope/"), {}).status_code == 404


def test_a_member_cannot_set_a_parameter(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    key = "booking_cancel_free_until_hours"
    response = client.post(
        org_url(alice, f"parameters/{key}/"), {f"{key}-level": "organisation", f"{key}-value": "1"}
    )
    assert response.status_code == 403
