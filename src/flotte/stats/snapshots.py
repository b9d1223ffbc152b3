"""Heavy statistics are computed by a background task and kept as a
snapshot row per organisation and key, with the Django cache in front. The
request path only reads: a missing snapshot is requested (one insert) and
the caller told it is being computed.

Keys: ``dashboard`` (the last twelve months, refreshed hourly) and
``period:<first day>:<day after the last>`` (days in the organisation's
time zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from flotte.accounts.models import Organisation
from flotte.core import clock
from flotte.core.errors import Conflict, ValidationFailed
from flotte.stats.busy import busy_days
from flotte.stats.co2 import co2_avoided, fleet_greening
from flotte.stats.figures import DIMENSIONS, Dataset, Figures, aggregate, dimension_rows, load
from flotte.stats.fleet_size import fleet_advice
from flotte.stats.models import StatsSnapshot
from flotte.stats.series import daily

DASHBOARD = "dashboard"
CACHE_SECONDS = 300  # other processes see a new snapshot within this time
DASHBOARD_MAX_AGE = dt.timedelta(hours=1)
MAX_PERIOD_DAYS = 3 * 366
# Periods asked for and not computed yet, per organisation: more wait.
MAX_PENDING = 10


@dataclass(frozen=True)
class Snapshot:
    key: str
    computed_at: dt.datetime | None
    data: dict[str, Any] | None  # None: being computed


def _cache_key(organisation_id: int, key: str) -> str:
    return f"flotte:stats:{organisation_id}:{key}"


def period_key(start: dt.date, end: dt.date) -> str:
    """The key of the days from `start` to `end` (excluded)."""
    if end <= start:
        raise ValidationFailed("the period ends before it starts", code="bad_period")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("a period is at most three years", code="bad_period")
    return f"period:{start.isoformat()}:{end.isoformat()}"


def _bounds(organisation: Organisation, key: str) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    if key == DASHBOARD:
        today = clock.today_in(organisation.time_zone)
        first = today.replace(day=1)
        for _ in range(11):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC), clock.now()
    _, start, end = key.split(":")
    # In UTC: Python subtracts two times of the same zone by their wall
    # clocks, which would give a period across a change of time an hour
    # too many or too few.
    return (
        dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), zone).astimezone(dt.UTC),
        dt.datetime.combine(dt.date.fromisoformat(end), dt.time(), zone).astimezone(dt.UTC),
    )


def _months(dataset: Dataset) -> list[dict[str, Any]]:
    """The organisation's figures month by month (its time zone)."""
    zone = zoneinfo.ZoneInfo(dataset.organisation.time_zone)
    start = dataset.start.astimezone(zone)
    months: list[tuple[dt.datetime, dt.datetime]] = []
    at = start
    while at < dataset.end:
        following = (at.replace(day=1) + dt.timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        months.append((at, min(following, dataset.end)))
        at = following
    per_month = aggregate(dataset, lambda row: _month_of(row, zone))
    vehicles = len(dataset.vehicles)
    rows = []
    for month_start, month_end in months:
        label = f"{month_start:%Y-%m}"
        figures = per_month.pop(label, None) or Figures()
        hours = (
            month_end.astimezone(dt.UTC) - month_start.astimezone(dt.UTC)
        ).total_seconds() / 3600
        figures.available_hours = vehicles * hours
        rows.append({"month": label, **figures.as_dict()})
    return rows


def _month_of(row: dict[str, Any], zone: zoneinfo.ZoneInfo) -> str:
    """A booking's month is its start's, an invoice's its issue's, a
    transfer's when it was made."""
    at = row.get("start") or row.get("issued_at") or row["created_at"]
    return f"{at.astimezone(zone):%Y-%m}"


def compute(organisation: Organisation, key: str) -> dict[str, Any]:
    """Every figure of a snapshot (heavy: a background task calls it)."""
    start, end = _bounds(organisation, key)
    dataset = load(organisation, start, end)
    rows = {dimension: dimension_rows(dataset, dimension) for dimension in DIMENSIONS}
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totals": rows.pop("organisation")[0],
        "dimensions": rows,
        "months": _months(dataset) if key == DASHBOARD else [],
        "days": daily(dataset),
        "busy_days": busy_days(organisation, start, end),
        "co2": co2_avoided(dataset),
        "greening": fleet_greening(organisation, end.year),
        "fleet_advice": fleet_advice(organisation, start, end),
    }


def snapshot_compute(organisation_id: int, key: str) -> StatsSnapshot:
    """Compute a snapshot and put it in the cache (the background task)."""
    organisation = Organisation.objects.get(pk=organisation_id)
    data = compute(organisation, key)
    now = clock.now()
    snapshot, _ = StatsSnapshot.objects.update_or_create(
        organisation=organisation,
        key=key,
        defaults={"data": data, "computed_at": now},
        create_defaults={"data": data, "computed_at": now, "requested_at": now},
    )
    cache.set(
        _cache_key(organisation_id, key),
        Snapshot(key, now, data),
        CACHE_SECONDS,
    )
    return snapshot


def snapshot_read(organisation: Organisation, key: str) -> Snapshot:
    """The last computed value, from the cache or its row; a missing one is
    requested for the background task (a single insert) and comes back
    with no data."""
    cache_key = _cache_key(organisation.pk, key)
    cached = cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row = (
        StatsSnapshot.objects.filter(organisation=organisation, key=key)
        .values("computed_at", "data")
        .first()
    )
    if row is None:
        pending = StatsSnapshot.objects.filter(organisation=organisation, computed_at=None)
        if pending.count() >= MAX_PENDING:
            raise Conflict(
                "other statistics of this organisation are being computed: ask again later",
                code="stats_pending",
            )
        try:
            with transaction.atomic():
                StatsSnapshot.objects.create(
                    organisation=organisation, key=key, requested_at=clock.now()
                )
        except IntegrityError:
            pass  # requested by a concurrent request
        return Snapshot(key, None, None)
    if row["computed_at"] is None:
        return Snapshot(key, None, None)
    snapshot = Snapshot(key, row["computed_at"], row["data"])
    cache.set(cache_key, snapshot, CACHE_SECONDS)
    return snapshot


def snapshots_due() -> list[tuple[int, str]]:
    """What the refresh job computes: requested snapshots, and the dashboard
    of every organisation when missing or older than an hour."""
    now = clock.now()
    due = list(
        StatsSnapshot.objects.filter(computed_at__isnull=True).values_list("organisation_id", "key")
    )
    fresh = set(
        StatsSnapshot.objects.filter(
            key=DASHBOARD, computed_at__gte=now - DASHBOARD_MAX_AGE
        ).values_list("organisation_id", flat=True)
    )
    zones = dict(Organisation.objects.values_list("pk", "time_zone"))
    for organisation_id in zones:
        if organisation_id not in fresh and (organisation_id, DASHBOARD) not in due:
            due.append((organisation_id, DASHBOARD))
    # A period computed before it ended ("this month") is refreshed hourly
    # too, until it has been computed once after its end.
    for organisation_id, key, computed_at in StatsSnapshot.objects.filter(
        key__startswith="period:", computed_at__lt=now - DASHBOARD_MAX_AGE
    ).values_list("organisation_id", "key", "computed_at"):
        day_after = dt.date.fromisoformat(key.rsplit(":", 1)[1])
        ends = dt.datetime.combine(day_after, dt.time(), zoneinfo.ZoneInfo(zones[organisation_id]))
        if computed_at is not None and computed_at < ends:
            due.append((organisation_id, key))
    return due
