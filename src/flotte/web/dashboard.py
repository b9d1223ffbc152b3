"""Read-side questions of the manager console: what the dashboard and the
planning show. Plain selectors over the tenant-scoped models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from flotte.accounts.models import Organisation
from flotte.billing.models.payments import Payment
from flotte.booking.models import Booking, ManagerAlert
from flotte.fleet.models import Vehicle

HOUR = dt.timedelta(hours=1)


def managed_bookings(community_ids: set[int]) -> QuerySet[Booking]:
    return Booking.objects.filter(community_id__in=community_ids).select_related(
        "vehicle", "member", "community"
    )


def departures(community_ids: set[int], day_start: dt.datetime) -> QuerySet[Booking]:
    """Bookings starting on the day, cancelled ones left out."""
    return (
        managed_bookings(community_ids)
        .filter(start__gte=day_start, start__lt=day_start + dt.timedelta(days=1))
        .exclude(state=Booking.State.CANCELLED)
        .order_by("start")
    )


def returns(community_ids: set[int], day_start: dt.datetime) -> QuerySet[Booking]:
    """Bookings due back on the day, cancelled ones left out."""
    return (
        managed_bookings(community_ids)
        .filter(end__gte=day_start, end__lt=day_start + dt.timedelta(days=1))
        .exclude(state=Booking.State.CANCELLED)
        .order_by("end")
    )


def late(community_ids: set[int], now: dt.datetime) -> QuerySet[Booking]:
    """Trips still under way after their end."""
    return (
        managed_bookings(community_ids)
        .filter(state=Booking.State.STARTED, end__lt=now)
        .order_by("end")
    )


def open_alerts(organisation: Organisation) -> QuerySet[ManagerAlert]:
    return (
        ManagerAlert.objects.filter(organisation=organisation, resolved_at=None)
        .select_related("vehicle", "booking")
        .order_by("-created_at")
    )


def failed_payments(organisation: Organisation, since: dt.datetime) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(
            organisation=organisation, state=Payment.State.FAILED, created_at__gte=since
        )
        .select_related("user")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class WeekFigures:
    bookings: int
    hours: float
    km: int
    occupancy_pct: float | None


def week_figures(
    organisation: Organisation, community_ids: set[int], start: dt.datetime, end: dt.datetime
) -> WeekFigures:
    """Bookings of the period (cancelled left out), hours booked within it,
    km driven (declared until the trip ends), and the share of the fleet's
    vehicle-hours booked."""
    bookings = (
        Booking.objects.filter(community_id__in=community_ids, start__lt=end, end__gt=start)
        .exclude(state=Booking.State.CANCELLED)
        .only("start", "end", "declared_km", "actual_km")
    )
    hours = 0.0
    km = 0
    count = 0
    for booking in bookings:
        count += 1
        hours += (min(booking.end, end) - max(booking.start, start)) / HOUR
        km += booking.actual_km if booking.actual_km is not None else booking.declared_km
    vehicles = Vehicle.objects.filter(organisation=organisation).count()
    capacity = vehicles * (end - start) / HOUR
    occupancy = round(100 * hours / capacity, 1) if capacity else None
    return WeekFigures(count, round(hours, 1), km, occupancy)


@dataclass
class Bar:
    booking: Booking
    left: float
    width: float


@dataclass
class PlanningRow:
    vehicle: Vehicle
    bars: list[Bar]


def planning_rows(
    organisation: Organisation, community_ids: set[int], start: dt.datetime, end: dt.datetime
) -> list[PlanningRow]:
    """Each vehicle of the organisation with its bookings over the period
    (the REST planning route's selection), placed as percentages of it."""
    span = (end - start).total_seconds()
    rows: dict[int, PlanningRow] = {
        vehicle.pk: PlanningRow(vehicle, [])
        for vehicle in Vehicle.objects.filter(organisation=organisation)
        .select_related("home_station")
        .order_by("home_station__name", "plate")
    }
    bookings = (
        managed_bookings(community_ids)
        .filter(start__lt=end, end__gt=start)
        .exclude(state=Booking.State.CANCELLED)
        .order_by("vehicle_id", "start")
    )
    for booking in bookings:
        row = rows.get(booking.vehicle_id)
        if row is None:
            continue
        left = max((booking.start - start).total_seconds(), 0) / span * 100
        right = min((booking.end - start).total_seconds(), span) / span * 100
        row.bars.append(Bar(booking, round(left, 3), round(max(right - left, 0.4), 3)))
    return list(rows.values())
