"""Live simulated boxes for the demo: one per demo vehicle, driven by the
simulator's autopilot, with a little booking traffic so that a newcomer sees
cars unlock, drive, come back and charge."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from urllib.parse import urlsplit

from django.db import close_old_connections

from flotte.accounts.models import Membership, User
from flotte.booking.models import Booking
from flotte.booking.services import booking_create
from flotte.core import clock
from flotte.core.errors import ServiceError
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box, Station, Vehicle
from flotte.telematics.simulator import BoxSpec, SimulatedBox, Simulation
from flotte.telematics.simulator import Station as SimStation

log = logging.getLogger(__name__)

# A new demo booking every so often, for a car nobody uses now.
TRAFFIC_EVERY = dt.timedelta(minutes=2)


def box_specs(limit: int | None = None, seed: int = 2026) -> list[BoxSpec]:
    """A simulated twin of each fitted box, parked at its vehicle's station."""
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    specs = []
    with cross_tenant("simulated boxes"):
        boxes = Box.objects.filter(vehicle__isnull=False).select_related("vehicle__home_station")
        for box in boxes.order_by("box_id")[:limit]:
            vehicle = box.vehicle
            assert vehicle is not None
            station = vehicle.home_station
            specs.append(
                BoxSpec(
                    box.box_id,
                    float(station.latitude),
                    float(station.longitude),
                    energy_kind="soc" if vehicle.energy == Vehicle.Energy.ELECTRIC else "fuel",
                    full_range_km=float(vehicle.range_km),
                    energy_pct=float(rng.randint(55, 95)),
                    odometer_km=float(rng.randint(3_000, 60_000)),
                )
            )
    return specs


def stations() -> list[SimStation]:
    with cross_tenant("simulated boxes"):
        return [
            SimStation(s.name, float(s.latitude), float(s.longitude), s.charging_points > 0)
            for s in Station.objects.filter(active=True)
        ]


def simulated_boxes(url: str, specs: list[BoxSpec], secrets: dict[str, str]) -> list[SimulatedBox]:
    parts = urlsplit(url)
    return [
        SimulatedBox(
            spec,
            parts.hostname or "127.0.0.1",
            parts.port or 1883,
            username=spec.box_id if spec.box_id in secrets else None,
            password=secrets.get(spec.box_id),
        )
        for spec in specs
    ]


def book_an_idle_car(rng: random.Random) -> Booking | None:
    """One member books a car nobody uses for the next hour."""
    now = clock.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    with cross_tenant("demo traffic"):
        busy = Booking.objects.filter(
            state__in=Booking.BLOCKING, start__lt=now + dt.timedelta(hours=2), blocked_until__gt=now
        ).values_list("vehicle_id", flat=True)
        vehicles = list(
            Vehicle.objects.filter(box__isnull=False, status=Vehicle.Status.AVAILABLE)
            .exclude(pk__in=busy)
            .prefetch_related("communities")
        )
        rng.shuffle(vehicles)
        for vehicle in vehicles:
            members = list(
                Membership.objects.filter(
                    community__in=vehicle.communities.all(),
                    role=Membership.Role.MEMBER,
                    user__badges__active=True,
                ).select_related("user", "community")
            )
            rng.shuffle(members)
            for membership in members[:3]:
                try:
                    return booking_create(
                        actor=membership.user,
                        member=membership.user,
                        community=membership.community,
                        vehicle=vehicle,
                        start=now,
                        end=now + dt.timedelta(hours=1),
                        purpose="Démonstration",
                        declared_km=10,
                    )
                except ServiceError as refusal:
                    log.debug("demo booking refused: %s", refusal)
    return None


def traffic(stop: threading.Event, seed: int = 2026) -> None:
    from flotte.telematics.tasks import access_sweep

    rng = random.Random(seed)  # noqa: S311 - demo choices, not secrets
    while not stop.is_set():
        try:
            booking = book_an_idle_car(rng)
            if booking is not None:
                log.info("demo: %s booked %s", booking.member, booking.vehicle)
            access_sweep.run()
        except Exception:  # the demo goes on whatever happens
            log.exception("demo traffic failed")
        finally:
            close_old_connections()
        stop.wait(TRAFFIC_EVERY.total_seconds())


def simulation_of(
    url: str, *, boxes: int | None = None, secrets: dict[str, str] | None = None
) -> Simulation:
    """The autopilot over simulated twins of the first ``boxes`` fitted boxes."""
    specs = box_specs(limit=boxes)
    return Simulation(simulated_boxes(url, specs, secrets or {}), stations(), seed=2026)


def start_demo_simulation(url: str, stop: threading.Event, *, speedup: float = 10.0) -> Simulation:
    """The simulated boxes of every demo vehicle and the demo traffic, in
    background threads until ``stop`` is set."""
    simulation = simulation_of(url)
    threading.Thread(
        target=simulation.run, args=(stop, speedup), name="flotte-simulator", daemon=True
    ).start()
    threading.Thread(target=traffic, args=(stop,), name="flotte-demo-traffic", daemon=True).start()
    return simulation


def rotated_secrets(box_ids: list[str], operator: User) -> dict[str, str]:
    """New secrets for the boxes the simulator stands for, so that it can log
    in to a broker that checks passwords (the real boxes' secrets are only
    kept hashed)."""
    from flotte.fleet.services import box_secret_rotate

    with cross_tenant("simulated boxes' secrets"):
        return {
            box.box_id: box_secret_rotate(actor=operator, box=box)
            for box in Box.objects.filter(box_id__in=box_ids)
        }
