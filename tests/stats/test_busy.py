from __future__ import annotations

import datetime as dt

from flotte.accounts.parameters import param_set
from flotte.booking.models import Booking
from flotte.stats.busy import busy_days, peak_in_use
from flotte.stats.models import FailedSearch
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import END, START, T0, make_booking


def failed_search(tenant: Tenant, at: dt.datetime) -> FailedSearch:
    return FailedSearch.objects.create(
        organisation=tenant.organisation,
        community=tenant.community,
        start=at,
        end=at + dt.timedelta(hours=2),
        searched_at=at - dt.timedelta(days=1),
    )


def second_vehicle(tenant: Tenant) -> None:
    f.VehicleFactory(organisation=tenant.organisation, home_station=tenant.station)


def test_a_day_with_a_failed_search_is_busy(alice: Tenant) -> None:
    second_vehicle(alice)
    failed_search(alice, T0)
    (day,) = busy_days(alice.organisation, START, END)
    assert day["day"] == "2026-03-02"
    assert (day["failed_searches"], day["over_threshold"]) == (1, False)


def test_a_day_when_the_whole_fleet_is_out_is_busy(alice: Tenant) -> None:
    make_booking(alice)
    (day,) = busy_days(alice.organisation, START, END)
    assert (day["peak_in_use"], day["fleet"], day["over_threshold"]) == (1, 1, True)


def test_a_quiet_day_is_not_busy(alice: Tenant) -> None:
    second_vehicle(alice)
    make_booking(alice)
    assert busy_days(alice.organisation, START, END) == []


def test_the_busy_threshold_parameter_sets_the_share_of_the_fleet(alice: Tenant) -> None:
    second_vehicle(alice)
    make_booking(alice)
    param_set(actor=None, key="stats_busy_threshold_pct", value=50, organisation=alice.organisation)
    assert len(busy_days(alice.organisation, START, END)) == 1


def test_cancelled_bookings_do_not_make_a_day_busy(alice: Tenant) -> None:
    make_booking(alice, state=Booking.State.CANCELLED)
    assert busy_days(alice.organisation, START, END) == []


def test_days_are_the_organisations_calendar_days(alice: Tenant) -> None:
    # 23:30 UTC on 2 March is already 3 March in Paris.
    failed_search(alice, dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))
    (day,) = busy_days(alice.organisation, START, END)
    assert day["day"] == "2026-03-03"


def test_back_to_back_bookings_are_not_simultaneous() -> None:
    a = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    b = a + dt.timedelta(hours=2)
    assert peak_in_use([(a, b), (b, b + dt.timedelta(hours=1))]) == 1
    assert peak_in_use([(a, b), (a + dt.timedelta(hours=1), b)]) == 2
