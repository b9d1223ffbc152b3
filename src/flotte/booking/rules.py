"""The booking rules of a community, read from its parameters."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db.models import QuerySet

from flotte.accounts.models import Community, Membership, User
from flotte.accounts.parameters import ParamContext, param_value, param_values_per_vehicle
from flotte.booking import params
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import ValidationFailed
from flotte.fleet.models import Vehicle

# A request takes a moment to arrive: a start "now" stays bookable this long.
NOW_TOLERANCE = dt.timedelta(minutes=2)


def early_start(community: Community) -> dt.timedelta:
    """How long before its start a booking's car may be taken (by hand, by
    badge, by digital key or from the app)."""
    minutes = param_value(
        params.EARLY_START.key, organisation=community.organisation, community=community
    )
    return dt.timedelta(minutes=minutes)


def blocked_until(vehicle: Vehicle, community: Community, end: dt.datetime) -> dt.datetime:
    """The end plus the buffer, and the charging buffer for an electric vehicle."""
    return blocked_until_per_vehicle([vehicle], community, end)[vehicle.pk]


def blocked_until_per_vehicle(
    vehicles: list[Vehicle], community: Community, end: dt.datetime
) -> dict[int, dt.datetime]:
    """``blocked_until`` for many vehicles, reading the buffers in one query."""
    values = param_values_per_vehicle(
        [params.BUFFER.key, params.EV_CHARGING_BUFFER.key],
        context=ParamContext(community.organisation, community),
        vehicles=vehicles,
    )
    buffers, charging = values[params.BUFFER.key], values[params.EV_CHARGING_BUFFER.key]
    return {
        v.pk: end
        + dt.timedelta(
            minutes=buffers[v.pk] + (charging[v.pk] if v.energy == Vehicle.Energy.ELECTRIC else 0)
        )
        for v in vehicles
    }


def check_times(
    membership: Membership, vehicle: Vehicle | None, start: dt.datetime, end: dt.datetime
) -> None:
    """Lead time, minimum and maximum duration, horizon."""
    community = membership.community
    context = ParamContext(community.organisation, community, membership.group)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed(
            "give times with their offset", code="naive_time", fields={"start": "needs an offset"}
        )
    if end <= start:
        raise ValidationFailed(
            "a booking ends after it starts", code="bad_times", fields={"end": "before the start"}
        )
    now = clock.now()
    # One query for the four rules; duration rules may be set per vehicle.
    rules = context.for_vehicle(vehicle).values(
        params.LEAD_TIME.key,
        params.HORIZON.key,
        params.MIN_DURATION.key,
        params.MAX_DURATION.key,
    )
    lead = rules[params.LEAD_TIME.key]
    if start < now + dt.timedelta(minutes=lead) - NOW_TOLERANCE:
        raise ValidationFailed(
            f"book at least {lead} minutes before departure"
            if lead
            else "a booking cannot start in the past",
            code="too_late_to_book",
            fields={"start": "too soon"},
            figures={"minutes": lead},
        )
    horizon = rules[params.HORIZON.key]
    if start > now + dt.timedelta(days=horizon):
        raise ValidationFailed(
            f"bookings open {horizon} days ahead",
            code="beyond_horizon",
            fields={"start": "too far ahead"},
            figures={"days": horizon},
        )
    minutes = (end - start).total_seconds() / 60
    shortest = rules[params.MIN_DURATION.key]
    if minutes < shortest:
        raise ValidationFailed(
            f"a booking lasts at least {shortest} minutes",
            code="too_short",
            fields={"end": "too short"},
            figures={"minutes": shortest},
        )
    longest = rules[params.MAX_DURATION.key]
    if minutes > longest * 60:
        raise ValidationFailed(
            f"a booking lasts at most {longest} hours",
            code="too_long",
            fields={"end": "too long"},
            figures={"hours": longest},
        )


def active_bookings(member: User) -> QuerySet[Booking]:
    return Booking.objects.filter(member=member, state__in=Booking.BLOCKING, end__gt=clock.now())


def check_member_limits(
    membership: Membership, start: dt.datetime, end: dt.datetime, excluding: Booking | None = None
) -> None:
    """Heavy-user limits: concurrent bookings and hours per calendar month."""
    community = membership.community
    context = ParamContext(community.organisation, community, membership.group)
    mine = active_bookings(membership.user).filter(organisation=community.organisation)
    if excluding is not None:
        mine = mine.exclude(pk=excluding.pk)
    limits = context.values(params.MAX_CONCURRENT.key, params.MAX_HOURS_PER_MONTH.key)
    most = limits[params.MAX_CONCURRENT.key]
    if mine.count() >= most:
        raise ValidationFailed(
            f"you may hold {most} bookings at a time",
            code="too_many_bookings",
            figures={"count": most},
        )
    monthly = limits[params.MAX_HOURS_PER_MONTH.key]
    if monthly:
        tz = zoneinfo.ZoneInfo(community.organisation.time_zone)
        local = start.astimezone(tz)
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
        booked = Booking.objects.filter(
            member=membership.user,
            organisation=community.organisation,
            state__in=[*Booking.BLOCKING, Booking.State.ENDED, Booking.State.CLOSED],
            start__gte=month_start,
            start__lt=next_month,
        )
        if excluding is not None:
            booked = booked.exclude(pk=excluding.pk)
        hours = sum(((b.end - b.start).total_seconds() / 3600 for b in booked), 0.0)
        wanted = (end - start).total_seconds() / 3600
        if hours + wanted > monthly:
            raise ValidationFailed(
                f"you may book {monthly} hours per month; {hours:.1f} are booked already",
                code="monthly_hours_exceeded",
                figures={"hours": monthly, "booked": round(hours, 1)},
            )


def cancellation_fee(booking: Booking, membership: Membership | None) -> Decimal:
    """Free until the deadline before the original start, the fee after."""
    community = booking.community
    context = ParamContext(
        community.organisation, community, membership.group if membership else None
    )
    free_hours = context.value(params.CANCEL_FREE_HOURS.key)
    if clock.now() <= booking.original_start - dt.timedelta(hours=free_hours):
        return Decimal("0.00")
    fee: Decimal = context.value(params.CANCEL_FEE.key)
    return fee
