from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest

from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from flotte.fleet.models import Badge, Box, Vehicle
from flotte.fleet.services import (
    badge_deactivate,
    badge_issue,
    box_check_secret,
    box_fit,
    box_provision,
    box_secret_rotate,
    station_create,
    station_update,
    vehicle_create,
    vehicle_set_status,
    vehicle_update,
)
from tests import factories as f
from tests.conftest import Tenant


def station_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Gare",
        "address": "2 avenue de la Gare",
        "latitude": Decimal("44.9"),
        "longitude": Decimal("4.9"),
        "capacity": 3,
        "charging_points": 1,
        **overrides,
    }


def vehicle_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "plate": "GH-456-JK",
        "make": "Peugeot",
        "model": "e-208",
        "energy": Vehicle.Energy.ELECTRIC,
        "range_km": 340,
        "consumption_per_100km": Decimal("15.5"),
        **overrides,
    }


def new_vehicle(tenant: Tenant, **overrides: Any) -> Vehicle:
    return vehicle_create(
        actor=tenant.manager,
        organisation=tenant.organisation,
        home_station=tenant.station,
        **vehicle_fields(**overrides),
    )


# Stations
def test_manager_creates_a_station_shared_with_a_community(alice: Tenant) -> None:
    station = station_create(
        actor=alice.manager,
        organisation=alice.organisation,
        communities=[alice.community],
        **station_fields(),
    )
    assert station.organisation == alice.organisation
    assert list(station.communities.all()) == [alice.community]
    assert AuditEntry.objects.filter(action="station.created", object_id=str(station.pk)).exists()


def test_station_create_refuses_more_charging_points_than_capacity(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        station_create(
            actor=alice.manager,
            organisation=alice.organisation,
            **station_fields(capacity=2, charging_points=3),
        )
    assert "charging_points" in error.value.fields


def test_station_create_refuses_a_latitude_out_of_range(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        station_create(
            actor=alice.manager,
            organisation=alice.organisation,
            **station_fields(latitude=Decimal("91")),
        )
    assert "latitude" in error.value.fields


def test_station_create_refuses_a_community_of_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        station_create(
            actor=alice.manager,
            organisation=alice.organisation,
            communities=[bob.community],
            **station_fields(),
        )


def test_member_cannot_create_a_station(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        station_create(actor=alice.member, organisation=alice.organisation, **station_fields())


def test_manager_of_another_organisation_cannot_create_a_station(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(PermissionDenied):
        station_create(actor=bob.manager, organisation=alice.organisation, **station_fields())


def test_station_update_refuses_a_capacity_below_the_charging_points(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        station_update(actor=alice.manager, station=alice.station, capacity=1, charging_points=2)
    assert "charging_points" in error.value.fields


def test_station_update_changes_the_fields_and_is_audited(alice: Tenant) -> None:
    station_update(actor=alice.manager, station=alice.station, name="Mairie annexe")
    alice.station.refresh_from_db()
    assert alice.station.name == "Mairie annexe"
    entry = AuditEntry.objects.get(action="station.updated")
    assert entry.data == {"fields": ["name"]}


def test_member_cannot_update_a_station(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        station_update(actor=alice.member, station=alice.station, name="Mine")


# Vehicles
def test_vehicle_create_normalises_the_plate_to_upper_case(alice: Tenant) -> None:
    vehicle = new_vehicle(alice, plate="gh 456 jk")
    assert vehicle.plate == "GH-456-JK"


def test_vehicle_create_refuses_an_invalid_vin(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_vehicle(alice, vin="VF1IO0000000000QQ")
    assert "vin" in error.value.fields


def test_vehicle_create_accepts_a_lower_case_vin_and_stores_it_upper_case(alice: Tenant) -> None:
    vehicle = new_vehicle(alice, vin="vf1ag000x64000001")
    assert vehicle.vin == "VF1AG000X64000001"


def test_vehicle_create_refuses_an_unknown_accessory(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_vehicle(alice, accessories=["child_seat", "jacuzzi"])
    assert "accessories" in error.value.fields
    assert "jacuzzi" in error.value.message


def test_vehicle_create_refuses_exhaust_co2_for_an_electric_vehicle(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_vehicle(alice, energy=Vehicle.Energy.ELECTRIC, co2_g_km=12)
    assert "co2_g_km" in error.value.fields


def test_vehicle_create_accepts_co2_for_a_petrol_vehicle(alice: Tenant) -> None:
    vehicle = new_vehicle(alice, energy=Vehicle.Energy.PETROL, co2_g_km=110)
    assert vehicle.co2_g_km == 110


def test_vehicle_create_refuses_a_home_station_of_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        vehicle_create(
            actor=alice.manager,
            organisation=alice.organisation,
            home_station=bob.station,
            **vehicle_fields(),
        )


def test_vehicle_create_refuses_a_group_of_another_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        vehicle_create(
            actor=alice.manager,
            organisation=alice.organisation,
            home_station=alice.station,
            allowed_groups=[bob.community.default_group],
            **vehicle_fields(),
        )


def test_vehicle_create_refuses_a_duplicate_plate_in_the_same_organisation(
    alice: Tenant,
) -> None:
    with pytest.raises(Conflict):
        new_vehicle(alice, plate=alice.vehicle.plate)


def test_vehicle_create_sees_a_plate_written_differently_as_a_duplicate(alice: Tenant) -> None:
    new_vehicle(alice, plate="GH-456-JK")
    with pytest.raises(Conflict):
        new_vehicle(alice, plate="gh 456 jk")


def test_vehicle_create_allows_the_same_plate_in_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    vehicle = new_vehicle(bob, plate=alice.vehicle.plate)
    assert vehicle.organisation == bob.organisation
    assert Vehicle.objects.filter(plate=alice.vehicle.plate).count() == 2


def test_vehicle_create_is_audited_with_the_plate(alice: Tenant) -> None:
    vehicle = new_vehicle(alice)
    entry = AuditEntry.objects.get(action="vehicle.created")
    assert entry.object_id == str(vehicle.pk)
    assert entry.organisation_id == alice.organisation.pk
    assert entry.actor == alice.manager
    assert entry.data == {"plate": "GH-456-JK"}


def test_member_cannot_create_a_vehicle(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        vehicle_create(
            actor=alice.member,
            organisation=alice.organisation,
            home_station=alice.station,
            **vehicle_fields(),
        )


def test_member_cannot_update_a_vehicle(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        vehicle_update(actor=alice.member, vehicle=alice.vehicle, make="Dacia")


def test_vehicle_update_changes_the_fields(alice: Tenant) -> None:
    vehicle_update(actor=alice.manager, vehicle=alice.vehicle, range_km=250, seats=4)
    alice.vehicle.refresh_from_db()
    assert (alice.vehicle.range_km, alice.vehicle.seats) == (250, 4)


def test_vehicle_update_refuses_to_change_the_status(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        vehicle_update(actor=alice.manager, vehicle=alice.vehicle, status="maintenance")


def test_vehicle_update_refuses_the_plate_of_another_vehicle_of_the_organisation(
    alice: Tenant,
) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    with pytest.raises(Conflict):
        vehicle_update(actor=alice.manager, vehicle=alice.vehicle, plate=other.plate)


def test_vehicle_update_refuses_a_home_station_of_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        vehicle_update(actor=alice.manager, vehicle=alice.vehicle, home_station=bob.station)


def test_vehicle_set_status_writes_an_audit_entry_with_from_and_to(alice: Tenant) -> None:
    vehicle_set_status(
        actor=alice.manager, vehicle=alice.vehicle, status="maintenance", note=" tyres "
    )
    entry = AuditEntry.objects.get(action="vehicle.status_changed")
    assert entry.object_id == str(alice.vehicle.pk)
    assert entry.data == {"from": "available", "to": "maintenance", "note": "tyres"}
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.status == "maintenance"


def test_vehicle_set_status_refuses_an_unknown_status(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        vehicle_set_status(actor=alice.manager, vehicle=alice.vehicle, status="stolen")
    assert "status" in error.value.fields


def test_member_cannot_set_the_status_of_a_vehicle(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        vehicle_set_status(actor=alice.member, vehicle=alice.vehicle, status="out_of_service")


# Boxes
def test_only_the_operator_provisions_a_box(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        box_provision(actor=alice.manager, box_id="box-new")
    assert not Box.objects.filter(box_id="box-new").exists()


def test_provisioned_box_secret_is_accepted_by_box_check_secret(operator: Any) -> None:
    box, secret = box_provision(actor=operator, box_id="box-new")
    assert box_check_secret(Box.objects.get(pk=box.pk), secret)


def test_box_check_secret_refuses_a_wrong_secret(operator: Any) -> None:
    box, secret = box_provision(actor=operator, box_id="box-new")
    assert not box_check_secret(box, secret + "x")


def test_provisioned_box_keeps_only_a_hash_of_its_secret(operator: Any) -> None:
    box, secret = box_provision(actor=operator, box_id="box-new")
    stored = Box.objects.get(pk=box.pk).secret_hash
    assert stored
    assert secret not in stored


def test_provisioned_box_secret_is_hashed_for_mosquitto(operator: Any) -> None:
    box, _ = box_provision(actor=operator, box_id="box-new")
    stored = Box.objects.get(pk=box.pk).secret_hash
    prefix, iterations, salt, digest = stored.split("$")[1:]
    assert prefix == "7"
    assert int(iterations) >= 1000
    assert len(base64.b64decode(salt)) == 12
    assert len(base64.b64decode(digest)) == 64


def test_box_check_secret_refuses_a_box_hashed_the_old_way(alice: Tenant) -> None:
    from django.contrib.auth.hashers import make_password

    alice.box.secret_hash = make_password("old-secret")
    assert not box_check_secret(alice.box, "old-secret")


def test_box_secret_rotate_issues_a_new_secret_returned_once(operator: Any) -> None:
    box, old = box_provision(actor=operator, box_id="box-new")
    old_hash = box.secret_hash
    new = box_secret_rotate(actor=operator, box=box)
    box = Box.objects.get(pk=box.pk)
    assert new != old
    assert box.secret_hash != old_hash
    assert new not in box.secret_hash
    assert box_check_secret(box, new)
    assert not box_check_secret(box, old)


def test_box_secret_rotate_is_audited_without_the_secret(alice: Tenant, operator: Any) -> None:
    secret = box_secret_rotate(actor=operator, box=alice.box)
    entry = AuditEntry.objects.get(action="box.secret_rotated")
    assert entry.object_id == str(alice.box.pk)
    assert entry.organisation_id == alice.organisation.pk
    assert entry.actor == operator
    assert secret not in str(entry.data)


def test_only_the_operator_rotates_a_box_secret(alice: Tenant) -> None:
    before = alice.box.secret_hash
    with pytest.raises(PermissionDenied):
        box_secret_rotate(actor=alice.manager, box=alice.box)
    alice.box.refresh_from_db()
    assert alice.box.secret_hash == before
    assert not AuditEntry.objects.filter(action="box.secret_rotated").exists()


def test_box_provision_refuses_a_duplicate_box_id(alice: Tenant, operator: Any) -> None:
    with pytest.raises(Conflict):
        box_provision(actor=operator, box_id=alice.box.box_id)


def test_box_provision_refuses_a_malformed_box_id(operator: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        box_provision(actor=operator, box_id="box with spaces")
    assert "box_id" in error.value.fields


def test_box_fit_moves_a_box_to_another_vehicle(alice: Tenant) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    box_fit(actor=alice.manager, box=alice.box, vehicle=other)
    alice.box.refresh_from_db()
    assert alice.box.vehicle == other


def test_box_fit_unfits_the_previous_box_of_the_vehicle(alice: Tenant) -> None:
    new_box = f.BoxFactory(organisation=alice.organisation, box_id="box-spare")
    box_fit(actor=alice.manager, box=new_box, vehicle=alice.vehicle)
    alice.box.refresh_from_db()
    new_box.refresh_from_db()
    assert alice.box.vehicle is None
    assert new_box.vehicle == alice.vehicle


def test_the_box_taken_out_of_the_vehicle_is_audited_too(alice: Tenant) -> None:
    new_box = f.BoxFactory(organisation=alice.organisation, box_id="box-spare")
    box_fit(actor=alice.manager, box=new_box, vehicle=alice.vehicle)
    entry = AuditEntry.objects.get(action="box.removed")
    assert entry.object_id == str(alice.box.pk)
    assert entry.data == {"from_vehicle": alice.vehicle.pk, "replaced_by": "box-spare"}


def test_box_fit_with_no_vehicle_takes_the_box_out(alice: Tenant) -> None:
    box_fit(actor=alice.manager, box=alice.box, vehicle=None)
    alice.box.refresh_from_db()
    assert alice.box.vehicle is None


def test_box_fit_is_audited_with_the_previous_and_new_vehicle(alice: Tenant) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    box_fit(actor=alice.manager, box=alice.box, vehicle=other)
    entry = AuditEntry.objects.get(action="box.fitted")
    assert entry.data == {"from_vehicle": alice.vehicle.pk, "to_vehicle": other.pk}


def test_manager_cannot_fit_a_box_to_a_vehicle_of_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        box_fit(actor=alice.manager, box=alice.box, vehicle=bob.vehicle)
    alice.box.refresh_from_db()
    assert alice.box.vehicle == alice.vehicle


def test_manager_cannot_fit_a_box_of_another_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        box_fit(actor=alice.manager, box=bob.box, vehicle=alice.vehicle)


def test_manager_cannot_fit_a_box_not_yet_assigned_to_an_organisation(alice: Tenant) -> None:
    loose = f.BoxFactory(organisation=None, box_id="box-loose")
    with pytest.raises(PermissionDenied):
        box_fit(actor=alice.manager, box=loose, vehicle=alice.vehicle)


def test_operator_fitting_an_unassigned_box_gives_it_the_vehicle_organisation(
    alice: Tenant, operator: Any
) -> None:
    loose = f.BoxFactory(organisation=None, box_id="box-loose")
    box_fit(actor=operator, box=loose, vehicle=alice.vehicle)
    loose.refresh_from_db()
    assert loose.organisation == alice.organisation
    assert loose.vehicle == alice.vehicle


# Badges
def test_badge_issue_normalises_the_uid(alice: Tenant) -> None:
    badge = badge_issue(
        actor=alice.manager, organisation=alice.organisation, uid="04:a1:b2:c3", user=None
    )
    assert badge.uid == "04A1B2C3"


def test_badge_issue_refuses_a_malformed_uid(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        badge_issue(
            actor=alice.manager, organisation=alice.organisation, uid="04:zz:b2:c3", user=None
        )
    assert "uid" in error.value.fields


def test_badge_issue_refuses_a_duplicate_uid_in_the_organisation(alice: Tenant) -> None:
    with pytest.raises(Conflict):
        badge_issue(
            actor=alice.manager, organisation=alice.organisation, uid=alice.badge.uid, user=None
        )


def test_badge_issue_allows_a_uid_used_in_another_organisation(alice: Tenant, bob: Tenant) -> None:
    badge = badge_issue(
        actor=bob.manager, organisation=bob.organisation, uid=alice.badge.uid, user=None
    )
    assert Badge.objects.filter(uid=badge.uid).count() == 2


def test_badge_issue_gives_the_badge_to_a_member(alice: Tenant) -> None:
    badge = badge_issue(
        actor=alice.manager,
        organisation=alice.organisation,
        uid="04A1B2C3D4",
        user=alice.member,
        label=" Car 1 ",
    )
    assert badge.user == alice.member
    assert badge.label == "Car 1"


def test_badge_issue_refuses_a_person_outside_the_organisation(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        badge_issue(
            actor=alice.manager, organisation=alice.organisation, uid="04A1B2C3D4", user=bob.member
        )


def test_member_cannot_issue_a_badge(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        badge_issue(
            actor=alice.member, organisation=alice.organisation, uid="04A1B2C3D4", user=None
        )


def test_badge_deactivate_marks_the_badge_inactive(alice: Tenant) -> None:
    badge_deactivate(actor=alice.manager, badge=alice.badge, reason="lost")
    alice.badge.refresh_from_db()
    assert not alice.badge.active
    assert alice.badge.deactivated_at is not None
    assert AuditEntry.objects.get(action="badge.deactivated").data == {"reason": "lost"}


def test_badge_deactivate_twice_is_refused(alice: Tenant) -> None:
    badge_deactivate(actor=alice.manager, badge=alice.badge)
    with pytest.raises(ValidationFailed) as error:
        badge_deactivate(actor=alice.manager, badge=alice.badge)
    assert error.value.code == "already_inactive"
