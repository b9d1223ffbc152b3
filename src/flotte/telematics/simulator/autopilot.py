"""The demo's autopilot: drivers who use their bookings.

For each box, whenever its access list holds a booking valid now that was
not driven yet, a driver badges in, takes the key, drives to another station
(or a round trip when there is none), drives back to the station the car
started from (the platform checks returns against a radius around the
booking's station), stops, returns the key, closes the doors and badges
again to ask for the end of the trip. The platform then locks and
immobilizes the car. Electric cars parked at a station with charging points
plug in. One ``random.Random(seed)`` makes the runs repeatable.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from .box import SimulatedBox

log = logging.getLogger(__name__)

ROAD_FACTOR = 1.3  # roads are longer than the straight line
AT_STATION_KM = 0.2
REFUEL_BELOW_PCT = 20.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Station:
    name: str
    lat: float
    lon: float
    charging: bool = False


@dataclass
class _Trip:
    booking_id: str
    badge_uid: str
    home_lat: float
    home_lon: float
    back_km: float
    back_minutes: float
    phase: str = "out"  # "out", then "back"


class Simulation:
    """Runs the autopilot over some boxes; ``step()`` is one decision round
    (tests may call it directly), ``run()`` loops until ``stop`` is set.

    ``completed`` lists ``(box_id, booking_id)`` of the trips driven, in order.
    """

    def __init__(
        self,
        boxes: Sequence[SimulatedBox],
        stations: Sequence[Station],
        *,
        seed: int = 0,
        speed_kmh: float = 30.0,
        step_s: float = 0.1,
    ) -> None:
        self.boxes = list(boxes)
        self.stations = list(stations)
        self.rng = random.Random(seed)  # noqa: S311 (repeatable demo, not secrets)
        self.speed_kmh = speed_kmh
        self.step_s = step_s
        self.completed: list[tuple[str, str]] = []
        self._trips: dict[str, _Trip] = {}
        self._driven: dict[str, set[str]] = {box.box_id: set() for box in self.boxes}

    def run(
        self, stop: threading.Event, speedup: float = 1.0, *, disconnect_at_end: bool = True
    ) -> None:
        """Connect the boxes not yet connected, run the autopilot every
        ``step_s`` real seconds with simulated time going ``speedup`` times
        faster, and disconnect cleanly once ``stop`` is set."""
        for box in self.boxes:
            box.time_scale = speedup
            if not box.connected:
                try:
                    box.connect()
                except (OSError, ConnectionError) as error:  # tick() retries
                    log.warning("%s: cannot connect yet: %s", box.box_id, error)
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self.step_s)
        finally:
            if disconnect_at_end:
                for box in self.boxes:
                    box.disconnect()

    def step(self) -> None:
        for box in self.boxes:
            try:
                self._step_box(box)
                box.tick()
            except Exception:  # one broken box must not stop the demo
                log.exception("%s: autopilot step failed", box.box_id)

    def _step_box(self, box: SimulatedBox) -> None:
        trip = self._trips.get(box.box_id)
        if trip is None:
            self._maybe_start(box)
        elif not box.ignition:  # someone else stopped the car: give up
            del self._trips[box.box_id]
        elif box.driving:
            return
        elif trip.phase == "out":
            box.drive(trip.back_km, trip.home_lat, trip.home_lon, trip.back_minutes)
            trip.phase = "back"
        else:
            self._finish(box, trip)

    def _maybe_start(self, box: SimulatedBox) -> None:
        if box.ignition or box.access is None:
            return
        driven = self._driven.setdefault(box.box_id, set())
        for entry in box.access.valid_at(box.now()):
            if entry.booking_id in driven:
                continue
            if not box.locked and box.booking_id == entry.booking_id:
                continue  # someone is using this booking by hand
            driven.add(entry.booking_id)
            self._start(box, entry.booking_id, entry.badge_uid)
            return
        self._park(box)

    def _home(self, box: SimulatedBox) -> tuple[float, float, Station | None]:
        """The station the car starts from (the nearest), where it must return."""
        if not self.stations:
            return box.lat, box.lon, None
        home = min(self.stations, key=lambda s: distance_km(box.lat, box.lon, s.lat, s.lon))
        return home.lat, home.lon, home

    def _destination(self, lat: float, lon: float, home: Station | None) -> tuple[float, float]:
        others = [
            s
            for s in self.stations
            if s != home and distance_km(lat, lon, s.lat, s.lon) > AT_STATION_KM
        ]
        if others:
            target = self.rng.choice(others)
            return target.lat, target.lon
        bearing, km = self.rng.uniform(0, 2 * math.pi), self.rng.uniform(2.0, 8.0)
        dlat = km / 111.2 * math.cos(bearing)
        dlon = km / (111.2 * max(math.cos(math.radians(lat)), 0.01)) * math.sin(bearing)
        return lat + dlat, lon + dlon

    def _minutes(self, km: float) -> float:
        return km / self.speed_kmh * 60 * self.rng.uniform(0.9, 1.3)

    def _start(self, box: SimulatedBox, booking_id: str, badge_uid: str) -> None:
        box.unplug()
        if not box.present_badge(badge_uid):
            log.info("%s: badge refused for booking %s", box.box_id, booking_id)
            return
        box.open_doors()
        box.remove_key()
        box.close_doors()
        if not box.start_engine():
            log.info("%s: engine did not start for booking %s", box.box_id, booking_id)
            return
        home_lat, home_lon, home = self._home(box)
        to_lat, to_lon = self._destination(home_lat, home_lon, home)
        km = distance_km(box.lat, box.lon, to_lat, to_lon) * ROAD_FACTOR
        back_km = distance_km(to_lat, to_lon, home_lat, home_lon) * ROAD_FACTOR
        trip = _Trip(booking_id, badge_uid, home_lat, home_lon, back_km, self._minutes(back_km))
        self._trips[box.box_id] = trip
        box.drive(km, to_lat, to_lon, self._minutes(km))
        log.info("%s: trip for booking %s, %.1f km out", box.box_id, booking_id, km)

    def _finish(self, box: SimulatedBox, trip: _Trip) -> None:
        box.stop_engine()
        box.open_doors()
        box.return_key()
        box.close_doors()
        box.present_badge(trip.badge_uid)  # asks the platform to end the trip
        del self._trips[box.box_id]
        self.completed.append((box.box_id, trip.booking_id))
        if box.spec.energy_kind == "fuel" and box.energy_pct < REFUEL_BELOW_PCT:
            box.refuel()
        self._park(box)

    def _park(self, box: SimulatedBox) -> None:
        """Plug an electric car in when it stands at a station with chargers."""
        if box.spec.energy_kind != "soc" or box.plugged or box.energy_pct >= 100.0:
            return
        for station in self.stations:
            near = distance_km(box.lat, box.lon, station.lat, station.lon) <= AT_STATION_KM
            if station.charging and near:
                box.plug_in()
                return
