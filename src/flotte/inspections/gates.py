"""What a required inspection stops: the first unlock (check-in) and the end
of the trip (check-out), for the booking's driver only; managers and the
platform are never blocked."""

from __future__ import annotations

from flotte.accounts.models import User
from flotte.accounts.parameters import ParamContext
from flotte.accounts.selectors import is_operator, manages_organisation
from flotte.booking.models import Booking
from flotte.core.errors import Conflict
from flotte.inspections import params
from flotte.inspections.models import Inspection


def _required(booking: Booking, key: str) -> bool:
    community = booking.community
    return bool(ParamContext(community.organisation, community).value(key))


def _submitted(booking: Booking, kind: str) -> bool:
    return Inspection.objects.filter(
        booking=booking, kind=kind, state=Inspection.State.SUBMITTED
    ).exists()


def _blocks(actor: User | None, booking: Booking) -> bool:
    return (
        actor is not None
        and actor.pk == booking.member_id
        and not is_operator(actor)
        and not manages_organisation(actor, booking.organisation_id)
    )


def check_in_gate(*, actor: User | None, booking: Booking) -> None:
    """Refuse the driver's first unlock (409) until the check-in inspection
    is submitted, when the organisation or community requires it."""
    if (
        booking.state == Booking.State.CONFIRMED
        and _blocks(actor, booking)
        and _required(booking, params.CHECK_IN_REQUIRED.key)
        and not _submitted(booking, Inspection.Kind.CHECK_IN)
    ):
        raise Conflict(
            "submit the check-in inspection before unlocking the vehicle",
            code="check_in_inspection_required",
        )


def check_out_gate(*, actor: User | None, booking: Booking) -> None:
    """Refuse the driver's end of trip (409) until the check-out inspection
    is submitted, when the organisation or community requires it."""
    if (
        booking.state == Booking.State.STARTED
        and _blocks(actor, booking)
        and _required(booking, params.CHECK_OUT_REQUIRED.key)
        and not _submitted(booking, Inspection.Kind.CHECK_OUT)
    ):
        raise Conflict(
            "submit the check-out inspection before ending the trip",
            code="check_out_inspection_required",
        )
