"""Fleet-size advice: replay a period's demand at each station against
fewer or more vehicles, and count the requests that would not be served.

Demand is the bookings that were made (not cancelled), each holding a
vehicle from its start to the end of its buffer, plus the failed searches at
that station, each holding a vehicle for the searched window and the
station's booking buffer. The replay is a greedy interval scheduling:
requests in order of start (then of end), each given a vehicle free at its
start, or counted as not served when none is: first come, first served, as
members book (not the optimum, which would drop the longest request of a
clash). At the current size the
observed bookings all fit (they did), so what is not served there is the
failed searches the fleet could not take.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from typing import Any

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import ParamContext
from flotte.booking import params as booking_params
from flotte.booking.models import Booking
from flotte.fleet.models import Station, Vehicle
from flotte.stats import params
from flotte.stats.models import FailedSearch

Request = tuple[dt.datetime, dt.datetime] | tuple[float, float]


def peak(requests: Iterable[tuple[float, float]]) -> int:
    """The most requests open at one moment (one ending frees its vehicle
    for one starting at the same instant)."""
    events = sorted([(s, 1) for s, _ in requests] + [(e, -1) for _, e in requests])
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def not_served(requests: Iterable[Request], vehicles: int) -> int:
    """How many requests `vehicles` vehicles cannot serve, by the greedy
    first-come, first-served replay."""
    if vehicles <= 0:
        return sum(1 for _ in requests)
    free_at: list[Any] = []  # sorted: when each vehicle in use is free
    idle = vehicles
    missed = 0
    for start, end in sorted(requests):
        # Any vehicle free at the start will do (later requests start later).
        index = bisect.bisect_right(free_at, start)
        if index > 0:
            free_at.pop(index - 1)
        elif idle > 0:
            idle -= 1
        else:
            missed += 1
            continue
        bisect.insort(free_at, end)
    return missed


def fleet_advice(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Per station: requests, and requests not served for each size from 0
    to the current size plus `stats_fleet_advice_extra_vehicles`; the
    smallest size within `stats_fleet_advice_tolerance_pct` not served."""
    context = ParamContext(organisation)
    values = context.values(
        params.ADVICE_TOLERANCE.key, params.ADVICE_EXTRA.key, booking_params.BUFFER.key
    )
    tolerance = values[params.ADVICE_TOLERANCE.key]
    extra = values[params.ADVICE_EXTRA.key]
    buffer = dt.timedelta(minutes=values[booking_params.BUFFER.key])
    requests: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for station_id, b_start, until in (
        Booking.objects.filter(organisation=organisation, start__gte=start, start__lt=end)
        .exclude(state=Booking.State.CANCELLED)
        .values_list("vehicle__home_station_id", "start", "blocked_until")
    ):
        requests.setdefault(station_id, []).append((b_start, until))
    failed: dict[int, int] = {}
    for station_id, s_start, s_end in FailedSearch.objects.filter(
        organisation=organisation, station__isnull=False, start__gte=start, start__lt=end
    ).values_list("station_id", "start", "end"):
        requests.setdefault(station_id, []).append((s_start, s_end + buffer))
        failed[station_id] = failed.get(station_id, 0) + 1
    sizes: dict[int, int] = {}
    for station_id in Vehicle.objects.filter(organisation=organisation).values_list(
        "home_station_id", flat=True
    ):
        sizes[station_id] = sizes.get(station_id, 0) + 1
    stations = []
    total_now = total_advised = 0
    for station_id, name in Station.objects.filter(organisation=organisation).values_list(
        "pk", "name"
    ):
        # Sorted once, as seconds: the replay runs once per size.
        asked = sorted((s.timestamp(), e.timestamp()) for s, e in requests.get(station_id, []))
        current = sizes.get(station_id, 0)
        enough = peak(asked)  # from this size on, every request is served
        curve = [
            {"vehicles": n, "not_served": 0 if n >= enough else not_served(asked, n)}
            for n in range(current + extra, -1, -1)
        ]
        allowed = len(asked) * tolerance / 100
        advised = min(
            (p["vehicles"] for p in curve if p["not_served"] <= allowed), default=current + extra
        )
        total_now += current
        total_advised += advised
        stations.append(
            {
                "station_id": station_id,
                "station": name,
                "vehicles": current,
                "requests": len(asked),
                "failed_searches": failed.get(station_id, 0),
                "advised_vehicles": advised,
                "curve": curve,
            }
        )
    return {
        "tolerance_pct": tolerance,
        "vehicles": total_now,
        "advised_vehicles": total_advised,
        "change_pct": round(100 * (total_advised - total_now) / total_now, 1)
        if total_now
        else None,
        "stations": stations,
    }
