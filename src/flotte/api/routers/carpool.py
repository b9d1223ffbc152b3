"""Carpooling: search trips, offer the seats of a booking, ask to join,
accept or decline, cancel. Members see the offers of their communities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from flotte.accounts.models import User
from flotte.api.common import actor, get_or_404
from flotte.api.routers.communities import visible_community
from flotte.api.schemas import (
    CarpoolMatchOut,
    CarpoolOfferIn,
    CarpoolOfferOut,
    CarpoolRequestIn,
    CarpoolRequestOut,
    ErrorOut,
    MyCarpoolOut,
)
from flotte.booking.models import Booking
from flotte.carpool.hooks import display_name
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.carpool.selectors import carpool_search, contribution_of, trip_km
from flotte.carpool.services import (
    carpool_offer_cancel,
    carpool_offer_create,
    carpool_request_accept,
    carpool_request_create,
    carpool_request_decline,
    seats_free,
)
from flotte.core import clock
from flotte.core.errors import ValidationFailed
from flotte.fleet.models import Station

router = Router(tags=["carpooling"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TripQuery(Schema):
    origin_station_id: int
    destination_station_id: int | None = None
    destination_latitude: Decimal | None = None
    destination_longitude: Decimal | None = None
    start: dt.datetime
    end: dt.datetime


def _request_out(request: CarpoolRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "offer_id": request.offer_id,
        "passenger": display_name(request.passenger),
        "seats": request.seats,
        "message": request.message,
        "state": request.state,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
    }


def _offer_out(offer: CarpoolOffer, user: User, free: int | None = None) -> dict[str, Any]:
    mine = offer.driver_id == user.pk
    return {
        "id": offer.pk,
        "booking_id": offer.booking_id,
        "driver": display_name(offer.driver),
        "origin_station_id": offer.origin_station_id,
        "origin_station": offer.origin_station.name,
        "destination": offer.destination,
        "destination_station_id": offer.destination_station_id,
        "destination_latitude": offer.destination_latitude,
        "destination_longitude": offer.destination_longitude,
        "departure_at": offer.departure_at,
        "return_at": offer.return_at,
        "seats": offer.seats,
        "seats_free": seats_free(offer) if free is None else free,
        "note": offer.note,
        "state": offer.state,
        "trip_km": trip_km(offer),
        "contribution": contribution_of(offer),
        "requests": [_request_out(r) for r in offer.requests.select_related("passenger")]
        if mine
        else [],
    }


def _visible_offers(user: User) -> QuerySet[CarpoolOffer]:
    return CarpoolOffer.objects.filter(community__memberships__user=user).select_related(
        "driver", "origin_station", "booking", "community__organisation"
    )


def _visible_requests(user: User) -> QuerySet[CarpoolRequest]:
    return CarpoolRequest.objects.filter(Q(passenger=user) | Q(offer__driver=user)).select_related(
        "passenger"
    )


@router.get("/communities/{slug}/carpool/trips", response={200: list[CarpoolMatchOut], **ERRORS})
def trips(request: HttpRequest, slug: str, query: Query[TripQuery]) -> list[dict[str, Any]]:
    """Trips offered in the community from a station near ``origin_station_id``
    to near the destination (a station, or coordinates), overlapping
    [start, end], best first: see docs/carpool.md for the ranking."""
    community = visible_community(request, slug)
    user = actor(request)
    origin = get_or_404(
        Station.objects.filter(communities=community), "station", pk=query.origin_station_id
    )
    latitude, longitude = query.destination_latitude, query.destination_longitude
    if query.destination_station_id is not None:
        destination = get_or_404(
            Station.objects.filter(organisation=community.organisation_id),
            "station",
            pk=query.destination_station_id,
        )
        latitude, longitude = destination.latitude, destination.longitude
    if latitude is None or longitude is None:
        raise ValidationFailed(
            "give destination_station_id, or destination_latitude and destination_longitude",
            fields={"destination_latitude": "required"},
        )
    matches = carpool_search(
        member=user,
        community=community,
        origin_station=origin,
        destination_latitude=latitude,
        destination_longitude=longitude,
        start=query.start,
        end=query.end,
    )
    return [
        {
            "offer": _offer_out(m.offer, user, m.seats_free),
            "origin_km": m.origin_km,
            "destination_km": m.destination_km,
            "minutes_apart": m.minutes_apart,
            "score": m.score,
        }
        for m in matches
    ]


@router.post("/bookings/{booking_id}/carpool", response={201: CarpoolOfferOut, **ERRORS})
def offer_post(request: HttpRequest, booking_id: int, payload: CarpoolOfferIn) -> Status[Any]:
    """Offer the free seats of your booking."""
    user = actor(request)
    booking = get_or_404(Booking.objects.filter(member=user), "booking", pk=booking_id)
    station = None
    if payload.destination_station_id is not None:
        station = get_or_404(
            Station.objects.filter(organisation=booking.organisation_id),
            "station",
            pk=payload.destination_station_id,
        )
    offer = carpool_offer_create(
        driver=user,
        booking=booking,
        destination_station=station,
        **payload.dict(exclude={"destination_station_id"}),
    )
    return Status(201, _offer_out(offer, user))


@router.get("/carpool/offers/{offer_id}", response={200: CarpoolOfferOut, 404: ErrorOut})
def offer_detail(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    """An offer of your communities; its driver also sees the requests."""
    user = actor(request)
    return _offer_out(get_or_404(_visible_offers(user), "offer", pk=offer_id), user)


@router.post("/carpool/offers/{offer_id}/cancel", response={200: CarpoolOfferOut, **ERRORS})
def offer_cancel(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    """The driver withdraws the offer (the booking stays); passengers are told."""
    user = actor(request)
    offer = get_or_404(_visible_offers(user), "offer", pk=offer_id)
    return _offer_out(carpool_offer_cancel(actor=user, offer=offer), user)


@router.post("/carpool/offers/{offer_id}/requests", response={201: CarpoolRequestOut, **ERRORS})
def request_post(
    request: HttpRequest, offer_id: int, payload: CarpoolRequestIn
) -> Status[dict[str, Any]]:
    """Ask to join; the driver is told."""
    user = actor(request)
    offer = get_or_404(_visible_offers(user), "offer", pk=offer_id)
    asked = carpool_request_create(passenger=user, offer=offer, **payload.dict())
    return Status(201, _request_out(asked))


@router.post("/carpool/requests/{request_id}/accept", response={200: CarpoolRequestOut, **ERRORS})
def request_accept(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The driver takes the passenger (409 when the seats are gone)."""
    user = actor(request)
    asked = get_or_404(_visible_requests(user), "request", pk=request_id)
    return _request_out(carpool_request_accept(actor=user, request=asked))


@router.post("/carpool/requests/{request_id}/decline", response={200: CarpoolRequestOut, **ERRORS})
def request_decline(request: HttpRequest, request_id: int) -> dict[str, Any]:
    user = actor(request)
    asked = get_or_404(_visible_requests(user), "request", pk=request_id)
    return _request_out(carpool_request_decline(actor=user, request=asked))


@router.get("/me/carpool", response=MyCarpoolOut)
def mine(request: HttpRequest) -> dict[str, Any]:
    """The trips you offer and the trips you asked to join, from now on."""
    user = actor(request)
    since = clock.now()
    offers = (
        CarpoolOffer.objects.filter(driver=user, departure_at__gte=since)
        .select_related("driver", "origin_station", "booking", "community__organisation")
        .order_by("departure_at")
    )
    asked = (
        CarpoolRequest.objects.filter(passenger=user, offer__departure_at__gte=since)
        .select_related(
            "passenger",
            "offer__driver",
            "offer__origin_station",
            "offer__booking",
            "offer__community__organisation",
        )
        .order_by("offer__departure_at")
    )
    return {
        "offers": [_offer_out(offer, user) for offer in offers],
        "requests": [{**_request_out(r), "offer": _offer_out(r.offer, user)} for r in asked],
    }
