from __future__ import annotations

import datetime as dt

import pytest

from flotte.accounts.parameters import param_set
from flotte.fleet.models import Vehicle
from flotte.stats.carpool import SharedRide
from flotte.stats.co2 import co2_avoided, fleet_greening, lom_quota
from flotte.stats.figures import load
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import END, START, make_booking


def avoided(tenant: Tenant) -> dict:
    return co2_avoided(load(tenant.organisation, START, END))


def test_an_electric_km_avoids_the_baseline_private_car(alice: Tenant) -> None:
    make_booking(alice, km=1000)  # the Zoe: 0 g/km
    result = avoided(alice)
    assert result["substitution_kg"] == 193.0  # 1000 km x 193 g
    assert result["total_kg"] == 193.0


def test_a_shared_car_that_emits_avoids_only_the_difference(alice: Tenant) -> None:
    make_booking(alice, vehicle=thermal(alice, co2=120), km=1000)
    assert avoided(alice)["substitution_kg"] == 73.0


def test_the_baseline_parameter_changes_the_avoided_co2(alice: Tenant) -> None:
    make_booking(alice, km=1000)
    param_set(actor=None, key="stats_co2_baseline_g_km", value=100, organisation=alice.organisation)
    assert avoided(alice)["total_kg"] == 100.0


def test_the_km_reduction_parameter_counts_the_km_no_longer_driven(alice: Tenant) -> None:
    make_booking(alice, km=1000)
    param_set(
        actor=None, key="stats_co2_km_reduction_pct", value=50, organisation=alice.organisation
    )
    # Half the km no longer driven: 1000 shared km stand for 2000 private km.
    assert avoided(alice)["less_driving_kg"] == 193.0


def test_carpool_passenger_km_count_as_private_cars_left_at_home(
    alice: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = make_booking(alice, km=0)
    # Restored after the test: the carpool app registers its own source.
    monkeypatch.setattr(
        "flotte.stats.carpool._source", lambda org, start, end: {booking.pk: SharedRide(1, 100.0)}
    )
    result = avoided(alice)
    assert result["carpool_kg"] == 19.3


def test_lom_quotas_by_regime_and_year() -> None:
    assert lom_quota("local_authority", 2020) is None
    assert lom_quota("local_authority", 2024) == 30
    assert lom_quota("local_authority", 2026) == 40
    assert lom_quota("local_authority", 2030) == 70
    assert lom_quota("state", 2026) == 50
    assert lom_quota("state", 2027) == 70
    assert lom_quota("other_public", 2026) == 40
    assert lom_quota("company", 2026) == 20
    assert lom_quota("none", 2026) is None


def thermal(tenant: Tenant, co2: int = 120) -> Vehicle:
    return f.VehicleFactory(
        organisation=tenant.organisation, home_station=tenant.station, energy="petrol", co2_g_km=co2
    )


def test_greening_is_the_share_of_low_emission_vehicles(alice: Tenant) -> None:
    thermal(alice)
    year = alice.vehicle.created_at.year
    result = fleet_greening(alice.organisation, year)
    assert (result["vehicles"], result["low_emission"], result["low_emission_pct"]) == (2, 1, 50.0)
    assert result["renewed_low_emission_pct"] == 50.0


def test_greening_compares_the_years_renewals_with_the_quota(alice: Tenant) -> None:
    old = thermal(alice)
    Vehicle.objects.filter(pk=old.pk).update(created_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC))
    year = alice.vehicle.created_at.year
    result = fleet_greening(alice.organisation, year)
    assert (result["renewed"], result["renewed_low_emission_pct"]) == (1, 100.0)
    assert result["quota_pct"] == (40 if year < 2030 else 70)
    assert result["meets_quota"] is True


def test_the_low_emission_threshold_parameter(alice: Tenant) -> None:
    thermal(alice, co2=45)
    year = alice.vehicle.created_at.year
    assert fleet_greening(alice.organisation, year)["low_emission"] == 2
    param_set(
        actor=None, key="stats_low_emission_max_g_km", value=40, organisation=alice.organisation
    )
    assert fleet_greening(alice.organisation, year)["low_emission"] == 1


def test_the_lom_regime_parameter_picks_the_quota(alice: Tenant) -> None:
    param_set(actor=None, key="stats_lom_regime", value="state", organisation=alice.organisation)
    year = alice.vehicle.created_at.year
    assert fleet_greening(alice.organisation, year)["quota_pct"] == (50 if year < 2027 else 70)
