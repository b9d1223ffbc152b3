"""Tariffs in the console: list, create, end; errors on the form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.pricing.models import Tariff
from tests.conftest import Tenant


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


def tariff_data(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {
        "community": tenant.community.pk,
        "name": "2027",
        "valid_from": "2027-01-01",
        "hourly_rate": "4.50",
        "km_rate": "0.25",
        "included_km_per_day": "0",
        **extra,
    }


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/tariffs/{rest}"


def test_a_manager_creates_a_tariff_and_sees_it(alice: Tenant, manager: Client) -> None:
    response = manager.post(url(alice), tariff_data(alice))
    assert response.status_code == 302
    tariff = Tariff.objects.get()
    assert tariff.community == alice.community and str(tariff.hourly_rate) == "4.50"
    assert "2027" in manager.get(url(alice)).content.decode()


def test_an_overlapping_tariff_is_refused_on_the_form(alice: Tenant, manager: Client) -> None:
    manager.post(url(alice), tariff_data(alice))
    page = manager.post(url(alice), tariff_data(alice, name="bis"))
    assert page.status_code == 400
    assert page.context["form"].errors
    assert Tariff.objects.count() == 1


def test_a_bad_rate_shows_on_its_field(alice: Tenant, manager: Client) -> None:
    page = manager.post(url(alice), tariff_data(alice, hourly_rate="cher"))
    assert page.status_code == 400 and "hourly_rate" in page.context["form"].errors


def test_a_manager_ends_a_tariff(alice: Tenant, manager: Client) -> None:
    manager.post(url(alice), tariff_data(alice))
    tariff = Tariff.objects.get()
    bad = manager.post(url(alice, f"{tariff.pk}/end/"), {"valid_until": "2026-01-01"})
    assert bad.status_code == 400
    assert (
        manager.post(url(alice, f"{tariff.pk}/end/"), {"valid_until": "2027-06-01"}).status_code
        == 302
    )
    tariff.refresh_from_db()
    assert str(tariff.valid_until) == "2027-06-01"


def test_another_organisation_cannot_use_or_end_alices_tariffs(
    alice: Tenant, bob: Tenant, manager: Client, client: Client
) -> None:
    page = manager.post(url(alice), tariff_data(alice, community=bob.community.pk))
    assert page.status_code == 400 and "community" in page.context["form"].errors
    manager.post(url(alice), tariff_data(alice))
    tariff = Tariff.objects.get()
    client.force_login(bob.manager)
    assert client.get(url(alice)).status_code == 404
    assert (
        client.post(url(bob, f"{tariff.pk}/end/"), {"valid_until": "2027-06-01"}).status_code == 404
    )


def test_a_member_is_refused_the_tariffs(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(url(alice)).status_code == 403


def test_a_tariff_with_night_rate_cap_tier_and_an_evening_package(
    alice: Tenant, manager: Client
) -> None:
    response = manager.post(
        url(alice),
        tariff_data(
            alice,
            night_rate="1.00",
            night_start="22:00",
            night_end="06:00",
            week_cap="120",
            minimum_charge="3",
            step_minutes="30",
            tier_after_hours="24",
            tier_discount_pct="20",
            package_label="Soirée",
            package_minutes="300",
            package_price="12.00",
            package_km="40",
            package_from="18:00",
            package_until="23:00",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    tariff = Tariff.objects.get()
    assert (str(tariff.night_rate), str(tariff.week_cap), tariff.step_minutes) == (
        "1.00",
        "120.00",
        30,
    )
    assert str(tariff.night_start) == "22:00:00"
    assert tariff.tiers == [{"after_hours": 24, "discount_pct": "20"}]
    assert tariff.flat_rates == [
        {
            "label": "Soirée",
            "max_minutes": 300,
            "price": "12.00",
            "included_km": 40,
            "from_time": "18:00",
            "until_time": "23:00",
        }
    ]
    # Left empty, the first block and the night keep the tariff's defaults.
    assert tariff.first_block_minutes == 60
    assert "Soirée" in manager.get(url(alice)).content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tier_after_hours": "24"}, "tier_discount_pct"),
        ({"package_label": "Soirée", "package_price": "12"}, "package_minutes"),
        (
            {
                "package_label": "Soirée",
                "package_minutes": "300",
                "package_price": "12",
                "package_from": "18:00",
            },
            "package_until",
        ),
        ({"step_minutes": "0"}, "step_minutes"),
    ],
)
def test_a_half_given_component_is_refused_on_its_field(
    alice: Tenant, manager: Client, extra: dict[str, str], field: str
) -> None:
    page = manager.post(url(alice), tariff_data(alice, **extra))
    assert page.status_code == 400 and field in page.context["form"].errors
    assert not Tariff.objects.exists()
