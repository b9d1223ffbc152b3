"""Helpers of the statistics tests: bookings, invoices and searches written
directly, at chosen times, with what the statistics read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flotte.accounts.models import User
from flotte.billing.models import Invoice
from flotte.booking.models import Booking
from flotte.fleet.models import Vehicle
from tests.conftest import Tenant

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def make_booking(
    tenant: Tenant,
    *,
    start: dt.datetime = T0,
    hours: float = 2,
    vehicle: Vehicle | None = None,
    member: User | None = None,
    state: str = Booking.State.CLOSED,
    km: int | None = 30,
    driven_hours: float | None = None,
    late_minutes: int = 0,
    buffer_minutes: int = 0,
) -> Booking:
    """A booking; ended or closed ones were driven (from the start, for
    `driven_hours` or the booked time plus `late_minutes`)."""
    end = start + dt.timedelta(hours=hours)
    driven = state in (Booking.State.ENDED, Booking.State.CLOSED)
    ended_at = None
    if driven:
        ended_at = (
            start + dt.timedelta(hours=driven_hours)
            if driven_hours is not None
            else end + dt.timedelta(minutes=late_minutes)
        )
    member = member or tenant.member
    return Booking.objects.create(
        organisation=tenant.organisation,
        community=tenant.community,
        vehicle=vehicle or tenant.vehicle,
        member=member,
        booked_by=member,
        start=start,
        end=end,
        blocked_until=end + dt.timedelta(minutes=buffer_minutes),
        original_start=start,
        state=state,
        created_at=start - dt.timedelta(days=1),
        started_at=start if driven else None,
        ended_at=ended_at,
        actual_km=km if driven else None,
    )


_sequence = iter(range(1, 10**6))


def make_invoice(
    tenant: Tenant,
    amount: str,
    *,
    booking: Booking | None = None,
    credits: Invoice | None = None,
    issued_at: dt.datetime = T0,
    **extra: Any,
) -> Invoice:
    number = next(_sequence)
    return Invoice.objects.create(
        organisation=tenant.organisation,
        kind=Invoice.Kind.CREDIT_NOTE if credits else Invoice.Kind.INVOICE,
        state=Invoice.State.ISSUED,
        sequence=number,
        number=f"F-{number}",
        booking=booking,
        credits=credits,
        buyer=tenant.member,
        issue_date=issued_at.date(),
        due_date=issued_at.date(),
        issued_at=issued_at,
        created_at=issued_at,
        total_excl_vat=Decimal(amount),
        total_vat=Decimal("0"),
        total_incl_vat=Decimal(amount),
        **extra,
    )
