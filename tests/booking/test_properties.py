"""Property tests of availability and booking: whatever members ask, in
whatever order, no two blocking bookings of a vehicle overlap, and what the
search offers can be booked."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flotte.accounts.parameters import param_set
from flotte.booking.models import Booking
from flotte.booking.services import availability, booking_cancel, booking_create
from flotte.core import clock
from flotte.core.errors import ServiceError
from tests.booking.test_services import NOW, hours
from tests.conftest import make_tenant

EXAMPLES = itertools.count()  # each example gets its own organisation
requests = st.lists(
    st.tuples(
        st.integers(0, 1),  # which vehicle
        st.integers(1, 40),  # start, in quarter hours from now + 1 h
        st.integers(2, 16),  # length, in quarter hours
        st.booleans(),  # cancel it afterwards
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests)
def test_no_overlap_and_offers_are_bookable(
    db: Any, asks: list[tuple[int, int, int, bool]]
) -> None:
    Booking.objects.all().delete()
    tenant = make_tenant(f"prop{next(EXAMPLES)}")
    param_set(actor=None, key="booking_max_concurrent", value=100, organisation=tenant.organisation)
    second = type(tenant.vehicle).objects.create(
        organisation=tenant.organisation,
        plate=f"PR-{tenant.organisation.pk:06d}",
        make="Dacia",
        model="Sandero",
        energy="petrol",
        co2_g_km=120,
        range_km=700,
        consumption_per_100km=5,
        home_station=tenant.station,
    )
    second.communities.add(tenant.community)
    vehicles = [tenant.vehicle, second]
    with clock.frozen(NOW):
        for which, start_q, length_q, cancel in asks:
            start = hours(1) + dt.timedelta(minutes=15 * start_q)
            end = start + dt.timedelta(minutes=15 * length_q)
            offered = {
                o.vehicle.pk
                for o in availability(
                    member=tenant.member, community=tenant.community, start=start, end=end
                )
            }
            vehicle = vehicles[which]
            try:
                booking = booking_create(
                    actor=tenant.member,
                    member=tenant.member,
                    community=tenant.community,
                    vehicle=vehicle,
                    start=start,
                    end=end,
                    purpose="test",
                )
            except ServiceError:
                assert vehicle.pk not in offered
                continue
            assert vehicle.pk in offered
            if cancel:
                booking_cancel(actor=tenant.member, booking=booking)
    blocking = list(Booking.objects.filter(state__in=Booking.BLOCKING))
    for a in blocking:
        for b in blocking:
            if a.pk < b.pk and a.vehicle_id == b.vehicle_id:
                assert a.blocked_until <= b.start or b.blocked_until <= a.start
