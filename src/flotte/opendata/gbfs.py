"""The GBFS v3.0 feed of a community (https://gbfs.org, MobilityData's
gbfs.md at v3.0): what MaaS apps read to show our stations, the cars free
there, until when, and what they cost. Each function returns one file's
``data``; :func:`envelope` wraps it with ``last_updated``, ``ttl`` and
``version``. Nothing here names a member, a plate or a database id of a
vehicle."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.urls import reverse

from flotte.accounts.models import Community
from flotte.accounts.parameters import ParamContext
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import NotFound
from flotte.fleet.models import Station, Vehicle
from flotte.opendata import params
from flotte.opendata.models import PublicVehicleId
from flotte.opendata.pricing_plans import (
    LANGUAGES,
    localised,
    plan_id,
    system_pricing_plans,
    tariffs_in_force,
)

VERSION = "3.0"
# Files that change when a manager edits the fleet or the tariffs, not with
# each booking: readers may keep them longer.
STATIC_TTL = 3600
FILES = (
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "vehicle_status",
    "system_pricing_plans",
)
DYNAMIC = {"station_status", "vehicle_status"}
PROPULSION = {
    Vehicle.Energy.ELECTRIC: "electric",
    Vehicle.Energy.PETROL: "combustion",
    Vehicle.Energy.DIESEL: "combustion_diesel",
    Vehicle.Energy.HYBRID: "hybrid",
    Vehicle.Energy.PLUGIN_HYBRID: "plug_in_hybrid",
}


def published_community(slug: str) -> Community:
    """The community whose feed is asked for, if it publishes one (404
    otherwise: a community that does not publish looks like none)."""
    community = Community.objects.filter(slug=slug).select_related("organisation").first()
    if community is None or not ParamContext(community.organisation, community).value(
        params.GBFS_ENABLED.key
    ):
        raise NotFound("no open data feed here", code="no_feed")
    return community


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def envelope(
    community: Community, name: str, data: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    ttl = (
        ParamContext(community.organisation, community).value(params.GBFS_TTL.key)
        if name in DYNAMIC or name == "gbfs"
        else STATIC_TTL
    )
    return {"last_updated": rfc3339(now), "ttl": ttl, "version": VERSION, "data": data}


def feed_url(community: Community, name: str) -> str:
    return settings.PUBLIC_URL + reverse(
        "opendata:gbfs", kwargs={"slug": community.slug, "name": name}
    )


def discovery(community: Community) -> dict[str, Any]:
    return {"feeds": [{"name": name, "url": feed_url(community, name)} for name in FILES]}


def system_information(community: Community) -> dict[str, Any]:
    organisation = community.organisation
    data: dict[str, Any] = {
        "system_id": f"flotte-{community.slug}",
        "languages": list(LANGUAGES),
        "name": localised(community.name),
        "operator": localised(organisation.name),
        "opening_hours": "24/7",
        # The sender setting may carry a display name: the address alone.
        "feed_contact_email": organisation.support_email
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        "timezone": organisation.time_zone,
        "url": settings.PUBLIC_URL + reverse("web:community", kwargs={"slug": community.slug}),
    }
    if organisation.support_email:
        data["email"] = organisation.support_email
    if organisation.support_phone:
        data["phone_number"] = "".join(
            c for c in organisation.support_phone if c.isdigit() or c == "+"
        )
    return data


def _vehicles(community: Community) -> list[Vehicle]:
    return list(
        Vehicle.objects.filter(
            communities=community, home_station__communities=community, home_station__active=True
        )
        .exclude(status=Vehicle.Status.OUT_OF_SERVICE)
        .select_related("home_station")
        .distinct()
        .order_by("pk")
    )


def vehicle_type_id(vehicle: Vehicle) -> str:
    """The same id for every car of one kind (make, model, energy, range,
    CO2, seats): it says nothing of which car."""
    kind = "|".join(
        str(part)
        for part in (
            vehicle.make,
            vehicle.model,
            vehicle.energy,
            vehicle.range_km,
            vehicle.co2_g_km,
            vehicle.seats,
        )
    )
    return "car-" + hashlib.sha256(kind.encode()).hexdigest()[:12]


def _local_day(community: Community, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(community.organisation.time_zone)).date()


def vehicle_types(community: Community, today: dt.date) -> dict[str, Any]:
    tariffs = tariffs_in_force(community, today)
    kinds: dict[str, Vehicle] = {}
    for vehicle in _vehicles(community):
        kinds.setdefault(vehicle_type_id(vehicle), vehicle)
    types = []
    for type_id, vehicle in kinds.items():
        kind: dict[str, Any] = {
            "vehicle_type_id": type_id,
            "form_factor": "car",
            "propulsion_type": PROPULSION[Vehicle.Energy(vehicle.energy)],
            "max_range_meters": vehicle.range_km * 1000,
            "name": localised(f"{vehicle.make} {vehicle.model}"),
            "make": localised(vehicle.make),
            "model": localised(vehicle.model),
            "wheel_count": 4,
            "rider_capacity": vehicle.seats,
            "g_CO2_km": vehicle.co2_g_km,
        }
        if tariffs:
            kind["default_pricing_plan_id"] = plan_id(tariffs[0])
            kind["pricing_plan_ids"] = [plan_id(t) for t in tariffs]
        types.append(kind)
    return {"vehicle_types": types}


def _stations(community: Community) -> list[Station]:
    return list(Station.objects.filter(communities=community, active=True).order_by("pk"))


def station_information(community: Community) -> dict[str, Any]:
    stations = []
    for station in _stations(community):
        entry: dict[str, Any] = {
            "station_id": str(station.pk),
            "name": localised(station.name),
            "lat": float(station.latitude),
            "lon": float(station.longitude),
            "address": station.address,
            "capacity": station.capacity,
            "is_charging_station": station.charging_points > 0,
            "rental_methods": ["key"],
        }
        if station.postcode:
            entry["post_code"] = station.postcode
        stations.append(entry)
    return {"stations": stations}


class _Now:
    """Where each vehicle stands now: on a trip, reserved, and its next
    booking's start (two queries for the whole community)."""

    def __init__(self, vehicles: Iterable[Vehicle], now: dt.datetime) -> None:
        ids = [v.pk for v in vehicles]
        blocking = Booking.objects.filter(vehicle__in=ids, state__in=Booking.BLOCKING)
        self.on_trip = set(
            blocking.filter(state=Booking.State.STARTED).values_list("vehicle_id", flat=True)
        )
        self.reserved = set(
            blocking.filter(start__lte=now, blocked_until__gt=now).values_list(
                "vehicle_id", flat=True
            )
        )
        self.next_start = dict(
            blocking.filter(start__gt=now)
            .values("vehicle_id")
            .annotate(first=Min("start"))
            .values_list("vehicle_id", "first")
        )

    def available(self, vehicle: Vehicle) -> bool:
        return (
            vehicle.status == Vehicle.Status.AVAILABLE
            and vehicle.pk not in self.on_trip
            and vehicle.pk not in self.reserved
        )


def station_status(community: Community, now: dt.datetime) -> dict[str, Any]:
    vehicles = _vehicles(community)
    state = _Now(vehicles, now)
    present: Counter[int] = Counter()
    free: dict[int, Counter[str]] = {}
    disabled: Counter[int] = Counter()
    for vehicle in vehicles:
        if vehicle.pk in state.on_trip:
            continue
        station_id = vehicle.home_station_id
        present[station_id] += 1
        if vehicle.status != Vehicle.Status.AVAILABLE:
            disabled[station_id] += 1
        elif state.available(vehicle):
            free.setdefault(station_id, Counter())[vehicle_type_id(vehicle)] += 1
    stations = []
    for station in _stations(community):
        counts = free.get(station.pk, Counter())
        stations.append(
            {
                "station_id": str(station.pk),
                "num_vehicles_available": sum(counts.values()),
                "vehicle_types_available": [
                    {"vehicle_type_id": type_id, "count": count}
                    for type_id, count in sorted(counts.items())
                ],
                "num_vehicles_disabled": disabled[station.pk],
                "num_docks_available": max(station.capacity - present[station.pk], 0),
                "is_installed": True,
                "is_renting": True,
                "is_returning": True,
                "last_reported": rfc3339(now),
            }
        )
    return {"stations": stations}


def public_ids(vehicles: list[Vehicle]) -> dict[int, str]:
    """Each vehicle's id in the feed: random, drawn again once another of
    its trips has ended, so that a reader cannot follow a car from one trip
    to the next."""
    ended = dict(
        Booking.objects.filter(
            vehicle__in=[v.pk for v in vehicles],
            state__in=(Booking.State.ENDED, Booking.State.CLOSED),
        )
        .values("vehicle_id")
        .annotate(n=Count("pk"))
        .values_list("vehicle_id", "n")
    )
    known = {row.vehicle_id: row for row in PublicVehicleId.objects.filter(vehicle__in=vehicles)}
    ids = {}
    for vehicle in vehicles:
        trips = ended.get(vehicle.pk, 0)
        row = known.get(vehicle.pk)
        if row is None or row.trips_ended != trips:
            row = _draw(vehicle, row, trips)
        ids[vehicle.pk] = row.public_id
    return ids


def _draw(vehicle: Vehicle, row: PublicVehicleId | None, trips: int) -> PublicVehicleId:
    try:
        with transaction.atomic():
            if row is None:
                row = PublicVehicleId(organisation_id=vehicle.organisation_id, vehicle=vehicle)
            row.public_id = secrets.token_hex(16)
            row.trips_ended = trips
            row.drawn_at = clock.now()
            row.save()
            return row
    except IntegrityError:
        # Another request drew it meanwhile: take theirs.
        return PublicVehicleId.objects.get(vehicle=vehicle)


def vehicle_status(community: Community, now: dt.datetime) -> dict[str, Any]:
    """The cars not on a trip, at their station (a station-based service
    gives no coordinates), with ``available_until``: when their next
    booking starts."""
    vehicles = _vehicles(community)
    state = _Now(vehicles, now)
    parked = [v for v in vehicles if v.pk not in state.on_trip]
    ids = public_ids(parked)
    tariffs = tariffs_in_force(community, _local_day(community, now))
    ranges = _ranges(parked)
    entries = []
    for vehicle in parked:
        entry: dict[str, Any] = {
            "vehicle_id": ids[vehicle.pk],
            "vehicle_type_id": vehicle_type_id(vehicle),
            "station_id": str(vehicle.home_station_id),
            "home_station_id": str(vehicle.home_station_id),
            "is_reserved": vehicle.pk in state.reserved,
            "is_disabled": vehicle.status != Vehicle.Status.AVAILABLE,
            "last_reported": rfc3339(now),
            "current_range_meters": ranges.get(vehicle.pk, vehicle.range_km * 1000),
        }
        following = state.next_start.get(vehicle.pk)
        if following is not None and state.available(vehicle):
            entry["available_until"] = rfc3339(following)
        if tariffs:
            entry["pricing_plan_id"] = plan_id(tariffs[0])
        entries.append(entry)
    return {"vehicles": entries}


def _ranges(vehicles: list[Vehicle]) -> dict[int, int]:
    """The range the boxes last reported, in metres."""
    from flotte.telematics.models import VehicleState

    return {
        vehicle_id: int((km or 0) * 1000)
        for vehicle_id, km in VehicleState.objects.filter(
            vehicle__in=[v.pk for v in vehicles], range_km__isnull=False
        ).values_list("vehicle_id", "range_km")
    }


def gbfs_file(community: Community, name: str) -> dict[str, Any]:
    """One file of the community's feed, enveloped."""
    now = clock.now()
    today = _local_day(community, now)
    builders = {
        "gbfs": lambda: discovery(community),
        "system_information": lambda: system_information(community),
        "vehicle_types": lambda: vehicle_types(community, today),
        "station_information": lambda: station_information(community),
        "station_status": lambda: station_status(community, now),
        "vehicle_status": lambda: vehicle_status(community, now),
        "system_pricing_plans": lambda: system_pricing_plans(community, today),
    }
    if name not in builders:
        raise NotFound("no such file", code="no_file")
    return envelope(community, name, builders[name](), now)
