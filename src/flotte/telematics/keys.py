"""Digital keys: Ed25519 tokens the platform signs for a booking's driver and
window, which the box checks offline against the public key in its config."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction

from flotte.accounts.drivers import suspensions_in_force
from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.booking.rules import early_start
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied
from flotte.fleet.models import Box
from flotte.telematics import protocol
from flotte.telematics.models import DigitalKey, SigningKey

# A trip running late must still open with its badge or key: its window
# stays open this long past now (rounded down to the minute, so that the
# access list of a late trip changes once a minute at most).
LATE_TRIP_MARGIN = dt.timedelta(hours=1)


def opening_window(
    booking: Booking, now: dt.datetime, early: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    """When the booking's driver may open the car, by badge or by key: from
    the early-start margin before the start to the end."""
    until = booking.end
    if booking.state == Booking.State.STARTED:
        until = max(until, now.replace(second=0, microsecond=0) + LATE_TRIP_MARGIN)
    return booking.start - early, until


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@transaction.atomic
def signing_key() -> SigningKey:
    """The active platform key, made on first use."""
    key = SigningKey.objects.filter(active=True).order_by("-created_at").first()
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SigningKey.objects.create(
        key_id=secrets.token_hex(8),
        private_key=base64.b64encode(seed).decode(),
        public_key=base64.b64encode(public).decode(),
        created_at=clock.now(),
    )


def public_key() -> str:
    return signing_key().public_key


def sign(payload: dict[str, str]) -> str:
    key = signing_key()
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key.private_key))
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64url(body)}.{_b64url(private.sign(body))}"


@transaction.atomic
def digital_key_issue(*, actor: User, booking: Booking) -> tuple[DigitalKey, str]:
    """A key for the booking's driver, valid from the early-start margin to
    the end of the booking (or an hour from now for a trip running late)."""
    if booking.member_id != actor.pk:
        raise NotFound("no such booking")
    if suspensions_in_force(actor, booking.organisation_id):
        raise PermissionDenied("you are suspended: no key", code="suspended")
    if booking.state not in Booking.BLOCKING:
        raise Conflict(f"a {booking.get_state_display()} booking has no key", code="not_active")
    box = Box.objects.filter(vehicle_id=booking.vehicle_id).first()
    if box is None:
        raise NotFound("this vehicle has no box", code="no_box")
    now = clock.now()
    not_before, not_after = opening_window(booking, now, early_start(booking.community))
    key = DigitalKey.objects.create(
        key_id=secrets.token_hex(12),
        booking=booking,
        organisation_id=box.organisation_id or booking.community.organisation_id,
        box=box,
        not_before=not_before,
        not_after=not_after,
        issued_at=now,
    )
    token = key_token(key)
    audit("booking.key_issued", booking, actor=actor, data={"key_id": key.key_id})
    return key, token


def key_token(key: DigitalKey) -> str:
    """The signed token of a key. Ed25519 signatures are deterministic: the
    same key signed again gives the same token, so tokens need not be kept."""
    return sign(
        {
            "box_id": key.box.box_id,
            "booking_id": str(key.booking_id),
            "not_before": protocol.format_ts(key.not_before),
            "not_after": protocol.format_ts(key.not_after),
            "key_id": key.key_id,
        }
    )


def digital_key_current(*, actor: User, booking: Booking) -> tuple[DigitalKey, str] | None:
    """The driver's latest key of this booking that is still valid, with its
    token (None when there is none: ``digital_key_issue`` makes one)."""
    if booking.member_id != actor.pk:
        raise NotFound("no such booking")
    if suspensions_in_force(actor, booking.organisation_id):
        raise PermissionDenied("you are suspended: no key", code="suspended")
    if booking.state not in Booking.BLOCKING:
        return None
    key = (
        DigitalKey.objects.filter(booking=booking, not_after__gt=clock.now())
        .select_related("box")
        .order_by("-issued_at")
        .first()
    )
    return None if key is None else (key, key_token(key))
