"""Commands to the boxes: who may ask for what, and the retry loop."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q, QuerySet

from flotte.accounts.drivers import suspensions_in_force
from flotte.accounts.models import Community, User
from flotte.accounts.parameters import param_value
from flotte.accounts.selectors import is_operator, manages_organisation
from flotte.booking.models import Booking
from flotte.booking.rules import early_start
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, PermissionDenied
from flotte.fleet.models import Box, Vehicle
from flotte.telematics import params, protocol
from flotte.telematics.models import Command
from flotte.telematics.publisher import publisher

log = logging.getLogger(__name__)

MEMBER_COMMANDS = frozenset({Command.Kind.UNLOCK, Command.Kind.LOCK})
# An unanswered command is sent again after this long, with the same id.
RETRY_AFTER = dt.timedelta(seconds=3)


def box_of_vehicle(vehicle: Vehicle) -> Box:
    box = Box.objects.filter(vehicle=vehicle).first()
    if box is None:
        raise NotFound("this vehicle has no box", code="no_box")
    return box


def _letting_in(candidates: QuerySet[Booking], at: dt.datetime) -> Booking | None:
    """Of these bookings, the one that lets its member in now: a trip still
    under way, or a booking from the early-start margin before it to its end."""
    candidates = candidates.filter(state__in=Booking.BLOCKING).filter(
        Q(state=Booking.State.STARTED) | Q(end__gt=at)
    )
    for booking in candidates.select_related("community__organisation").order_by("start"):
        if booking.state == Booking.State.STARTED:
            return booking
        if booking.start - early_start(booking.community) <= at < booking.end:
            return booking
    return None


def current_booking(member: User, vehicle: Vehicle, at: dt.datetime) -> Booking | None:
    """The member's booking of this vehicle that lets them in now."""
    return _letting_in(Booking.objects.filter(member=member, vehicle=vehicle), at)


def current_trip(member: User, community: Community, at: dt.datetime) -> Booking | None:
    """The member's booking in this community that lets them in now: their
    current trip, where the app opens."""
    return _letting_in(Booking.objects.filter(member=member, community=community), at)


@transaction.atomic
def command_issue(
    *, actor: User | None, vehicle: Vehicle, kind: str, booking: Booking | None = None
) -> Command:
    """Queue a command for the vehicle's box and send it after commit.

    Managers may send any command to their organisation's vehicles; a member
    may only unlock or lock the vehicle of their own current booking. The
    platform itself (no actor) acts for trips and alerts."""
    if kind not in Command.Kind.values:
        raise NotFound(f"no command {kind}", code="unknown_command")
    now = clock.now()
    if actor is not None and not (
        is_operator(actor) or manages_organisation(actor, vehicle.organisation_id)
    ):
        if kind not in MEMBER_COMMANDS:
            raise PermissionDenied("only a fleet manager may send this command")
        if suspensions_in_force(actor, vehicle.organisation_id):
            raise PermissionDenied("you are suspended", code="suspended")
        booking = current_booking(actor, vehicle, now)
        if booking is None:
            raise PermissionDenied(
                "you can open or lock only the vehicle of your current booking, during its time",
                code="no_current_booking",
            )
        if kind == Command.Kind.UNLOCK:
            from flotte.inspections.gates import check_in_gate

            check_in_gate(actor=actor, booking=booking)
    box = box_of_vehicle(vehicle)
    expiry = param_value(params.COMMAND_EXPIRY.key, organisation=vehicle.organisation)
    command = Command.objects.create(
        organisation_id=vehicle.organisation_id,
        box=box,
        vehicle=vehicle,
        booking=booking,
        kind=kind,
        requested_by=actor,
        issued_at=now,
        expires_at=now + dt.timedelta(seconds=expiry),
    )
    audit(
        f"command.{kind}",
        command,
        actor=actor,
        data={"vehicle": vehicle.pk, "box": box.box_id, "booking": booking.pk if booking else None},
    )
    from flotte.telematics.tasks import send_command

    send_command.enqueue(str(command.pk))
    return command


def command_payload(command: Command) -> dict[str, str]:
    payload = {
        "command_id": str(command.pk),
        "type": command.kind,
        "issued_at": protocol.format_ts(command.issued_at),
        "expires_at": protocol.format_ts(command.expires_at),
    }
    if command.booking_id:
        payload["booking_id"] = str(command.booking_id)
    return payload


def command_send(command_id: str) -> str:
    """Publish one open command (again); returns its state."""
    command = Command.objects.select_related("box").filter(pk=command_id).first()
    if command is None:
        return "missing"
    if command.state not in Command.OPEN:
        return command.state
    now = clock.now()
    if now >= command.expires_at:
        Command.objects.filter(pk=command.pk, state__in=Command.OPEN).update(
            state=Command.State.EXPIRED, detail="no answer from the box"
        )
        return Command.State.EXPIRED
    if not publisher().publish(
        protocol.topic(command.box.box_id, "commands"), command_payload(command)
    ):
        return command.state
    # An ack may already have answered it: only an open command becomes sent.
    Command.objects.filter(pk=command.pk, state__in=Command.OPEN).update(
        state=Command.State.SENT, sent_at=now, attempts=command.attempts + 1
    )
    return Command.State.SENT


def command_retry_sweep() -> int:
    """Send again what the boxes have not answered; expire what is too old.
    Returns how many commands were sent again."""
    now = clock.now()
    Command.objects.filter(state__in=Command.OPEN, expires_at__lte=now).update(
        state=Command.State.EXPIRED, detail="no answer from the box"
    )
    due = Command.objects.filter(
        Q(state=Command.State.QUEUED) | Q(state=Command.State.SENT, sent_at__lt=now - RETRY_AFTER),
        expires_at__gt=now,
    ).values_list("pk", flat=True)
    sent = 0
    for command_id in list(due[:500]):
        if command_send(str(command_id)) == Command.State.SENT:
            sent += 1
    return sent


def command_for_actor(actor: User, command_id: str) -> Command:
    """A command its requester or a manager of its organisation may see."""
    command = Command.objects.select_related("vehicle").filter(pk=command_id).first()
    if command is None or not (
        command.requested_by_id == actor.pk
        or is_operator(actor)
        or manages_organisation(actor, command.organisation_id)
    ):
        raise NotFound("no such command")
    return command
