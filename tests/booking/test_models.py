from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from flotte.booking.models import Booking
from flotte.core import clock
from tests.conftest import Tenant


def raw_booking(
    tenant: Tenant, start: dt.datetime, hours: int, state: str = "confirmed"
) -> Booking:
    return Booking(
        organisation=tenant.organisation,
        community=tenant.community,
        vehicle=tenant.vehicle,
        member=tenant.member,
        booked_by=tenant.member,
        start=start,
        end=start + dt.timedelta(hours=hours),
        blocked_until=start + dt.timedelta(hours=hours),
        original_start=start,
        created_at=clock.now(),
        state=state,
    )


@pytest.mark.services
def test_the_database_itself_refuses_overlapping_bookings_on_postgresql(alice: Tenant) -> None:
    """Even a write that skips the service cannot double-book a vehicle."""
    if connection.vendor != "postgresql":
        pytest.fail("the exclusion constraint test needs PostgreSQL (DATABASE_URL)")
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    raw_booking(alice, start, 2).save()
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        raw_booking(alice, start + dt.timedelta(hours=1), 2).save()
    # Cancelled bookings and back-to-back ones do not count.
    raw_booking(alice, start + dt.timedelta(hours=1), 2, state="cancelled").save()
    raw_booking(alice, start + dt.timedelta(hours=2), 1).save()


def test_a_booking_ends_after_it_starts(alice: Tenant) -> None:
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    booking = raw_booking(alice, start, 1)
    booking.end = start
    with pytest.raises(IntegrityError), transaction.atomic():
        booking.save()
