from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from flotte.core.models import AuditEntry
from flotte.fleet.models import Badge, Box, Station, Vehicle
from flotte.fleet.services import box_check_secret
from tests import factories as f
from tests.conftest import Api, Tenant


def station_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Gare",
        "address": "2 avenue de la Gare",
        "latitude": "44.9",
        "longitude": "4.9",
        "capacity": 3,
        "charging_points": 1,
        **overrides,
    }


def vehicle_body(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    return {
        "plate": "gh-456-jk",
        "make": "Peugeot",
        "model": "e-208",
        "energy": "electric",
        "range_km": 340,
        "consumption_per_100km": "15.5",
        "home_station_id": tenant.station.pk,
        "community_ids": [tenant.community.pk],
        **overrides,
    }


def plates(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [v["plate"] for v in response.json()["items"]]


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body  # type: ignore[no-any-return]


@pytest.fixture
def fleet(alice: Tenant) -> dict[str, Vehicle]:
    """Alice's vehicle (city, electric) and a few more to filter."""
    second_station = f.StationFactory(organisation=alice.organisation)
    second_station.communities.add(alice.community)
    van = f.VehicleFactory(
        organisation=alice.organisation,
        home_station=second_station,
        plate="VAN-001",
        category="utility",
        energy="diesel",
        co2_g_km=150,
    )
    van.communities.add(alice.community)
    other_community = f.CommunityFactory(organisation=alice.organisation, slug="com-alice-2")
    hybrid = f.VehicleFactory(
        organisation=alice.organisation,
        home_station=alice.station,
        plate="HYB-001",
        energy="hybrid",
        co2_g_km=90,
        status="maintenance",
    )
    hybrid.communities.add(other_community)
    return {"zoe": alice.vehicle, "van": van, "hybrid": hybrid}


# Listing and filters
def test_vehicle_list_is_paginated_with_items_and_count(alice: Tenant, fleet: Any) -> None:
    body = Api(alice.manager).get("vehicles").json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 3


def test_vehicle_list_second_page_holds_the_rest(alice: Tenant, fleet: Any) -> None:
    first = plates(Api(alice.manager).get("vehicles?page_size=2"))
    second = Api(alice.manager).get("vehicles?page=2&page_size=2").json()
    assert second["count"] == 3
    assert len(first) == 2
    assert len(second["items"]) == 1
    assert second["items"][0]["plate"] not in first


def test_vehicle_list_filters_by_category(alice: Tenant, fleet: Any) -> None:
    assert plates(Api(alice.manager).get("vehicles?category=utility")) == ["VAN-001"]


def test_vehicle_list_filters_by_energy(alice: Tenant, fleet: Any) -> None:
    assert plates(Api(alice.manager).get("vehicles?energy=hybrid")) == ["HYB-001"]


def test_vehicle_list_filters_by_home_station(alice: Tenant, fleet: Any) -> None:
    response = Api(alice.manager).get(f"vehicles?station={alice.station.pk}")
    assert sorted(plates(response)) == sorted([alice.vehicle.plate, "HYB-001"])


def test_vehicle_list_filters_by_community_slug(alice: Tenant, fleet: Any) -> None:
    response = Api(alice.manager).get("vehicles?community=com-alice-2")
    assert plates(response) == ["HYB-001"]


def test_vehicle_list_filters_by_status(alice: Tenant, fleet: Any) -> None:
    assert plates(Api(alice.manager).get("vehicles?status=maintenance")) == ["HYB-001"]


def test_member_lists_only_the_vehicles_of_their_community(alice: Tenant, fleet: Any) -> None:
    response = Api(alice.member).get("vehicles")
    assert sorted(plates(response)) == sorted([alice.vehicle.plate, "VAN-001"])


def test_vehicle_detail_shows_the_communities_and_groups(alice: Tenant) -> None:
    response = Api(alice.member).get(f"vehicles/{alice.vehicle.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["plate"] == alice.vehicle.plate
    assert body["community_ids"] == [alice.community.pk]
    assert body["allowed_group_ids"] == []


def test_station_list_filters_by_community_slug(alice: Tenant, fleet: Any) -> None:
    response = Api(alice.manager).get("stations?community=com-alice")
    assert response.status_code == 200
    assert response.json()["count"] == 2


# Stations
def test_manager_creates_a_station(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/stations",
        station_body(community_ids=[alice.community.pk]),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation_id"] == alice.organisation.pk
    assert body["community_ids"] == [alice.community.pk]
    assert Station.objects.filter(pk=body["id"], name="Gare").exists()


def test_member_cannot_create_a_station(alice: Tenant) -> None:
    response = Api(alice.member).post(
        f"organisations/{alice.organisation.pk}/stations", station_body()
    )
    assert assert_error(response, 403)["code"] == "forbidden"
    assert not Station.objects.filter(name="Gare").exists()


def test_station_with_more_charging_points_than_spaces_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/stations",
        station_body(capacity=1, charging_points=2),
    )
    body = assert_error(response, 400)
    assert "charging_points" in body["fields"]


def test_station_with_no_space_is_a_422(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/stations", station_body(capacity=0)
    )
    body = assert_error(response, 422)
    assert "capacity" in body["fields"]


def test_station_with_latitude_out_of_range_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/stations", station_body(latitude="95")
    )
    assert "latitude" in assert_error(response, 400)["fields"]


def test_station_patch_changes_the_name(alice: Tenant) -> None:
    response = Api(alice.manager).patch(f"stations/{alice.station.pk}", {"name": "Annexe"})
    assert response.status_code == 200, response.content
    alice.station.refresh_from_db()
    assert alice.station.name == "Annexe"


@pytest.mark.parametrize("field", ["postcode", "capacity", "access_notes"])
def test_station_patch_with_a_null_is_a_422_naming_the_field(alice: Tenant, field: str) -> None:
    response = Api(alice.manager).patch(f"stations/{alice.station.pk}", {field: None})
    assert field in assert_error(response, 422)["fields"]


def test_member_cannot_patch_a_station(alice: Tenant) -> None:
    response = Api(alice.member).patch(f"stations/{alice.station.pk}", {"name": "Mine"})
    assert_error(response, 403)


# Vehicles
def test_manager_creates_a_vehicle(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/vehicles", vehicle_body(alice)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plate"] == "GH-456-JK"
    assert body["community_ids"] == [alice.community.pk]
    assert Vehicle.objects.filter(pk=body["id"], organisation=alice.organisation).exists()


def test_member_cannot_create_a_vehicle(alice: Tenant) -> None:
    response = Api(alice.member).post(
        f"organisations/{alice.organisation.pk}/vehicles", vehicle_body(alice)
    )
    assert_error(response, 403)
    assert not Vehicle.objects.filter(plate="GH-456-JK").exists()


def test_vehicle_without_a_make_is_a_422(alice: Tenant) -> None:
    body = vehicle_body(alice)
    del body["make"]
    response = Api(alice.manager).post(f"organisations/{alice.organisation.pk}/vehicles", body)
    assert "make" in assert_error(response, 422)["fields"]


def test_electric_vehicle_with_co2_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/vehicles", vehicle_body(alice, co2_g_km=20)
    )
    body = assert_error(response, 400)
    assert body["fields"] == {"co2_g_km": "must be 0 for an electric vehicle"}


def test_vehicle_with_an_unknown_category_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/vehicles", vehicle_body(alice, category="tank")
    )
    assert "category" in assert_error(response, 400)["fields"]


def test_vehicle_with_a_duplicate_plate_is_a_409(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/vehicles",
        vehicle_body(alice, plate=alice.vehicle.plate),
    )
    assert assert_error(response, 409)["code"] == "duplicate"


def test_vehicle_with_a_home_station_of_another_organisation_is_a_404(
    alice: Tenant, bob: Tenant
) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/vehicles",
        vehicle_body(alice, home_station_id=bob.station.pk),
    )
    assert_error(response, 404)


def test_vehicle_patch_changes_only_the_fields_sent(alice: Tenant) -> None:
    response = Api(alice.manager).patch(
        f"vehicles/{alice.vehicle.pk}", {"range_km": 250, "accessories": ["child_seat"]}
    )
    assert response.status_code == 200, response.content
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.range_km == 250
    assert alice.vehicle.accessories == ["child_seat"]
    assert alice.vehicle.make == "Renault"
    assert list(alice.vehicle.communities.all()) == [alice.community]


def test_vehicle_patch_moves_the_home_station(alice: Tenant) -> None:
    station = f.StationFactory(organisation=alice.organisation)
    response = Api(alice.manager).patch(
        f"vehicles/{alice.vehicle.pk}", {"home_station_id": station.pk}
    )
    assert response.json()["home_station_id"] == station.pk


@pytest.mark.parametrize("field", ["plate", "vin", "accessories", "carpool_friendly"])
def test_vehicle_patch_with_a_null_is_a_422_naming_the_field(alice: Tenant, field: str) -> None:
    response = Api(alice.manager).patch(f"vehicles/{alice.vehicle.pk}", {field: None})
    assert field in assert_error(response, 422)["fields"]


def test_vehicle_patch_clears_the_battery_capacity_with_a_null(alice: Tenant) -> None:
    alice.vehicle.battery_kwh = Decimal("52.0")
    alice.vehicle.save()
    response = Api(alice.manager).patch(f"vehicles/{alice.vehicle.pk}", {"battery_kwh": None})
    assert response.status_code == 200, response.content
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.battery_kwh is None


def test_vehicle_patch_cannot_set_the_status(alice: Tenant) -> None:
    response = Api(alice.manager).patch(f"vehicles/{alice.vehicle.pk}", {"status": "maintenance"})
    assert "status" in assert_error(response, 422)["fields"]


def test_member_cannot_patch_a_vehicle(alice: Tenant) -> None:
    response = Api(alice.member).patch(f"vehicles/{alice.vehicle.pk}", {"range_km": 1})
    assert_error(response, 403)


def test_vehicle_status_is_changed_and_audited(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"vehicles/{alice.vehicle.pk}/status", {"status": "out_of_service", "note": "crash"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "out_of_service"
    entry = AuditEntry.objects.get(action="vehicle.status_changed")
    assert entry.source == "api"
    assert entry.data["to"] == "out_of_service"


def test_vehicle_status_unknown_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(f"vehicles/{alice.vehicle.pk}/status", {"status": "gone"})
    assert "status" in assert_error(response, 400)["fields"]


def test_member_cannot_change_a_vehicle_status(alice: Tenant) -> None:
    response = Api(alice.member).post(
        f"vehicles/{alice.vehicle.pk}/status", {"status": "maintenance"}
    )
    assert_error(response, 403)
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.status == "available"


# Boxes
def test_operator_provisions_a_box_and_gets_its_secret_once(operator: Any) -> None:
    response = Api(operator).post("boxes", {"box_id": "box-new"})
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    box = Box.objects.get(box_id="box-new")
    assert box_check_secret(box, secret)
    listed = Api(operator).get("boxes").json()["items"]
    assert all("secret" not in item for item in listed)


def test_operator_provisions_a_box_for_an_organisation(alice: Tenant, operator: Any) -> None:
    response = Api(operator).post(
        "boxes", {"box_id": "box-new", "organisation_id": alice.organisation.pk}
    )
    assert response.json()["organisation_id"] == alice.organisation.pk


def test_manager_cannot_provision_a_box(alice: Tenant) -> None:
    response = Api(alice.manager).post("boxes", {"box_id": "box-new"})
    assert_error(response, 403)
    assert not Box.objects.filter(box_id="box-new").exists()


def test_duplicate_box_id_is_a_409(alice: Tenant, operator: Any) -> None:
    response = Api(operator).post("boxes", {"box_id": alice.box.box_id})
    assert_error(response, 409)


def test_manager_lists_the_boxes_of_their_organisation(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.manager).get("boxes")
    assert [b["box_id"] for b in response.json()["items"]] == ["box-alice"]


def test_member_lists_no_box(alice: Tenant) -> None:
    assert Api(alice.member).get("boxes").json()["count"] == 0


def test_manager_fits_a_box_to_another_vehicle(alice: Tenant) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    response = Api(alice.manager).post(f"boxes/{alice.box.box_id}/fit", {"vehicle_id": other.pk})
    assert response.status_code == 200, response.content
    assert response.json()["vehicle_id"] == other.pk
    alice.box.refresh_from_db()
    assert alice.box.vehicle == other


def test_manager_takes_a_box_out(alice: Tenant) -> None:
    response = Api(alice.manager).post(f"boxes/{alice.box.box_id}/fit", {"vehicle_id": None})
    assert response.json()["vehicle_id"] is None


def test_manager_cannot_fit_a_box_to_another_organisation_vehicle(
    alice: Tenant, bob: Tenant
) -> None:
    response = Api(alice.manager).post(
        f"boxes/{alice.box.box_id}/fit", {"vehicle_id": bob.vehicle.pk}
    )
    assert_error(response, 404)
    alice.box.refresh_from_db()
    assert alice.box.vehicle == alice.vehicle


def test_member_cannot_fit_a_box(alice: Tenant) -> None:
    response = Api(alice.member).post(f"boxes/{alice.box.box_id}/fit", {"vehicle_id": None})
    assert_error(response, 404)
    alice.box.refresh_from_db()
    assert alice.box.vehicle == alice.vehicle


# Badges
def test_manager_lists_the_badges_of_the_organisation(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.manager).get(f"organisations/{alice.organisation.pk}/badges")
    assert response.status_code == 200, response.content
    assert [b["uid"] for b in response.json()["items"]] == [alice.badge.uid]


def test_member_cannot_list_badges(alice: Tenant) -> None:
    response = Api(alice.member).get(f"organisations/{alice.organisation.pk}/badges")
    assert_error(response, 403)


def test_manager_issues_a_badge_to_a_member(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges",
        {"uid": "04:a1:b2:c3", "user_id": alice.member.pk, "label": "spare"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uid"] == "04A1B2C3"
    assert body["user_id"] == alice.member.pk


def test_badge_with_a_malformed_uid_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges", {"uid": "not-hex"}
    )
    assert "uid" in assert_error(response, 400)["fields"]


def test_badge_with_a_duplicate_uid_is_a_409(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges", {"uid": alice.badge.uid.lower()}
    )
    assert_error(response, 409)


def test_badge_for_a_member_of_another_organisation_is_a_404(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges",
        {"uid": "04A1B2C3", "user_id": bob.member.pk},
    )
    assert_error(response, 404)
    assert not Badge.objects.filter(uid="04A1B2C3").exists()


def test_manager_deactivates_a_badge(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges/{alice.badge.pk}/deactivate"
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["deactivated_at"] is not None


def test_deactivating_a_badge_twice_is_a_400(alice: Tenant) -> None:
    api = Api(alice.manager)
    path = f"organisations/{alice.organisation.pk}/badges/{alice.badge.pk}/deactivate"
    api.post(path)
    assert assert_error(api.post(path), 400)["code"] == "already_inactive"


def test_member_cannot_deactivate_a_badge(alice: Tenant) -> None:
    response = Api(alice.member).post(
        f"organisations/{alice.organisation.pk}/badges/{alice.badge.pk}/deactivate"
    )
    assert_error(response, 403)
    alice.badge.refresh_from_db()
    assert alice.badge.active
