"""Busy days (*jours tendus*): days when a search found no free vehicle, or
when at some moment the booked vehicles reached a threshold share of the
fleet (`stats_busy_threshold_pct`). Days are the organisation's calendar
days, in its time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_value
from flotte.booking.models import Booking
from flotte.fleet.models import Vehicle
from flotte.stats import params
from flotte.stats.models import FailedSearch


def peak_in_use(intervals: list[tuple[dt.datetime, dt.datetime]]) -> int:
    """The most intervals open at one moment (an end frees its vehicle
    before a start at the same instant takes one)."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def busy_days(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """The busy days of a period, each with its failed searches, its peak of
    vehicles in use and why it is busy."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    fleet = Vehicle.objects.filter(organisation=organisation).count()
    threshold = param_value(params.BUSY_THRESHOLD.key, organisation=organisation)
    per_day: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for b_start, b_end in (
        Booking.objects.filter(organisation=organisation, start__lt=end, end__gt=start)
        .exclude(state=Booking.State.CANCELLED)
        .values_list("start", "end")
    ):
        day = max(b_start, start).astimezone(zone).date()
        last = min(b_end, end).astimezone(zone).date()
        while day <= last:
            per_day.setdefault(day, []).append((b_start, b_end))
            day += dt.timedelta(days=1)
    failed: dict[dt.date, int] = {}
    for at in FailedSearch.objects.filter(
        organisation=organisation, start__gte=start, start__lt=end
    ).values_list("start", flat=True):
        day = at.astimezone(zone).date()
        failed[day] = failed.get(day, 0) + 1
    days = []
    for day in sorted(set(per_day) | set(failed)):
        day_start = dt.datetime.combine(day, dt.time(), zone)
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        clipped = [(max(s, day_start), min(e, day_end)) for s, e in per_day.get(day, [])]
        peak = peak_in_use([(s, e) for s, e in clipped if s < e])
        over = fleet > 0 and 100 * peak >= threshold * fleet
        if over or failed.get(day):
            days.append(
                {
                    "day": day.isoformat(),
                    "failed_searches": failed.get(day, 0),
                    "peak_in_use": peak,
                    "fleet": fleet,
                    "over_threshold": over,
                }
            )
    return days
