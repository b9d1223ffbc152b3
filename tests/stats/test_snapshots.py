"""Heavy statistics are computed in the background; reading them never
computes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from flotte.core import clock
from flotte.core.errors import Conflict, ValidationFailed
from flotte.stats import tasks
from flotte.stats.models import StatsSnapshot
from flotte.stats.snapshots import (
    DASHBOARD,
    period_key,
    snapshot_compute,
    snapshot_read,
    snapshots_due,
)
from tests.conftest import Tenant
from tests.stats.conftest import T0, make_booking, make_invoice

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clean_cache_and_clock() -> Any:
    cache.clear()
    with clock.frozen(NOW):
        yield
    cache.clear()


def test_a_missing_snapshot_is_requested_and_not_computed(alice: Tenant) -> None:
    make_booking(alice)
    snapshot = snapshot_read(alice.organisation, DASHBOARD)
    assert snapshot.data is None
    row = StatsSnapshot.objects.get(organisation=alice.organisation, key=DASHBOARD)
    assert (row.computed_at, row.data) == (None, {})


def test_the_refresh_job_computes_requested_snapshots(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    make_booking(alice)
    key = period_key(dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    snapshot_read(alice.organisation, key)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh.run()
    snapshot = snapshot_read(alice.organisation, key)
    assert snapshot.data is not None
    assert snapshot.data["totals"]["bookings"] == 1
    assert snapshot.computed_at == NOW


def test_the_dashboard_covers_the_last_twelve_months(alice: Tenant) -> None:
    make_booking(alice)
    make_booking(alice, start=dt.datetime(2025, 3, 10, tzinfo=dt.UTC))  # 13 months ago
    data = snapshot_compute(alice.organisation.pk, DASHBOARD).data
    assert [m["month"] for m in data["months"]][:2] == ["2025-04", "2025-05"]
    assert len(data["months"]) == 12
    assert data["totals"]["bookings"] == 1
    assert sum(m["bookings"] for m in data["months"]) == 1


def test_the_months_add_up_to_the_dashboards_totals(alice: Tenant) -> None:
    booking = make_booking(alice)
    make_booking(alice, start=dt.datetime(2025, 12, 24, 9, tzinfo=dt.UTC))
    invoice = make_invoice(alice, "30.00", booking=booking)
    make_invoice(alice, "5.00", credits=invoice, issued_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    data = snapshot_compute(alice.organisation.pk, DASHBOARD).data
    months = data["months"]
    for name in ("bookings", "hours_booked", "km"):
        assert sum(m[name] for m in months) == data["totals"][name]
    assert sum(Decimal(m["revenue"]) for m in months) == Decimal(data["totals"]["revenue"])
    by_month = {m["month"]: m["revenue"] for m in months}
    assert (by_month["2026-01"], by_month["2026-03"]) == ("-5.00", "30.00")


def test_every_organisation_gets_a_dashboard(alice: Tenant, bob: Tenant) -> None:
    due = snapshots_due()
    assert (alice.organisation.pk, DASHBOARD) in due
    assert (bob.organisation.pk, DASHBOARD) in due


def test_a_fresh_dashboard_is_not_due_a_stale_one_is(alice: Tenant) -> None:
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    assert (alice.organisation.pk, DASHBOARD) not in snapshots_due()
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        assert (alice.organisation.pk, DASHBOARD) in snapshots_due()


def test_a_read_is_served_from_the_cache(alice: Tenant, django_assert_num_queries: Any) -> None:
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    with django_assert_num_queries(0):
        assert snapshot_read(alice.organisation, DASHBOARD).data is not None


def test_without_the_cache_the_last_computed_value_is_read(alice: Tenant) -> None:
    make_booking(alice, start=T0)
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    cache.clear()
    assert snapshot_read(alice.organisation, DASHBOARD).data is not None


def test_a_new_value_replaces_the_cached_one(alice: Tenant) -> None:
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    make_booking(alice, start=T0)
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    assert snapshot_read(alice.organisation, DASHBOARD).data["totals"]["bookings"] == 1


def test_at_most_ten_periods_wait_to_be_computed(alice: Tenant) -> None:
    first = dt.date(2025, 1, 1)
    for n in range(10):
        day = first + dt.timedelta(days=n)
        snapshot_read(alice.organisation, period_key(day, day + dt.timedelta(days=1)))
    with pytest.raises(Conflict):
        snapshot_read(alice.organisation, period_key(first, dt.date(2025, 2, 1)))
    # What is already asked for is still answered.
    assert snapshot_read(alice.organisation, period_key(first, first + dt.timedelta(days=1)))


def test_a_period_ends_after_it_starts_and_lasts_three_years_at_most() -> None:
    with pytest.raises(ValidationFailed):
        period_key(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed):
        period_key(dt.date(2020, 1, 1), dt.date(2026, 1, 1))
