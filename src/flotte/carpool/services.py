"""Carpooling: a driver offers the free seats of a booking, members of the
same community ask to join, the driver accepts or declines. Each service is
one transaction; the driver and the passengers are told through notify."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.booking.services import membership_of
from flotte.carpool import hooks
from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.fleet.models import Station


def seats_taken(offer: CarpoolOffer) -> int:
    """Seats of the accepted requests."""
    taken = offer.requests.filter(state=CarpoolRequest.State.ACCEPTED).aggregate(n=Sum("seats"))
    return int(taken["n"] or 0)


def seats_free(offer: CarpoolOffer) -> int:
    return offer.seats - seats_taken(offer)


@transaction.atomic
def carpool_offer_create(
    *,
    driver: User,
    booking: Booking,
    seats: int,
    destination: str = "",
    destination_station: Station | None = None,
    destination_latitude: Decimal | None = None,
    destination_longitude: Decimal | None = None,
    departure_at: dt.datetime | None = None,
    return_at: dt.datetime | None = None,
    note: str = "",
) -> CarpoolOffer:
    """Offer the free seats of the driver's booking. The destination is one
    of the organisation's stations or a named point with its coordinates;
    departure defaults to the booking's start. The driver keeps a seat."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("vehicle__home_station", "community")
        .get(pk=booking.pk)
    )
    if booking.member_id != driver.pk:
        raise PermissionDenied("only the booking's driver offers its seats")
    if booking.state not in Booking.BLOCKING:
        raise Conflict("this booking is not upcoming", code="booking_not_upcoming")
    if booking.carpool_offers.filter(state=CarpoolOffer.State.OPEN).exists():
        raise Conflict("this booking's seats are already offered", code="already_offered")
    most = booking.vehicle.seats - 1
    if not 1 <= seats <= most:
        raise ValidationFailed(
            f"offer 1 to {most} seats: the driver keeps one",
            code="too_many_seats",
            fields={"seats": f"1 to {most}"},
            figures={"seats": most},
        )
    departure_at = departure_at or booking.start
    if not booking.start <= departure_at < booking.end:
        raise ValidationFailed(
            "the departure is within the booking", fields={"departure_at": "outside the booking"}
        )
    if return_at is not None and not departure_at < return_at <= booking.end:
        raise ValidationFailed(
            "the return is after the departure and within the booking",
            fields={"return_at": "outside the booking"},
        )
    if destination_station is not None:
        if destination_station.organisation_id != booking.organisation_id:
            raise ValidationFailed("no such station", fields={"destination_station_id": "unknown"})
        destination = destination or destination_station.name
        destination_latitude = destination_station.latitude
        destination_longitude = destination_station.longitude
    if destination_latitude is None or destination_longitude is None or not destination.strip():
        raise ValidationFailed(
            "give a destination station, or a destination with its coordinates",
            fields={"destination": "required"},
        )
    if not (-90 <= destination_latitude <= 90 and -180 <= destination_longitude <= 180):
        raise ValidationFailed("coordinates out of range", fields={"destination": "coordinates"})
    offer = CarpoolOffer.objects.create(
        organisation_id=booking.organisation_id,
        community=booking.community,
        booking=booking,
        driver=driver,
        origin_station=booking.vehicle.home_station,
        destination=destination.strip(),
        destination_station=destination_station,
        destination_latitude=Decimal(destination_latitude).quantize(Decimal("0.000001")),
        destination_longitude=Decimal(destination_longitude).quantize(Decimal("0.000001")),
        departure_at=departure_at,
        return_at=return_at,
        seats=seats,
        note=note.strip(),
        created_at=clock.now(),
    )
    audit("carpool.offered", offer, actor=driver, data={"seats": seats, "booking": booking.pk})
    return offer


def _locked_offer(offer_id: int) -> CarpoolOffer:
    return (
        CarpoolOffer.objects.select_for_update(of=("self",))
        .select_related("driver", "community__organisation", "organisation", "booking__vehicle")
        .get(pk=offer_id)
    )


@transaction.atomic
def carpool_request_create(
    *, passenger: User, offer: CarpoolOffer, seats: int = 1, message: str = ""
) -> CarpoolRequest:
    """Ask to join an open offer of one's community; the driver is told."""
    offer = _locked_offer(offer.pk)
    membership_of(passenger, offer.community)
    if passenger.pk == offer.driver_id:
        raise ValidationFailed("the driver is already in the car", code="own_offer")
    if (
        not offer.is_open
        or offer.booking.state not in Booking.BLOCKING
        or offer.departure_at <= clock.now()
    ):
        raise Conflict("this trip is no longer offered", code="offer_closed")
    if seats < 1 or seats > seats_free(offer):
        raise Conflict("not enough free seats", code="no_seat_free", fields={"seats": "too many"})
    if offer.requests.filter(passenger=passenger, state__in=CarpoolRequest.LIVE).exists():
        raise Conflict("you already asked to join this trip", code="already_asked")
    request = CarpoolRequest.objects.create(
        organisation_id=offer.organisation_id,
        offer=offer,
        passenger=passenger,
        seats=seats,
        message=message.strip(),
        created_at=clock.now(),
    )
    audit("carpool.asked", request, actor=passenger, data={"seats": seats})
    hooks.carpool_request_received(request)
    return request


def _decide(actor: User, request: CarpoolRequest) -> tuple[CarpoolOffer, CarpoolRequest]:
    # The offer's row is locked first: two accepts of one offer run one
    # after the other, and the second counts the seats the first took.
    offer = _locked_offer(request.offer_id)
    request = CarpoolRequest.objects.select_related("passenger").get(pk=request.pk)
    if actor.pk != offer.driver_id:
        raise PermissionDenied("only the driver accepts or declines")
    if request.state != CarpoolRequest.State.PENDING:
        raise Conflict("this request was already answered", code="already_answered")
    if not offer.is_open:
        raise Conflict("this trip is no longer offered", code="offer_closed")
    request.offer = offer
    return offer, request


@transaction.atomic
def carpool_request_accept(*, actor: User, request: CarpoolRequest) -> CarpoolRequest:
    """The driver takes the passenger; never more seats than offered."""
    offer, request = _decide(actor, request)
    if request.seats > seats_free(offer):
        raise Conflict("not enough free seats left", code="no_seat_free")
    request.state = CarpoolRequest.State.ACCEPTED
    request.decided_at = clock.now()
    request.save(update_fields=["state", "decided_at"])
    audit("carpool.accepted", request, actor=actor)
    hooks.carpool_request_answered(request)
    return request


@transaction.atomic
def carpool_request_decline(*, actor: User, request: CarpoolRequest) -> CarpoolRequest:
    _, request = _decide(actor, request)
    request.state = CarpoolRequest.State.DECLINED
    request.decided_at = clock.now()
    request.save(update_fields=["state", "decided_at"])
    audit("carpool.declined", request, actor=actor)
    hooks.carpool_request_answered(request)
    return request


def _cancel(offer: CarpoolOffer, actor: User | None, reason: str) -> CarpoolOffer:
    now = clock.now()
    offer.state = CarpoolOffer.State.CANCELLED
    offer.cancelled_at = now
    offer.save(update_fields=["state", "cancelled_at"])
    told = list(offer.requests.filter(state__in=CarpoolRequest.LIVE).select_related("passenger"))
    offer.requests.filter(pk__in=[r.pk for r in told]).update(
        state=CarpoolRequest.State.CANCELLED, decided_at=now
    )
    audit("carpool.cancelled", offer, actor=actor, data={"reason": reason})
    for request in told:
        hooks.carpool_offer_cancelled(offer, request)
    return offer


@transaction.atomic
def carpool_offer_cancel(*, actor: User, offer: CarpoolOffer) -> CarpoolOffer:
    """The driver withdraws the offer; passengers are told."""
    offer = _locked_offer(offer.pk)
    if actor.pk != offer.driver_id:
        raise PermissionDenied("only the driver cancels the offer")
    if not offer.is_open:
        raise Conflict("this offer is already cancelled", code="offer_closed")
    return _cancel(offer, actor, "driver")


def carpool_booking_cancelled(booking: Booking) -> None:
    """A cancelled booking takes its offer with it (called by the booking
    services inside their transaction)."""
    for offer_id in booking.carpool_offers.filter(state=CarpoolOffer.State.OPEN).values_list(
        "pk", flat=True
    ):
        _cancel(_locked_offer(offer_id), None, "booking_cancelled")
