"""When nothing is free for the station and time a member asked for: the
nearest free alternatives, at other stations for the same time, and at the
same stations a little earlier or later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flotte.accounts.models import Community, User
from flotte.booking.services import Offer, assign, availability
from flotte.core.errors import ValidationFailed
from flotte.core.geo import distance_m
from flotte.fleet.models import Station

# Times tried around the one asked for, nearest first: later before earlier,
# since a member who cannot leave now can more often leave later.
TIME_SHIFTS = tuple(dt.timedelta(hours=h) for h in (1, -1, 2, -2, 3, -3, 24))


@dataclass(frozen=True)
class Alternative:
    """A free vehicle for a slot close to the one asked for."""

    offer: Offer
    start: dt.datetime
    end: dt.datetime
    # How far its station is from the nearest station asked for (None when
    # no station was asked for), and how far its start is from the one asked.
    distance_m: float | None
    shift: dt.timedelta

    @property
    def station(self) -> Station:
        return self.offer.vehicle.home_station


def _one_per_station(offers: list[Offer], community: Community) -> list[Offer]:
    """The vehicle the platform would pick at each station."""
    seen: set[int] = set()
    chosen = []
    for offer in assign(offers, community):
        if offer.vehicle.home_station_id not in seen:
            seen.add(offer.vehicle.home_station_id)
            chosen.append(offer)
    return chosen


def _distance_from(stations: list[Station], station: Station) -> float:
    return min(
        distance_m(
            float(asked.latitude),
            float(asked.longitude),
            float(station.latitude),
            float(station.longitude),
        )
        for asked in stations
    )


def booking_alternatives(
    *,
    member: User,
    community: Community,
    start: dt.datetime,
    end: dt.datetime,
    station_ids: list[int] | None = None,
    category: str | None = None,
    declared_km: int = 0,
    business_use: bool = False,
    limit: int = 3,
) -> list[Alternative]:
    """Up to ``limit`` other stations with a free vehicle for the same time,
    nearest first, then up to ``limit`` nearby times with a free vehicle at
    the stations asked for. Times the booking rules refuse (in the past,
    beyond the horizon) are not offered."""

    def free(at: dt.datetime, until: dt.datetime, stations: list[int] | None) -> list[Offer]:
        return availability(
            member=member,
            community=community,
            start=at,
            end=until,
            station_ids=stations,
            category=category,
            declared_km=declared_km,
            business_use=business_use,
            record_failed=False,
        )

    found: list[Alternative] = []
    if station_ids:
        asked = list(Station.objects.filter(pk__in=station_ids))
        elsewhere = [
            offer
            for offer in free(start, end, None)
            if offer.vehicle.home_station_id not in station_ids
        ]
        nearest = sorted(
            (
                Alternative(
                    offer,
                    start,
                    end,
                    _distance_from(asked, offer.vehicle.home_station),
                    dt.timedelta(),
                )
                for offer in _one_per_station(elsewhere, community)
            ),
            key=lambda alternative: alternative.distance_m or 0.0,
        )
        found.extend(nearest[:limit])
    later_or_earlier: list[Alternative] = []
    for shift in TIME_SHIFTS:
        if len(later_or_earlier) >= limit:
            break
        try:
            offers = free(start + shift, end + shift, station_ids)
        except ValidationFailed:
            continue
        if offers:
            later_or_earlier.append(
                Alternative(
                    assign(offers, community)[0],
                    start + shift,
                    end + shift,
                    0.0 if station_ids else None,
                    shift,
                )
            )
    return found + later_or_earlier
