"""`flotte bench api`: latency of the main API reads and writes on the demo
data, in a throw-away test database (SQLite in memory, or `test_<name>` on
PostgreSQL when DATABASE_URL points there). Prints medians and 95th
percentiles; compare figures from one run, this is a shared machine."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh database for a benchmark whose other processes (servers, a
    gateway) must reach it too: ``test_<name>`` on PostgreSQL, a temporary
    SQLite file otherwise. Yields its URL; dropped afterwards."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    if connection.vendor == "sqlite":
        temp_dir = tempfile.mkdtemp(prefix="flotte-bench-")
        settings_dict["TEST"]["NAME"] = str(Path(temp_dir) / "bench.sqlite3")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    if connection.vendor == "sqlite":
        url = f"sqlite:///{name}"
    else:
        url = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
            f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
            f"/{name}"
        )
    try:
        yield url
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm-up: first-query caches, template loading
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise RuntimeError(f"benchmark request failed: {response.status_code}")
    return timings


def run_api_benchmark(repeat: int) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from flotte.accounts.models import Organisation, User
    from flotte.core.tenancy import cross_tenant
    from flotte.demo import MANAGER, MEMBER, load_demo

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        load_demo()
        with cross_tenant("benchmark setup"):
            org = Organisation.objects.get(slug="montclaret")
            manager = User.objects.get(email=MANAGER)
            member = User.objects.get(email=MEMBER)
        as_member, as_manager = Client(), Client()
        as_member.force_login(member)
        as_manager.force_login(manager)
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("GET /me (member)", lambda: as_member.get("/api/v1/me")),
            ("GET /vehicles (member)", lambda: as_member.get("/api/v1/vehicles")),
            ("GET /stations (member)", lambda: as_member.get("/api/v1/stations")),
            (
                "GET /organisations/{id}/members (manager, 31 rows)",
                lambda: as_manager.get(f"/api/v1/organisations/{org.pk}/members"),
            ),
            (
                "PUT /organisations/{id}/parameters/{key} (manager)",
                lambda: as_manager.put(
                    f"/api/v1/organisations/{org.pk}/parameters/member_min_age_years",
                    data='{"value": 21}',
                    content_type="application/json",
                ),
            ),
        ]
        results = []
        for name, call in cases:
            timings = _measure(call, repeat)
            results.append(
                {
                    "case": name,
                    "requests": repeat,
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2),
                }
            )
        return results
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def print_results(results: list[dict[str, Any]], vendor: str) -> None:
    print(f"database: {vendor}")
    print(f"{'case':<55} {'requests':>8} {'median ms':>10} {'p95 ms':>8}")
    for row in results:
        print(f"{row['case']:<55} {row['requests']:>8} {row['median_ms']:>10} {row['p95_ms']:>8}")
