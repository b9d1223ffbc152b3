"""Reading carpool trips: the search and its ranking, the km of a trip, the
cost sharing shown, and the figures the statistics count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q

from flotte.accounts.models import Community, Organisation, User
from flotte.accounts.parameters import ParamContext
from flotte.booking.models import Booking
from flotte.booking.services import membership_of
from flotte.carpool import params
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.core.errors import ValidationFailed
from flotte.core.geo import distance_m
from flotte.stats.carpool import SharedRide

# Ranking: a minute between the wanted and the offered departure weighs as
# much as this many km of detour.
KM_PER_MINUTE_APART = Decimal("0.1")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Match:
    offer: CarpoolOffer
    seats_free: int
    origin_km: Decimal  # from the passenger's station to the driver's
    destination_km: Decimal  # between the two destinations
    minutes_apart: int
    score: Decimal  # lower is better
    contribution: Decimal | None


def _km(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> Decimal:
    metres = distance_m(float(lat1), float(lon1), float(lat2), float(lon2))
    return (Decimal(metres) / 1000).quantize(Decimal("0.01"), ROUND_HALF_UP)


def trip_km(offer: CarpoolOffer) -> int:
    """The trip's km: those the booking's trip recorded once it ended;
    before, the straight line from the origin station to the destination,
    twice for a return trip."""
    if offer.booking.actual_km is not None:
        return offer.booking.actual_km
    station = offer.origin_station
    one_way = _km(
        station.latitude, station.longitude, offer.destination_latitude, offer.destination_longitude
    )
    legs = 2 if offer.return_at is not None else 1
    return int((one_way * legs).to_integral_value(ROUND_HALF_UP))


def contribution_of(offer: CarpoolOffer, context: ParamContext | None = None) -> Decimal | None:
    """What a passenger gives the driver: trip km × the organisation's
    contribution per km, to the cent; None where it is 0 (no cost sharing)."""
    context = context or ParamContext(offer.community.organisation, offer.community)
    rate: Decimal = context.value(params.CONTRIBUTION_PER_KM.key)
    if not rate:
        return None
    return (rate * trip_km(offer)).quantize(CENT, ROUND_HALF_UP)


def carpool_search(
    *,
    member: User,
    community: Community,
    origin_station: object,
    destination_latitude: Decimal,
    destination_longitude: Decimal,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Match]:
    """Open offers of the member's community with a free seat, leaving from
    a station near theirs and going near their destination, whose time
    (departure to return, or the departure alone) overlaps [start, end].

    Ranked by score = origin_km + destination_km + 0.1 × minutes_apart
    (the detour in km, plus a tenth of a km for each minute between the
    wanted start and the offered departure), lowest first."""
    if end <= start:
        raise ValidationFailed("the end is after the start", fields={"end": "before start"})
    membership_of(member, community)
    context = ParamContext(community.organisation, community)
    reach: Decimal = context.value(params.MAX_DISTANCE.key)
    offers = (
        CarpoolOffer.objects.filter(
            community=community,
            state=CarpoolOffer.State.OPEN,
            booking__state__in=Booking.BLOCKING,
            departure_at__lt=end,
        )
        .filter(
            Q(return_at__isnull=True, departure_at__gte=start)
            | Q(return_at__isnull=False, return_at__gt=start)
        )
        .exclude(driver=member)
        .select_related("origin_station", "booking", "community__organisation", "driver")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=CarpoolRequest.objects.filter(state__in=CarpoolRequest.LIVE),
                to_attr="live_requests",
            )
        )
    )
    origin = origin_station
    matches = []
    for offer in offers:
        if any(r.passenger_id == member.pk for r in offer.live_requests):
            continue
        free = offer.seats - sum(
            r.seats for r in offer.live_requests if r.state == CarpoolRequest.State.ACCEPTED
        )
        if free <= 0:
            continue
        origin_km = _km(
            origin.latitude,  # type: ignore[attr-defined]
            origin.longitude,  # type: ignore[attr-defined]
            offer.origin_station.latitude,
            offer.origin_station.longitude,
        )
        destination_km = _km(
            destination_latitude,
            destination_longitude,
            offer.destination_latitude,
            offer.destination_longitude,
        )
        if origin_km > reach or destination_km > reach:
            continue
        minutes = int(abs((offer.departure_at - start).total_seconds()) // 60)
        score = origin_km + destination_km + KM_PER_MINUTE_APART * minutes
        matches.append(
            Match(offer, free, origin_km, destination_km, minutes, score, contribution_of(offer))
        )
    return sorted(matches, key=lambda m: (m.score, m.offer.departure_at, m.offer.pk))


@dataclass(frozen=True)
class CarpoolFigures:
    trips: int  # shared trips: ended bookings whose offer carried a passenger
    passengers: int  # seats taken on them
    km_shared: int  # Σ trip km × passengers


SHARED = (Booking.State.ENDED, Booking.State.CLOSED)


def _shared_offers(organisation_id: int, **period: dt.datetime) -> list[CarpoolOffer]:
    """Offers still open whose booking was driven, with their accepted
    requests (``accepted``)."""
    return list(
        CarpoolOffer.objects.filter(
            organisation_id=organisation_id,
            state=CarpoolOffer.State.OPEN,
            booking__state__in=SHARED,
            requests__state=CarpoolRequest.State.ACCEPTED,
            **period,
        )
        .distinct()
        .select_related("booking", "origin_station")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=CarpoolRequest.objects.filter(state=CarpoolRequest.State.ACCEPTED),
                to_attr="accepted",
            )
        )
        .order_by("pk")
    )


def carpool_figures(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> CarpoolFigures:
    """Shared trips of the organisation that departed in [start, end):
    passengers carried, km shared = trip km × passengers."""
    trips = passengers = km = 0
    for offer in _shared_offers(organisation.pk, departure_at__gte=start, departure_at__lt=end):
        carried = sum(r.seats for r in offer.accepted)  # type: ignore[attr-defined]
        trips += 1
        passengers += carried
        km += trip_km(offer) * carried
    return CarpoolFigures(trips=trips, passengers=passengers, km_shared=km)


def carpool_shared_rides(
    organisation_id: int, start: dt.datetime, end: dt.datetime
) -> dict[int, SharedRide]:
    """What the statistics count per booking (those starting in [start,
    end), as the statistics select them): the passengers carried and the
    km they rode (trip km × passengers). Registered with the statistics as
    their carpool source (``CarpoolConfig.ready``)."""
    rides = {}
    for offer in _shared_offers(organisation_id, booking__start__gte=start, booking__start__lt=end):
        carried = sum(r.seats for r in offer.accepted)  # type: ignore[attr-defined]
        rides[offer.booking_id] = SharedRide(
            passengers=carried, passenger_km=float(trip_km(offer) * carried)
        )
    return rides
