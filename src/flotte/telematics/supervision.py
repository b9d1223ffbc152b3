"""Is each box still in touch? A box silent for longer than the
organisation's parameter shows as "contact lost" and alerts the managers."""

from __future__ import annotations

import datetime as dt

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_value
from flotte.booking.models import ManagerAlert
from flotte.core import clock
from flotte.fleet.models import Box
from flotte.telematics import params


def contact_lost(box: Box, now: dt.datetime, after_minutes: int) -> bool:
    last = box.last_seen_at or box.status_at
    return last is None or now - last > dt.timedelta(minutes=after_minutes)


def box_health(box: Box, now: dt.datetime | None = None) -> dict[str, object]:
    now = now or clock.now()
    after = (
        param_value(
            params.CONTACT_LOST_AFTER.key, organisation=Organisation(pk=box.organisation_id)
        )
        if box.organisation_id
        else params.CONTACT_LOST_AFTER.default
    )
    return {
        "online": box.online,
        "status_at": box.status_at,
        "last_seen_at": box.last_seen_at,
        "contact_lost": contact_lost(box, now, after),
    }


def contact_lost_sweep() -> int:
    """One open alert per fitted box out of touch; returns how many new."""
    now = clock.now()
    created = 0
    limits: dict[int, int] = {}
    for box in Box.objects.filter(vehicle__isnull=False, organisation__isnull=False).select_related(
        "vehicle"
    ):
        assert box.organisation_id is not None and box.vehicle is not None
        if box.organisation_id not in limits:
            limits[box.organisation_id] = param_value(
                params.CONTACT_LOST_AFTER.key, organisation=Organisation(pk=box.organisation_id)
            )
        if not contact_lost(box, now, limits[box.organisation_id]):
            # Back in touch: the alert resolves itself, and a later silence
            # raises a new one.
            ManagerAlert.objects.filter(
                kind=ManagerAlert.Kind.CONTACT_LOST, vehicle=box.vehicle, resolved_at__isnull=True
            ).update(resolved_at=now)
            continue
        if ManagerAlert.objects.filter(
            kind=ManagerAlert.Kind.CONTACT_LOST, vehicle=box.vehicle, resolved_at__isnull=True
        ).exists():
            continue
        ManagerAlert.objects.create(
            organisation_id=box.organisation_id,
            kind=ManagerAlert.Kind.CONTACT_LOST,
            vehicle=box.vehicle,
            message=f"no news from the box of {box.vehicle} since "
            f"{(box.last_seen_at or box.status_at or box.provisioned_at):%Y-%m-%d %H:%M} UTC",
            created_at=now,
        )
        created += 1
    return created
