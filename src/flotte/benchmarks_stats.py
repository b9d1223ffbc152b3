"""`flotte bench stats`: the statistics dashboard of an organisation with
150 vehicles and a year of history.

Seeds the booking benchmark's data (its biggest organisation: 150 vehicles,
200 members, about 100,000 bookings over the last year and the coming
month), marks the past bookings as driven (times, km), invoices one in
five, records failed searches, then:

- computes the dashboard snapshot as the background task does (timed once);
- times ``GET /api/v1/organisations/{id}/statistics`` for the manager
  through Django's test client (full middleware stack), cache warm;
- and the same with the cache emptied before each request (the snapshot
  row read from the database).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal
from typing import Any


def _history(seeded: dict[str, Any], rng: random.Random) -> dict[str, int]:
    """Past bookings driven, some late or no-shows, invoices, failed searches."""
    from django.db import connection

    from flotte.accounts.models import OrganisationManager
    from flotte.billing.models import Invoice
    from flotte.booking.models import Booking
    from flotte.core import clock
    from flotte.stats.models import FailedSearch

    community = seeded["community"]
    org = community.organisation
    now = clock.now()
    with connection.cursor() as cursor:
        # Driven as booked; every 7th a quarter of an hour late; km from the id.
        cursor.execute(
            'UPDATE booking_booking SET started_at = start, ended_at = "end", '
            "actual_km = (id * 37) %% 120 + 5 WHERE organisation_id = %s AND state = 'closed'",
            [org.pk],
        )
    late = list(
        Booking.objects.filter(organisation=org, state="closed").values_list("pk", "end")[::7]
    )
    Booking.objects.bulk_update(
        [Booking(pk=pk, ended_at=end + dt.timedelta(minutes=15)) for pk, end in late],
        ["ended_at"],
        batch_size=500,
    )
    no_shows = Booking.objects.filter(
        organisation=org, state="closed", pk__in=[pk for pk, _ in late[::10]]
    ).update(state="no_show", started_at=None, ended_at=None, actual_km=None)
    OrganisationManager.objects.get(organisation=org)  # the bench manager exists
    invoices = []
    invoiced = Booking.objects.filter(organisation=org, state="closed").values_list(
        "pk", "member_id", "end"
    )[::5]
    for sequence, (booking_id, member_id, end) in enumerate(invoiced, start=1):
        amount = Decimal(rng.randrange(500, 6000)) / 100
        invoices.append(
            Invoice(
                organisation=org,
                state="issued",
                sequence=sequence,
                number=f"B-{sequence:06d}",
                booking_id=booking_id,
                buyer_id=member_id,
                issue_date=end.date(),
                due_date=end.date(),
                issued_at=end,
                created_at=end,
                total_excl_vat=amount,
                total_vat=amount / 5,
                total_incl_vat=amount * 6 / 5,
            )
        )
    Invoice.objects.bulk_create(invoices, batch_size=5000)
    stations = seeded["stations"]
    searches = []
    for _ in range(2000):
        start = now - dt.timedelta(hours=rng.randrange(1, 335 * 24))
        searches.append(
            FailedSearch(
                organisation=org,
                community=community,
                station=rng.choice(stations),
                start=start,
                end=start + dt.timedelta(hours=rng.randrange(1, 6)),
                searched_at=start - dt.timedelta(days=1),
            )
        )
    FailedSearch.objects.bulk_create(searches, batch_size=5000)
    return {"invoices": len(invoices), "failed_searches": len(searches), "no_shows": no_shows}


def _timings(call: Any, repeat: int, before: Any = None) -> list[float]:
    call()  # warm-up
    timings = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"benchmark request failed: {response.status_code}")
    return timings


def _figures(timings: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2),
    }


def run_stats_benchmark(*, bookings_per_vehicle: int, requests: int) -> dict[str, Any]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from flotte.accounts.models import User
    from flotte.benchmarks import throwaway_database
    from flotte.benchmarks_booking import BIG_FLEET, _seed
    from flotte.booking.models import Booking
    from flotte.core.context import origin
    from flotte.core.tenancy import cross_tenant
    from flotte.stats.snapshots import DASHBOARD, snapshot_compute

    rng = random.Random(2026)  # noqa: S311 - reproducible data
    with throwaway_database():
        with cross_tenant("benchmark"), origin("cli"):
            began = time.monotonic()
            seeded = _seed(rng, bookings_per_vehicle)
            history = _history(seeded, rng)
            seed_seconds = time.monotonic() - began
            org = seeded["community"].organisation
            bookings = Booking.objects.filter(organisation=org).count()
            began = time.monotonic()
            snapshot = snapshot_compute(org.pk, DASHBOARD)
            compute_seconds = time.monotonic() - began
            manager = User.objects.get(email="manager@bench.example")
        client = Client()
        client.force_login(manager)
        url = f"/api/v1/organisations/{org.pk}/statistics"
        warm = _timings(lambda: client.get(url), requests)
        size = len(client.get(url).content)
        cold = _timings(lambda: client.get(url), max(10, requests // 5), before=cache.clear)
        return {
            "database": connection.vendor,
            "vehicles": BIG_FLEET,
            "bookings": bookings,
            **history,
            "seed_seconds": round(seed_seconds, 1),
            "snapshot_compute_seconds": round(compute_seconds, 2),
            "dashboard_bytes": size,
            "dashboard_totals": {
                k: snapshot.data["totals"][k]
                for k in ("bookings", "hours_booked", "km", "occupancy_booked_pct", "revenue")
            },
            "dashboard_cache_warm": {"requests": len(warm), **_figures(warm)},
            "dashboard_cache_cold": {"requests": len(cold), **_figures(cold)},
            "target_ms": 300,
        }
