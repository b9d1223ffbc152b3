"""The day-by-day series of a snapshot (the console's chart), its weeks, and
the refresh of a period computed before it ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache

from flotte.core import clock
from flotte.stats.exports import table_csv
from flotte.stats.models import StatsSnapshot
from flotte.stats.series import weekly
from flotte.stats.snapshots import DASHBOARD, period_key, snapshot_compute, snapshots_due
from tests.conftest import Tenant
from tests.stats.conftest import T0, make_booking

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
MARCH = period_key(dt.date(2026, 3, 1), dt.date(2026, 4, 1))


@pytest.fixture(autouse=True)
def _clean_cache_and_clock() -> Any:
    cache.clear()
    with clock.frozen(NOW):
        yield
    cache.clear()


def test_the_days_add_up_to_the_periods_totals(alice: Tenant) -> None:
    make_booking(alice, km=30)
    make_booking(alice, start=T0 + dt.timedelta(days=9, hours=2), hours=5, km=12)
    data = snapshot_compute(alice.organisation.pk, MARCH).data
    days = data["days"]
    assert [d["day"] for d in days][:2] == ["2026-03-01", "2026-03-02"]
    assert len(days) == 31
    for name in ("bookings", "km", "trips", "hours_booked"):
        assert sum(d[name] for d in days) == data["totals"][name]
    # One vehicle: a day has 24 available hours, except the change to
    # summer time in Paris (29 March 2026), which has 23.
    hours = {d["day"]: d["available_hours"] for d in days}
    assert hours["2026-03-02"] == 24 and hours["2026-03-29"] == 23
    monday = next(d for d in days if d["day"] == "2026-03-02")
    assert monday["occupancy_booked_pct"] == round(100 * 2 / 24, 2)


def test_the_dashboards_last_day_stops_now(alice: Tenant) -> None:
    days = snapshot_compute(alice.organisation.pk, DASHBOARD).data["days"]
    assert days[-1]["day"] == "2026-03-20"
    assert days[-1]["available_hours"] == 13  # midnight to 13:00 in Paris


def test_weeks_start_on_monday_and_add_their_days(alice: Tenant) -> None:
    make_booking(alice)  # Monday 2 March
    make_booking(alice, start=T0 + dt.timedelta(days=6))  # Sunday 8 March
    days = snapshot_compute(alice.organisation.pk, MARCH).data["days"]
    weeks = weekly(days)
    assert [w["day"] for w in weeks][:3] == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert weeks[0]["available_hours"] == 24  # only 1 March is in the period
    assert weeks[1]["bookings"] == 2
    assert weeks[1]["occupancy_booked_pct"] == round(100 * 4 / (7 * 24), 2)
    assert sum(w["bookings"] for w in weeks) == 2


def test_the_days_and_weeks_export_as_csv(alice: Tenant) -> None:
    make_booking(alice)
    data = snapshot_compute(alice.organisation.pk, MARCH).data
    days = table_csv(data, "days").decode("utf-8-sig").splitlines()
    assert days[0].startswith("day;bookings;hours_booked")
    assert len(days) == 32
    assert len(table_csv(data, "weeks").decode("utf-8-sig").splitlines()) == 1 + 6
    del data["days"]  # a snapshot computed before the series existed
    assert len(table_csv(data, "days").decode("utf-8-sig").splitlines()) == 1


def test_a_period_computed_before_its_end_is_refreshed_hourly(alice: Tenant) -> None:
    snapshot_compute(alice.organisation.pk, MARCH)  # on 20 March
    february = period_key(dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    snapshot_compute(alice.organisation.pk, february)  # February, computed after its end
    assert (alice.organisation.pk, MARCH) not in snapshots_due()  # fresh
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        due = snapshots_due()
        assert (alice.organisation.pk, MARCH) in due
        assert (alice.organisation.pk, february) not in due
    StatsSnapshot.objects.filter(key=MARCH).update(
        computed_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    )
    with clock.frozen(dt.datetime(2026, 5, 1, tzinfo=dt.UTC)):
        # Computed at midnight UTC, 02:00 in Paris: after March ended there.
        assert (alice.organisation.pk, MARCH) not in snapshots_due()
