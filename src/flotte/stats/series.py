"""The organisation's bookings and occupancy day by day (the console's
chart), and the same week by week. Days are the organisation's calendar
days; a booking counts on the day it starts, as in the period's figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from flotte.stats.figures import Dataset, Figures, _pct, aggregate

SERIES_FIGURES = ("bookings", "hours_booked", "hours_driven", "km", "trips", "available_hours")


def _day_of(row: dict[str, Any], zone: zoneinfo.ZoneInfo) -> dt.date:
    """A booking's day is its start's, an invoice's its issue's, a
    transfer's when it was made."""
    at = row.get("start") or row.get("issued_at") or row["created_at"]
    return at.astimezone(zone).date()  # type: ignore[no-any-return]


def _row(label: str, figures: Figures) -> dict[str, Any]:
    figures_dict = figures.as_dict()
    return {"day": label, **{name: figures_dict[name] for name in SERIES_FIGURES}} | {
        "occupancy_booked_pct": figures_dict["occupancy_booked_pct"],
        "occupancy_driven_pct": figures_dict["occupancy_driven_pct"],
    }


def daily(dataset: Dataset) -> list[dict[str, Any]]:
    """One row per day of the period (those without bookings too): bookings,
    hours booked and driven, km, trips, the fleet's available hours that
    day (up to the period's end) and the occupancy."""
    zone = zoneinfo.ZoneInfo(dataset.organisation.time_zone)
    per_day = aggregate(dataset, lambda row: _day_of(row, zone))
    vehicles = len(dataset.vehicles)
    first = dataset.start.astimezone(zone).date()
    rows = []
    day = first
    while True:
        # In UTC, so that a day with a change of time has 23 or 25 hours.
        midnight = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        day_start = max(midnight, dataset.start)
        if day_start >= dataset.end:
            break
        following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        day_end = min(following.astimezone(dt.UTC), dataset.end)
        figures = per_day.get(day) or Figures()
        figures.available_hours = vehicles * (day_end - day_start).total_seconds() / 3600
        rows.append(_row(day.isoformat(), figures))
        day += dt.timedelta(days=1)
    return rows


def weekly(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The daily rows added up by week (weeks start on Monday; a week cut by
    the period's start or end counts its days in the period only). Each
    row is named by the Monday of its week."""
    weeks: dict[str, dict[str, Any]] = {}
    for row in days:
        day = dt.date.fromisoformat(row["day"])
        monday = (day - dt.timedelta(days=day.weekday())).isoformat()
        week = weeks.setdefault(monday, {"day": monday, **dict.fromkeys(SERIES_FIGURES, 0)})
        for name in SERIES_FIGURES:
            week[name] += row[name] or 0
    for week in weeks.values():
        for name in ("hours_booked", "hours_driven", "available_hours"):
            week[name] = round(week[name], 2)
        week["occupancy_booked_pct"] = _pct(week["hours_booked"], week["available_hours"])
        week["occupancy_driven_pct"] = _pct(week["hours_driven"], week["available_hours"])
    return list(weeks.values())
