"""What carpooling tells the driver and the passengers, through notify's
``notify``: the values each carpool event's templates use."""

from __future__ import annotations

from typing import Any

from flotte.carpool.models import CarpoolOffer, CarpoolRequest
from flotte.notify.services import notify


def display_name(user: Any) -> str:
    """First name and initial: what members of a community see of each other."""
    initial = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name}{initial}".strip() or "?"


def offer_context(offer: CarpoolOffer) -> dict[str, Any]:
    from flotte.carpool.selectors import contribution_of

    vehicle = offer.booking.vehicle
    return {
        "offer_id": offer.pk,
        "driver": display_name(offer.driver),
        "origin_station": offer.origin_station.name,
        "destination": offer.destination,
        "departure_at": offer.departure_at,
        "return_at": offer.return_at,
        "vehicle": f"{vehicle.make} {vehicle.model}",
        "community": offer.community.name,
        "contribution": contribution_of(offer),
    }


def carpool_request_received(request: CarpoolRequest) -> None:
    """The driver: someone asks to join."""
    offer = request.offer
    notify(
        "carpool_request_received",
        offer.driver,
        offer.organisation,
        {
            **offer_context(offer),
            "passenger": display_name(request.passenger),
            "seats": request.seats,
            "message": request.message,
        },
        key=f"carpool_request:{request.pk}",
    )


def carpool_request_answered(request: CarpoolRequest) -> None:
    """The passenger: the driver accepted or declined."""
    offer = request.offer
    event = (
        "carpool_request_accepted"
        if request.state == CarpoolRequest.State.ACCEPTED
        else "carpool_request_declined"
    )
    notify(
        event,
        request.passenger,
        offer.organisation,
        {**offer_context(offer), "seats": request.seats},
        key=f"carpool_request:{request.pk}",
    )


def carpool_offer_cancelled(offer: CarpoolOffer, request: CarpoolRequest) -> None:
    """A passenger who asked or was taken: the trip will not happen."""
    notify(
        "carpool_offer_cancelled",
        request.passenger,
        offer.organisation,
        {**offer_context(offer), "seats": request.seats},
        key=f"carpool_request:{request.pk}",
    )
