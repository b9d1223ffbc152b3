from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from flotte.core.tenancy import TenantScopeMissing, _scope, tenant_scope
from flotte.fleet.models import BADGE_UID, BOX_ID, VIN, Station, Vehicle
from tests import factories as f
from tests.conftest import Tenant


def test_licence_free_car_needs_no_licence() -> None:
    assert not Vehicle(category=Vehicle.Category.LICENCE_FREE).requires_licence


def test_city_car_needs_a_licence() -> None:
    assert Vehicle(category=Vehicle.Category.CITY).requires_licence


def test_vehicle_under_50_g_co2_is_low_emission() -> None:
    assert Vehicle(co2_g_km=49).is_low_emission


def test_vehicle_at_50_g_co2_is_not_low_emission() -> None:
    assert not Vehicle(co2_g_km=50).is_low_emission


def test_vehicle_is_shown_by_make_model_and_plate() -> None:
    assert str(Vehicle(make="Renault", model="Zoe", plate="AB-123-CD")) == "Renault Zoe (AB-123-CD)"


@pytest.mark.parametrize("vin", ["VF1AG000X64000001", "WVWZZZ1JZ3W386752"])
def test_vin_validator_accepts_a_17_character_vin(vin: str) -> None:
    VIN(vin)


@pytest.mark.parametrize("vin", ["VF1AG000X6400000", "VF1AG000I64000001", "vf1ag000x64000001"])
def test_vin_validator_refuses_a_malformed_vin(vin: str) -> None:
    with pytest.raises(ValidationError):
        VIN(vin)


@pytest.mark.parametrize("uid", ["04A1B2C3", "04A1B2C3D4E5F6A7B8C9"])
def test_badge_uid_validator_accepts_8_to_20_hex_digits(uid: str) -> None:
    BADGE_UID(uid)


@pytest.mark.parametrize("uid", ["04A1B2C", "04a1b2c3", "04:A1:B2:C3", "04A1B2C3D4E5F6A7B8C9D"])
def test_badge_uid_validator_refuses_anything_else(uid: str) -> None:
    with pytest.raises(ValidationError):
        BADGE_UID(uid)


@pytest.mark.parametrize("box_id", ["ab", "box id", "box/1"])
def test_box_id_validator_refuses_short_or_odd_ids(box_id: str) -> None:
    with pytest.raises(ValidationError):
        BOX_ID(box_id)


def test_database_refuses_more_charging_points_than_capacity(alice: Tenant) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.filter(pk=alice.station.pk).update(capacity=1, charging_points=2)


def test_database_refuses_exhaust_co2_for_an_electric_vehicle(alice: Tenant) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.filter(pk=alice.vehicle.pk).update(co2_g_km=90)


def test_database_refuses_a_vehicle_with_ten_seats(alice: Tenant) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.filter(pk=alice.vehicle.pk).update(seats=10)


def test_database_refuses_a_duplicate_plate_in_one_organisation(alice: Tenant) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        f.VehicleFactory(organisation=alice.organisation, plate=alice.vehicle.plate)


def test_database_refuses_a_duplicate_badge_uid_in_one_organisation(alice: Tenant) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        f.BadgeFactory(organisation=alice.organisation, uid=alice.badge.uid)


def test_vehicles_cannot_be_queried_outside_a_tenant_scope(alice: Tenant) -> None:
    token = _scope.set(None)
    try:
        with pytest.raises(TenantScopeMissing):
            list(Vehicle.objects.all())
    finally:
        _scope.reset(token)


def test_tenant_scope_hides_the_vehicles_of_other_organisations(alice: Tenant, bob: Tenant) -> None:
    with tenant_scope([alice.organisation.pk]):
        assert list(Vehicle.objects.all()) == [alice.vehicle]
