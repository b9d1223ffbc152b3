"""Geolocation kept no longer than the organisation's retention period."""

from __future__ import annotations

import datetime as dt

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_value
from flotte.core import clock
from flotte.core.audit import audit
from flotte.telematics import params
from flotte.telematics.models import Telemetry, Trip, VehicleState


def positions_purge() -> int:
    """Erase positions older than each organisation's retention period;
    returns how many rows lost a position."""
    now = clock.now()
    erased = 0
    for organisation in Organisation.objects.all():
        days = param_value(params.POSITION_RETENTION.key, organisation=organisation)
        cutoff = now - dt.timedelta(days=days)
        count = (
            Telemetry.objects.filter(
                organisation=organisation, ts__lt=cutoff, latitude__isnull=False
            ).update(latitude=None, longitude=None, accuracy_m=None)
            + Trip.objects.filter(
                organisation=organisation, started_at__lt=cutoff, start_latitude__isnull=False
            ).update(start_latitude=None, start_longitude=None)
            + Trip.objects.filter(
                organisation=organisation, ended_at__lt=cutoff, end_latitude__isnull=False
            ).update(end_latitude=None, end_longitude=None)
            + VehicleState.objects.filter(
                organisation=organisation, position_at__lt=cutoff, latitude__isnull=False
            ).update(latitude=None, longitude=None, accuracy_m=None)
        )
        if count:
            audit(
                "positions.purged",
                organisation,
                organisation_id=organisation.pk,
                data={"rows": count, "before": cutoff.isoformat(), "retention_days": days},
            )
        erased += count
    return erased
