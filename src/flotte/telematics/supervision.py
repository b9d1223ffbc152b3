"""Is each box still in touch? A box silent for longer than the
organisation's parameter shows as "contact lost" and alerts the managers."""

from __future__ import annotations

import datetime as dt

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import organisation_param_values, param_value
from flotte.booking.models import ManagerAlert
from flotte.core import clock
from flotte.fleet.models import Box, Vehicle
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
    """One open alert per fitted box out of touch, resolved by itself once
    the box is heard again (a later silence raises a new one); returns how
    many alerts were raised. A few queries whatever the fleet's size."""
    now = clock.now()
    boxes = list(
        Box.objects.filter(vehicle__isnull=False, organisation__isnull=False).select_related(
            "vehicle"
        )
    )
    key = params.CONTACT_LOST_AFTER.key
    limits = organisation_param_values(
        [key], {b.organisation_id for b in boxes if b.organisation_id}
    )
    lost: dict[int, Vehicle] = {}
    for box in boxes:
        limit = limits[box.organisation_id][key] if box.organisation_id else 0
        if box.vehicle is not None and contact_lost(box, now, limit):
            lost[box.vehicle.pk] = box.vehicle
    open_alerts = ManagerAlert.objects.filter(
        kind=ManagerAlert.Kind.CONTACT_LOST, resolved_at__isnull=True
    )
    open_alerts.exclude(vehicle_id__in=lost).update(resolved_at=now)
    alerted = set(open_alerts.values_list("vehicle_id", flat=True))
    new = [
        ManagerAlert(
            organisation_id=vehicle.organisation_id,
            kind=ManagerAlert.Kind.CONTACT_LOST,
            vehicle=vehicle,
            message=f"no news from the box of {vehicle} since {_last_news(vehicle.box)} UTC",
            created_at=now,
        )
        for vehicle_id, vehicle in lost.items()
        if vehicle_id not in alerted
    ]
    ManagerAlert.objects.bulk_create(new)
    return len(new)


def _last_news(box: Box) -> str:
    return f"{(box.last_seen_at or box.status_at or box.provisioned_at):%Y-%m-%d %H:%M}"
