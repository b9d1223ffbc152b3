"""The parts add up: every dimension's rows sum to the organisation's."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flotte.booking.models import Booking
from flotte.stats.figures import DIMENSIONS, dimension_rows, load
from tests import factories as f
from tests.conftest import make_tenant
from tests.stats.conftest import END, START, T0, make_booking, make_invoice

EXAMPLES = itertools.count()
STATES = [Booking.State.CLOSED, Booking.State.CANCELLED, Booking.State.NO_SHOW]
ADDITIVE = [
    "bookings",
    "cancelled",
    "hours_booked",
    "hours_driven",
    "km",
    "trips",
    "energy_kwh",
    "fuel_litres",
    "no_shows",
    "late_returns",
]

bookings = st.lists(
    st.tuples(
        st.integers(0, 3),  # which vehicle
        st.integers(0, 40 * 24),  # start, in hours from T0 (some after the period)
        st.integers(1, 12),  # length in hours
        st.sampled_from(STATES),
        st.integers(0, 300),  # km
        st.integers(0, 90),  # late, minutes
        st.integers(0, 10_000),  # invoiced, cents (0: no invoice)
        st.booleans(),  # the member of the second group
    ),
    max_size=15,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bookings)
def test_every_dimension_adds_up_to_the_organisation(db: Any, asks: list[Any]) -> None:
    tenant = make_tenant(f"prop{next(EXAMPLES)}")
    org = tenant.organisation
    other_station = f.StationFactory(organisation=org)
    vehicles = [tenant.vehicle] + [
        f.VehicleFactory(
            organisation=org,
            home_station=other_station if n else tenant.station,
            energy="petrol" if n == 2 else "electric",
            communities=[tenant.community],
        )
        for n in range(3)
    ]
    second_group = f.UserGroupFactory(organisation=org, name="Élus")
    second = f.UserFactory()
    f.MembershipFactory(user=second, community=tenant.community, group=second_group)
    for which, hour, length, state, km, late, cents, in_second in asks:
        booking = make_booking(
            tenant,
            start=T0 + dt.timedelta(hours=hour),
            hours=length,
            vehicle=vehicles[which],
            member=second if in_second else tenant.member,
            state=state,
            km=km,
            late_minutes=late,
        )
        if cents:
            make_invoice(tenant, str(Decimal(cents) / 100), booking=booking)
    make_invoice(tenant, "7.00")  # without a booking
    dataset = load(org, START, END)
    (total,) = dimension_rows(dataset, "organisation")
    for dimension in DIMENSIONS[1:]:
        rows = dimension_rows(dataset, dimension)
        for name in ADDITIVE:
            assert sum(r[name] for r in rows) == pytest.approx(total[name], abs=0.2), (
                dimension,
                name,
            )
        assert sum(Decimal(r["revenue"]) for r in rows) == Decimal(total["revenue"])
        if dimension in ("station", "vehicle", "community"):
            assert sum(r["available_hours"] for r in rows) == pytest.approx(
                total["available_hours"]
            )
