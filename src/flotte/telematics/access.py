"""What each box keeps for offline access (the retained access list) and its
retained config. Both are rebuilt whenever a booking, badge or membership
changes, and by a sweep every minute, since the access window slides with
time; a box is sent a new version only when its content changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from flotte.accounts.models import Membership, Organisation, Suspension
from flotte.accounts.parameters import param_value, param_values
from flotte.booking import params as booking_params
from flotte.booking.models import Booking
from flotte.booking.rules import early_start
from flotte.core import clock
from flotte.fleet.models import Badge, Box
from flotte.telematics import params, protocol
from flotte.telematics.ingest import effective_policy
from flotte.telematics.keys import opening_window, public_key
from flotte.telematics.models import Trip
from flotte.telematics.publisher import publisher

# The largest early-start margin the parameter allows, to fetch the
# bookings that may open within the window.
MAX_EARLY_START = dt.timedelta(minutes=int(booking_params.EARLY_START.maximum or 0))


def _digest(content: Any) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def access_entries(box: Box, now: dt.datetime) -> list[dict[str, str]]:
    """The bookings of the next hours on this box's vehicle, one entry per
    active badge of their driver; suspended drivers are left out."""
    if box.vehicle_id is None or box.organisation_id is None:
        return []
    window = param_value(
        params.ACCESS_WINDOW.key, organisation=Organisation(pk=box.organisation_id)
    )
    horizon = now + dt.timedelta(hours=window)
    bookings = list(
        Booking.objects.filter(vehicle_id=box.vehicle_id, state__in=Booking.BLOCKING)
        .filter(Q(state=Booking.State.STARTED) | Q(end__gt=now))
        .filter(start__lt=horizon + MAX_EARLY_START)
        .select_related("community__organisation")
        .order_by("start")
    )
    # The early-start margin may differ between the vehicle's communities.
    early = {c.pk: early_start(c) for c in {b.community for b in bookings}}
    members = {b.member_id for b in bookings}
    suspended = {
        s.user_id
        for s in Suspension.objects.filter(
            organisation_id=box.organisation_id, user_id__in=members, lifted_at__isnull=True
        )
        if s.in_force_at(now)
    }
    # A member who left the community keeps their booking on record, but
    # it no longer opens the car.
    members_still = set(
        Membership.objects.filter(
            user_id__in=members, community_id__in={b.community_id for b in bookings}
        ).values_list("user_id", "community_id")
    )
    badges: dict[int, list[str]] = {}
    for user_id, uid in Badge.objects.filter(
        organisation_id=box.organisation_id, user_id__in=members, active=True
    ).values_list("user_id", "uid"):
        badges.setdefault(user_id, []).append(uid)
    entries = []
    for booking in bookings:
        if booking.member_id in suspended or (
            (booking.member_id, booking.community_id) not in members_still
        ):
            continue
        opens, until = opening_window(booking, now, early[booking.community_id])
        if opens >= horizon:
            continue
        for uid in sorted(badges.get(booking.member_id, [])):
            entries.append(
                {
                    "booking_id": str(booking.pk),
                    "badge_uid": uid,
                    "valid_from": protocol.format_ts(opens),
                    "valid_until": protocol.format_ts(until),
                }
            )
    return entries


def access_list_refresh(box_pk: int, *, force: bool = False) -> int | None:
    """Publish the box's access list if it changed; returns the version
    published, or None when nothing was sent."""
    now = clock.now()
    with transaction.atomic():
        box = Box.objects.select_for_update().filter(pk=box_pk).first()
        if box is None:
            return None
        entries = access_entries(box, now)
        digest = _digest(entries)
        if digest == box.access_digest and not force:
            return None
        version = box.access_version + 1
        Box.objects.filter(pk=box.pk).update(access_version=F("access_version") + 1)
        payload = {
            "version": version,
            "generated_at": protocol.format_ts(now),
            "entries": entries,
        }
        if publisher().publish(protocol.topic(box.box_id, "access"), payload, retain=True):
            # Remembered only once the broker has it, so a failure is retried.
            Box.objects.filter(pk=box.pk).update(access_digest=digest)
        return version


def box_config(box: Box) -> dict[str, Any]:
    organisation = Organisation(pk=box.organisation_id)
    values = param_values(
        [
            params.TELEMETRY_INTERVAL.key,
            params.PARKED_INTERVAL.key,
            params.POSITION_POLICY.key,
            params.POSITION_PURPOSE.key,
        ],
        organisation=organisation,
    )
    policy = effective_policy(
        values[params.POSITION_POLICY.key], values[params.POSITION_PURPOSE.key]
    )
    if (
        box.vehicle_id
        and Trip.objects.filter(
            vehicle_id=box.vehicle_id, ended_at__isnull=True, private_mode=True
        ).exists()
    ):
        # Positions while driving are hidden; the parked position at the end
        # is still needed to check the return station.
        policy = "parked_only" if policy != "never" else policy
    return {
        "telemetry_interval_s": values[params.TELEMETRY_INTERVAL.key],
        "parked_interval_s": values[params.PARKED_INTERVAL.key],
        "send_position": policy,
        "key_public_key": public_key(),
    }


def box_config_refresh(box_pk: int, *, force: bool = False) -> bool:
    """Publish the box's config if it changed; True when sent."""
    box = Box.objects.filter(pk=box_pk).first()
    if box is None or box.organisation_id is None:
        return False
    config = box_config(box)
    digest = _digest(config)
    if digest == box.config_digest and not force:
        return False
    if publisher().publish(protocol.topic(box.box_id, "config"), config, retain=True):
        Box.objects.filter(pk=box.pk).update(config_digest=digest)
        return True
    return False


def boxes_of_vehicles(vehicle_ids: Iterable[int]) -> list[int]:
    return list(Box.objects.filter(vehicle_id__in=set(vehicle_ids)).values_list("pk", flat=True))


def vehicles_access_changed(vehicle_ids: Iterable[int]) -> None:
    """After commit, refresh the access lists of these vehicles' boxes."""
    from flotte.telematics.tasks import refresh_access_list

    for box_pk in boxes_of_vehicles(vehicle_ids):
        refresh_access_list.enqueue(box_pk)


def member_access_changed(user_id: int, organisation_id: int) -> None:
    """A member's badges or standing changed: refresh the boxes of the
    vehicles they have booked."""
    now = clock.now()
    vehicles = Booking.objects.filter(
        member_id=user_id,
        community__organisation_id=organisation_id,
        state__in=Booking.BLOCKING,
    ).filter(Q(state=Booking.State.STARTED) | Q(end__gt=now))
    vehicles_access_changed(vehicles.values_list("vehicle_id", flat=True))


def access_sweep() -> int:
    """Refresh every fitted box's access list and config; returns how many
    access lists were published."""
    published = 0
    for box_pk in Box.objects.filter(vehicle__isnull=False).values_list("pk", flat=True):
        if access_list_refresh(box_pk) is not None:
            published += 1
        box_config_refresh(box_pk)
    return published
