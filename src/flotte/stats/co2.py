"""CO2 avoided and fleet greening. The method, the factors and their sources
are in docs/statistics.md; the factors are parameters."""

from __future__ import annotations

from typing import Any

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import ParamContext
from flotte.fleet.models import Vehicle
from flotte.stats import params
from flotte.stats.figures import Dataset

# Share of low-emission vehicles among the vehicles of 3.5 t or less bought
# or leased in a calendar year, by the year each figure starts. Public
# buyers: code de l'environnement L224-8 as rewritten by ordonnance
# n° 2021-1490 (in force 19 November 2021; the article changed again on
# 7 April 2024: check it before reporting). Companies with more than 100
# vehicles: L224-10, from the LOM (loi n° 2019-1428, art. 77).
# docs/statistics.md cites them.
LOM_QUOTAS: dict[str, tuple[tuple[int, int], ...]] = {
    "state": ((2017, 50), (2027, 70)),
    "local_authority": ((2021, 30), (2025, 40), (2030, 70)),
    "other_public": ((2022, 40),),
    "company": ((2022, 10), (2024, 20), (2027, 40), (2030, 70)),
    "none": (),
}


def lom_quota(regime: str, year: int) -> int | None:
    """The quota in force in a year (percent), None before any."""
    quota = None
    for since, pct in LOM_QUOTAS[regime]:
        if year >= since:
            quota = pct
    return quota


def co2_avoided(dataset: Dataset) -> dict[str, Any]:
    """Kilograms of CO2 avoided over the dataset's period:

    - substitution: each km driven in a shared car replaces a km of the
      average private car, less the shared car's own emissions;
    - less driving: members drive `stats_co2_km_reduction_pct` fewer km than
      with a car of their own, so each shared km stands for 1/(1-r) km;
    - carpooling: each passenger-km would have been driven alone.
    """
    context = ParamContext(dataset.organisation)
    baseline = context.value(params.CO2_BASELINE.key)
    reduction = context.value(params.CO2_KM_REDUCTION.key) / 100
    substitution = less_driving = 0.0
    km_total = 0
    passenger_km = 0.0
    for b in dataset.bookings:
        if b["started_at"] is None:
            continue
        ride = dataset.carpool.get(b["id"])
        if ride is not None:
            passenger_km += ride.passenger_km
        km = b["actual_km"] or 0
        vehicle = dataset.vehicles.get(b["vehicle_id"])
        own = vehicle["co2_g_km"] if vehicle else 0
        km_total += km
        substitution += km * (baseline - own)
        less_driving += km * (reduction / (1 - reduction)) * baseline
    carpool = passenger_km * baseline
    return {
        "km": km_total,
        "baseline_g_km": baseline,
        "km_reduction_pct": round(reduction * 100),
        "substitution_kg": round(substitution / 1000, 1),
        "less_driving_kg": round(less_driving / 1000, 1),
        "carpool_passenger_km": round(passenger_km, 1),
        "carpool_kg": round(carpool / 1000, 1),
        "total_kg": round((substitution + less_driving + carpool) / 1000, 1),
    }


def fleet_greening(organisation: Organisation, year: int) -> dict[str, Any]:
    """The share of low-emission vehicles in the fleet and among the
    vehicles that joined it in `year`, against the LOM quota of that year."""
    context = ParamContext(organisation)
    limit = context.value(params.LOW_EMISSION_MAX.key)
    regime = context.value(params.LOM_REGIME.key)
    fleet = list(Vehicle.objects.filter(organisation=organisation).values("co2_g_km", "created_at"))
    low = sum(1 for v in fleet if v["co2_g_km"] <= limit)
    renewed = [v for v in fleet if v["created_at"].year == year]
    renewed_low = sum(1 for v in renewed if v["co2_g_km"] <= limit)
    quota = lom_quota(regime, year)
    renewed_pct = round(100 * renewed_low / len(renewed), 1) if renewed else None
    return {
        "year": year,
        "low_emission_max_g_km": limit,
        "vehicles": len(fleet),
        "low_emission": low,
        "low_emission_pct": round(100 * low / len(fleet), 1) if fleet else None,
        "renewed": len(renewed),
        "renewed_low_emission": renewed_low,
        "renewed_low_emission_pct": renewed_pct,
        "regime": regime,
        "quota_pct": quota,
        "meets_quota": None if quota is None or renewed_pct is None else renewed_pct >= quota,
    }
