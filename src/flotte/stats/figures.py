"""Figures of a period per organisation, community, station, vehicle or user
group: bookings, hours booked and driven, km, trips, occupancy, active
members, revenue, energy, no-shows, late returns, transfers, carpooling.

One pass over plain rows: the bookings that start in the period (read once),
the invoices and credit notes issued in it, the transfers made in it. Every
row of a dimension adds up to the organisation's figures (active members
excepted: one person may use several stations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce

from flotte.accounts.models import Community, Membership, Organisation, UserGroup
from flotte.billing.models import Invoice
from flotte.booking.models import Booking, Transfer
from flotte.core.money import to_cents
from flotte.fleet.models import Station, Vehicle
from flotte.stats.carpool import shared_rides
from flotte.telematics.models import Trip

DIMENSIONS = ("organisation", "community", "station", "vehicle", "group")
ELECTRIC = ("electric",)


@dataclass
class Figures:
    bookings: int = 0
    cancelled: int = 0
    hours_booked: float = 0.0
    hours_driven: float = 0.0
    km: int = 0
    trips: int = 0
    members: set[int] = field(default_factory=set)
    revenue: Decimal = Decimal("0.00")
    energy_kwh: float = 0.0
    fuel_litres: float = 0.0
    no_shows: int = 0
    late_returns: int = 0
    transfers: int = 0
    carpool_passengers: int = 0
    carpool_passenger_km: float = 0.0
    available_hours: float | None = None

    def as_dict(self) -> dict[str, Any]:
        available = self.available_hours
        return {
            "bookings": self.bookings,
            "cancelled": self.cancelled,
            "hours_booked": round(self.hours_booked, 2),
            "hours_driven": round(self.hours_driven, 2),
            "km": self.km,
            "trips": self.trips,
            "active_members": len(self.members),
            "revenue": str(to_cents(self.revenue)),
            "energy_kwh": round(self.energy_kwh, 1),
            "fuel_litres": round(self.fuel_litres, 1),
            "no_shows": self.no_shows,
            "late_returns": self.late_returns,
            "transfers": self.transfers,
            "carpool_passengers": self.carpool_passengers,
            "carpool_passenger_km": round(self.carpool_passenger_km, 1),
            "available_hours": None if available is None else round(available, 2),
            "occupancy_booked_pct": _pct(self.hours_booked, available),
            "occupancy_driven_pct": _pct(self.hours_driven, available),
        }


def _pct(part: float, whole: float | None) -> float | None:
    if not whole:
        return None
    return round(100 * part / whole, 2)


def _hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


# The place of an event in every dimension, from its booking's fields.
PLACE = ("community_id", "vehicle_id", "station_id", "member_id")


@dataclass
class Dataset:
    organisation: Organisation
    start: dt.datetime
    end: dt.datetime
    bookings: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    transfers: list[dict[str, Any]]
    vehicles: dict[int, dict[str, Any]]
    vehicle_communities: dict[int, set[int]]
    group_of: dict[tuple[int, int], int | None]
    energy_drop: dict[int, float]  # booking id: battery share used, 0..1
    carpool: dict[int, Any]


def load(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> Dataset:
    """Read the period's rows of one organisation, a few queries in all."""
    org = organisation
    bookings: list[dict[str, Any]] = [
        dict(row)
        for row in Booking.objects.filter(organisation=org, start__gte=start, start__lt=end)
        .annotate(station_id=F("vehicle__home_station_id"))
        .values(
            "id",
            "community_id",
            "vehicle_id",
            "station_id",
            "member_id",
            "start",
            "end",
            "state",
            "started_at",
            "ended_at",
            "actual_km",
        )
    ]
    invoices = list(
        Invoice.objects.filter(
            organisation=org, state=Invoice.State.ISSUED, issued_at__gte=start, issued_at__lt=end
        )
        .annotate(
            community_id=Coalesce("booking__community_id", "credits__booking__community_id"),
            vehicle_id=Coalesce("booking__vehicle_id", "credits__booking__vehicle_id"),
            station_id=Coalesce(
                "booking__vehicle__home_station_id", "credits__booking__vehicle__home_station_id"
            ),
            member_id=Coalesce("booking__member_id", "credits__booking__member_id"),
        )
        .values("kind", "total_excl_vat", "issued_at", *PLACE)
    )
    transfers = list(
        Transfer.objects.filter(organisation=org, created_at__gte=start, created_at__lt=end)
        .annotate(
            community_id=F("booking__community_id"),
            vehicle_id=F("from_vehicle_id"),
            station_id=F("from_vehicle__home_station_id"),
            member_id=F("booking__member_id"),
        )
        .values("created_at", *PLACE)
    )
    vehicles: dict[int, dict[str, Any]] = {
        v["id"]: dict(v)
        for v in Vehicle.objects.filter(organisation=org).values(
            "id", "home_station_id", "energy", "consumption_per_100km", "battery_kwh", "co2_g_km"
        )
    }
    vehicle_communities: dict[int, set[int]] = {}
    for vehicle_id, community_id in Vehicle.communities.through.objects.filter(
        vehicle__organisation=org
    ).values_list("vehicle_id", "community_id"):
        vehicle_communities.setdefault(vehicle_id, set()).add(community_id)
    group_of: dict[tuple[int, int], int | None] = {
        (user_id, community_id): group_id
        for user_id, community_id, group_id in Membership.objects.filter(
            community__organisation=org
        ).values_list("user_id", "community_id", "group_id")
    }
    energy_drop = {}
    for booking_id, before, after in Trip.objects.filter(
        organisation=org, booking__start__gte=start, booking__start__lt=end
    ).values_list("booking_id", "start_energy_pct", "end_energy_pct"):
        if before is not None and after is not None and before > after:
            energy_drop[booking_id] = (before - after) / 100
    return Dataset(
        org,
        start,
        end,
        bookings,
        invoices,
        transfers,
        vehicles,
        vehicle_communities,
        group_of,
        energy_drop,
        shared_rides(org.pk, start, end),
    )


KeyOf = Callable[[dict[str, Any]], Hashable]


def key_of(dataset: Dataset, dimension: str) -> KeyOf:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension}")
    if dimension == "organisation":
        org_id = dataset.organisation.pk
        return lambda row: org_id
    if dimension == "group":
        group_of = dataset.group_of
        return lambda row: group_of.get((row["member_id"], row["community_id"]))
    name = {"community": "community_id", "station": "station_id", "vehicle": "vehicle_id"}[
        dimension
    ]
    return lambda row: row[name]


def aggregate(dataset: Dataset, key: KeyOf) -> dict[Hashable, Figures]:
    """The figures per key; an event whose key is None (an invoice without a
    booking, a member outside any group) has a row of its own."""
    rows: dict[Hashable, Figures] = {}

    def at(row: dict[str, Any]) -> Figures:
        k = key(row)
        if k not in rows:
            rows[k] = Figures()
        return rows[k]

    vehicles = dataset.vehicles
    for b in dataset.bookings:
        figures = at(b)
        if b["state"] == Booking.State.CANCELLED:
            figures.cancelled += 1
            continue
        figures.bookings += 1
        figures.hours_booked += _hours(b["end"] - b["start"])
        if b["state"] == Booking.State.NO_SHOW:
            figures.no_shows += 1
        if b["started_at"] is None:
            continue
        figures.trips += 1
        figures.members.add(b["member_id"])
        if b["ended_at"] is not None:
            figures.hours_driven += _hours(b["ended_at"] - b["started_at"])
            if b["ended_at"] > b["end"]:
                figures.late_returns += 1
        km = b["actual_km"] or 0
        figures.km += km
        vehicle = vehicles.get(b["vehicle_id"])
        if vehicle is not None:
            _add_energy(figures, vehicle, km, dataset.energy_drop.get(b["id"]))
        ride = dataset.carpool.get(b["id"])
        if ride is not None:
            figures.carpool_passengers += ride.passengers
            figures.carpool_passenger_km += ride.passenger_km
    for invoice in dataset.invoices:
        amount = invoice["total_excl_vat"] or Decimal("0")
        sign = -1 if invoice["kind"] == Invoice.Kind.CREDIT_NOTE else 1
        at(invoice).revenue += sign * amount
    for transfer in dataset.transfers:
        at(transfer).transfers += 1
    return rows


def _add_energy(figures: Figures, vehicle: dict[str, Any], km: int, drop: float | None) -> None:
    """Measured by the box for an electric vehicle with a known battery,
    otherwise estimated from the km and the rated consumption."""
    if vehicle["energy"] in ELECTRIC:
        if drop is not None and vehicle["battery_kwh"]:
            figures.energy_kwh += float(vehicle["battery_kwh"]) * drop
        else:
            figures.energy_kwh += km * float(vehicle["consumption_per_100km"]) / 100
    else:
        figures.fuel_litres += km * float(vehicle["consumption_per_100km"]) / 100


def _vehicles_per_key(dataset: Dataset, dimension: str) -> dict[Hashable, int] | None:
    if dimension == "group":
        return None  # vehicles are not a group's: no occupancy
    counts: dict[Hashable, int] = {}
    for vehicle_id, vehicle in dataset.vehicles.items():
        if dimension == "organisation":
            keys: list[Hashable] = [dataset.organisation.pk]
        elif dimension == "station":
            keys = [vehicle["home_station_id"]]
        elif dimension == "vehicle":
            keys = [vehicle_id]
        else:
            keys = list(dataset.vehicle_communities.get(vehicle_id, ()))
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    return counts


def _labels(organisation: Organisation, dimension: str) -> dict[Any, str]:
    if dimension == "organisation":
        return {organisation.pk: organisation.name}
    if dimension == "community":
        return dict(Community.objects.filter(organisation=organisation).values_list("pk", "name"))
    if dimension == "station":
        return dict(Station.objects.filter(organisation=organisation).values_list("pk", "name"))
    if dimension == "vehicle":
        return {
            pk: f"{plate} {make} {model}"
            for pk, plate, make, model in Vehicle.objects.filter(
                organisation=organisation
            ).values_list("pk", "plate", "make", "model")
        }
    return dict(UserGroup.objects.filter(organisation=organisation).values_list("pk", "name"))


def dimension_rows(dataset: Dataset, dimension: str) -> list[dict[str, Any]]:
    """One row per community, station, vehicle or group (those without
    activity too), plus a row keyed None for what belongs to none."""
    per_key = aggregate(dataset, key_of(dataset, dimension))
    vehicles = _vehicles_per_key(dataset, dimension)
    period_hours = _hours(dataset.end - dataset.start)
    labels = _labels(dataset.organisation, dimension)
    keys: list[Any] = list(labels)
    keys += [k for k in per_key if k not in labels]
    rows = []
    for k in keys:
        figures = per_key.get(k) or Figures()
        if vehicles is not None:
            figures.available_hours = vehicles.get(k, 0) * period_hours
        rows.append({"key": k, "label": labels.get(k, ""), **figures.as_dict()})
    return rows


def period_figures(
    organisation: Organisation, start: dt.datetime, end: dt.datetime, dimension: str
) -> list[dict[str, Any]]:
    """The figures of a period for one dimension. Heavy on a big fleet: the
    request path gets them from `stats.snapshots`, computed in the background."""
    if end <= start:
        raise ValueError("the period ends before it starts")
    return dimension_rows(load(organisation, start, end), dimension)
