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
