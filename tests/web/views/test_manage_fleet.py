"""The fleet page: vehicles with their box and state, stations, commands,
and a map that shows positions only as the position policy allows."""

from __future__ import annotations

import pytest
from django.test import Client

from flotte.core import clock
from flotte.telematics.models import VehicleState
from tests.booking.test_services import set_param
from tests.conftest import Tenant


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


def positioned(tenant: Tenant) -> None:
    VehicleState.objects.create(
        vehicle=tenant.vehicle,
        organisation=tenant.organisation,
        latitude=45.76,
        longitude=4.83,
        position_at=clock.now(),
        energy_pct=80,
        locked=True,
    )


def map_points(page: object) -> list[dict[str, object]]:
    return page.context["fleet_map"]["points"]  # type: ignore[attr-defined, no-any-return]


def test_the_fleet_page_lists_vehicles_stations_and_shows_positions(
    alice: Tenant, manager: Client
) -> None:
    positioned(alice)
    page = manager.get(f"/manage/{alice.organisation.pk}/fleet/")
    assert page.status_code == 200
    html = page.content.decode()
    assert alice.vehicle.plate in html and alice.station.name in html
    assert alice.box.box_id in html
    vehicles = [p for p in map_points(page) if p["kind"] == "vehicle"]
    assert vehicles == [
        {"lat": 45.76, "lon": 4.83, "label": alice.vehicle.plate, "kind": "vehicle"}
    ]
    assert 'id="fleet-map-data"' in html


def test_the_map_shows_no_position_when_the_policy_says_never(
    alice: Tenant, manager: Client
) -> None:
    positioned(alice)
    set_param(alice, "position_policy", "never")
    page = manager.get(f"/manage/{alice.organisation.pk}/fleet/")
    assert [p for p in map_points(page) if p["kind"] == "vehicle"] == []


def test_another_organisation_and_a_member_are_refused(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    assert client.get(f"/manage/{alice.organisation.pk}/fleet/").status_code == 404
    client.force_login(alice.member)
    assert client.get(f"/manage/{alice.organisation.pk}/fleet/").status_code == 403
