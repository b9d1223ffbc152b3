"""The fleet page: vehicles with their box and state, stations, commands,
and a map that shows positions only as the position policy allows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from flotte.core import clock
from flotte.core.models import AuditEntry
from flotte.fleet.models import Station
from flotte.telematics.models import VehicleState
from tests import factories as f
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


# New station, edit station


def station_data(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "Place du Marché",
        "address": "1 place du Marché",
        "postcode": "69001",
        "city": "Lyon",
        "latitude": "45.764043",
        "longitude": "4.835659",
        "capacity": "4",
        "charging_points": "2",
        "one_way_returns": "on",
        "access_notes": "Behind the church.",
        "communities": [str(tenant.community.pk)],
    }
    data.update(changes)
    return data


def stations_url(tenant: Tenant, rest: str) -> str:
    return f"/manage/{tenant.organisation.pk}/fleet/stations/{rest}"


def test_a_manager_adds_a_station(alice: Tenant, manager: Client) -> None:
    assert manager.get(stations_url(alice, "new/")).status_code == 200
    response = manager.post(stations_url(alice, "new/"), station_data(alice))
    assert response.status_code == 302
    assert response["Location"] == f"/manage/{alice.organisation.pk}/fleet/"
    station = Station.objects.get(name="Place du Marché")
    assert station.organisation == alice.organisation
    assert (station.capacity, station.charging_points, station.one_way_returns) == (4, 2, True)
    assert station.latitude == Decimal("45.764043")
    assert list(station.communities.all()) == [alice.community]
    assert AuditEntry.objects.get(action="station.created").actor == alice.manager


def test_the_fleet_page_links_to_the_station_forms(alice: Tenant, manager: Client) -> None:
    html = manager.get(f"/manage/{alice.organisation.pk}/fleet/").content.decode()
    assert f'href="{stations_url(alice, "new/")}"' in html
    assert f'href="{stations_url(alice, f"{alice.station.pk}/edit/")}"' in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "east"}, "longitude"),
        ({"capacity": "0"}, "capacity"),
        ({"name": ""}, "name"),
        # More charging points than spaces: the service refuses it.
        ({"capacity": "2", "charging_points": "3"}, "charging_points"),
    ],
)
def test_bad_station_input_is_refused_on_its_field(
    alice: Tenant, manager: Client, changes: dict[str, Any], field: str
) -> None:
    page = manager.post(stations_url(alice, "new/"), station_data(alice, **changes))
    assert page.status_code == 400 and page.context["form"].errors[field]
    assert Station.objects.count() == 1


def test_a_manager_edits_a_station(alice: Tenant, manager: Client) -> None:
    edit = stations_url(alice, f"{alice.station.pk}/edit/")
    page = manager.get(edit)
    assert page.status_code == 200 and page.context["form"].initial["name"] == alice.station.name
    response = manager.post(edit, station_data(alice, communities=[]))
    assert response.status_code == 302
    alice.station.refresh_from_db()
    assert (alice.station.name, alice.station.capacity) == ("Place du Marché", 4)
    assert not alice.station.communities.exists()
    assert AuditEntry.objects.get(action="station.updated").actor == alice.manager


def test_a_bad_station_edit_changes_nothing(alice: Tenant, manager: Client) -> None:
    before = (alice.station.name, alice.station.capacity)
    edit = stations_url(alice, f"{alice.station.pk}/edit/")
    page = manager.post(edit, station_data(alice, capacity="1", charging_points="5"))
    assert page.status_code == 400 and page.context["form"].errors["charging_points"]
    alice.station.refresh_from_db()
    assert (alice.station.name, alice.station.capacity) == before


def test_another_organisations_station_and_communities_are_refused(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    edit = stations_url(bob, f"{alice.station.pk}/edit/")
    assert client.get(edit).status_code == 404
    assert client.post(edit, station_data(bob)).status_code == 404
    assert client.post(stations_url(alice, "new/"), station_data(alice)).status_code == 404
    page = client.post(
        stations_url(bob, "new/"), station_data(bob, communities=[alice.community.pk])
    )
    assert page.status_code == 400 and page.context["form"].errors["communities"]
    assert not Station.objects.filter(name="Place du Marché").exists()


def test_a_member_and_a_community_manager_cannot_add_a_station(
    alice: Tenant, client: Client
) -> None:
    client.force_login(alice.member)
    assert client.get(stations_url(alice, "new/")).status_code == 403
    assert client.post(stations_url(alice, "new/"), station_data(alice)).status_code == 403
    user = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=user, community=alice.community, role="manager")
    client.force_login(user)
    page = client.post(stations_url(alice, "new/"), station_data(alice))
    assert page.status_code == 403 and page.context["form"].non_field_errors()
    edit = stations_url(alice, f"{alice.station.pk}/edit/")
    assert client.post(edit, station_data(alice)).status_code == 403
    assert Station.objects.count() == 1
    alice.station.refresh_from_db()
    assert alice.station.name != "Place du Marché"
