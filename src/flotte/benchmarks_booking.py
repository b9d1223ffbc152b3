"""`flotte bench booking`: the booking engine at the size of a real install.

Seeds 60 organisations and one big community with 150 vehicles and a year
of bookings (about 100,000), in a throw-away database (`test_<name>` on
PostgreSQL when DATABASE_URL points there, a temporary SQLite file
otherwise). Then measures:

- availability search in process (p50, p99);
- booking attempts per second over HTTP (gunicorn on loopback) with 32
  concurrent clients racing for 3 vehicles;
- overlapping bookings afterwards (must be 0) and 5xx answers (must be 0).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Any

ORGANISATIONS = 60
BIG_FLEET = 150
HOT_VEHICLES = 3
CLIENTS = 32


def _seed(rng: random.Random, bookings_per_vehicle: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password

    from flotte.accounts.models import (
        Community,
        DriverApproval,
        DriverProfile,
        Membership,
        Organisation,
        OrganisationManager,
        User,
        UserGroup,
    )
    from flotte.accounts.parameters import param_set
    from flotte.booking.models import Booking
    from flotte.core import clock
    from flotte.fleet.models import Station, Vehicle

    now = clock.now()
    password = make_password("bench-password")
    big = None
    for number in range(ORGANISATIONS):
        org = Organisation.objects.create(name=f"Commune {number}", slug=f"bench-{number}")
        group = UserGroup.objects.create(organisation=org, name="Agents")
        community = Community.objects.create(
            organisation=org, name=f"Agents {number}", slug=f"bench-{number}", default_group=group
        )
        size = BIG_FLEET if number == 0 else rng.randrange(2, 20)
        stations = [
            Station.objects.create(
                organisation=org,
                name=f"Station {s}",
                address="1 rue",
                latitude=Decimal("44.7"),
                longitude=Decimal("5.0"),
                capacity=60,
                charging_points=10,
            )
            for s in range(max(1, size // 20))
        ]
        vehicles = Vehicle.objects.bulk_create(
            [
                Vehicle(
                    organisation=org,
                    plate=f"BE-{number:03d}-{v:03d}",
                    make="Renault",
                    model="Zoe" if v % 2 else "Clio",
                    energy="electric" if v % 2 else "petrol",
                    co2_g_km=0 if v % 2 else 120,
                    range_km=300 if v % 2 else 800,
                    consumption_per_100km=Decimal("15"),
                    home_station=stations[v % len(stations)],
                )
                for v in range(size)
            ]
        )
        for vehicle in vehicles:
            vehicle.communities.add(community)
        if number == 0:
            big = (org, community, group, vehicles, stations)
    assert big is not None
    org, community, group, vehicles, stations = big
    manager = User.objects.create(
        email="manager@bench.example", password=password, email_verified_at=now
    )
    OrganisationManager.objects.create(user=manager, organisation=org, since=now)
    param_set(actor=None, key="booking_max_concurrent", value=100, organisation=org)
    param_set(actor=None, key="booking_buffer_min", value=0, organisation=org)
    param_set(actor=None, key="booking_ev_charging_buffer_min", value=0, organisation=org)
    members = []
    for number in range(200):
        user = User.objects.create(
            email=f"member{number}@bench.example", password=password, email_verified_at=now
        )
        Membership.objects.create(user=user, community=community, group=group, joined_at=now)
        DriverProfile.objects.create(
            user=user,
            birth_date=dt.date(1980, 1, 1),
            licence_number="1",
            licence_issued_on=dt.date(2000, 1, 1),
            licence_expires_on=dt.date(2050, 1, 1),
        )
        DriverApproval.objects.create(
            organisation=org, user=user, status="validated", submitted_at=now
        )
        members.append(user)
    # A year of history and the coming month: sequential, non-overlapping
    # slots per vehicle, 1 to 7 hours each with gaps of 1 to 17 hours (680
    # bookings a vehicle reach about a month ahead; the future ones are
    # confirmed, so searches over the next 30 days meet them).
    rows = []
    first = now - dt.timedelta(days=335)
    for vehicle in vehicles[HOT_VEHICLES:]:
        at = first
        for _ in range(bookings_per_vehicle):
            at += dt.timedelta(hours=rng.randrange(1, 18))
            length = dt.timedelta(hours=rng.randrange(1, 8))
            member = rng.choice(members)
            rows.append(
                Booking(
                    organisation=org,
                    community=community,
                    vehicle=vehicle,
                    member=member,
                    booked_by=member,
                    start=at,
                    end=at + length,
                    blocked_until=at + length,
                    original_start=at,
                    purpose="mission",
                    created_at=at,
                    state="confirmed" if at > now else "closed",
                )
            )
            at += length
    Booking.objects.bulk_create(rows, batch_size=5000)
    return {
        "community": community,
        "members": members,
        "vehicles": vehicles,
        "stations": stations,
        "bookings": len(rows),
    }


def _search_timings(seeded: dict[str, Any], repeat: int, rng: random.Random) -> list[float]:
    from flotte.booking.services import availability
    from flotte.core import clock

    community, members = seeded["community"], seeded["members"]
    station_ids = [s.pk for s in seeded["stations"]]
    timings = []
    for number in range(repeat + 5):
        start = (clock.now() + dt.timedelta(hours=rng.randrange(1, 24 * 30))).replace(
            minute=0, second=0, microsecond=0
        )
        begin = time.perf_counter()
        availability(
            member=members[number % len(members)],
            community=community,
            start=start,
            end=start + dt.timedelta(hours=rng.randrange(1, 6)),
            station_ids=[rng.choice(station_ids)],
        )
        if number >= 5:  # the first calls warm caches up
            timings.append((time.perf_counter() - begin) * 1000)
    return timings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _warm_up(port: int, tokens: list[str]) -> None:
    """The port opens before the workers have loaded the application: one
    uncounted request per client (reading its bookings) waits for them, so
    the race measures bookings rather than start-up."""

    answers: list[int] = []

    def one(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/v1/bookings", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        conn.close()
        answers.append(response.status)

    threads = [threading.Thread(target=one, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if answers != [200] * len(tokens):
        raise RuntimeError(f"the server did not answer the warm-up: {sorted(answers)}")


def _race(
    seeded: dict[str, Any], database_url: str, seconds: float, clients: int
) -> dict[str, Any]:
    """32 clients, each with its own token, book random 1-hour slots of 3
    vehicles over the next 3 days, for `seconds`."""
    from flotte.accounts.tokens import api_token_create

    tokens = [api_token_create(user=m, name="bench")[1] for m in seeded["members"][:clients]]
    port = _free_port()
    workers = str(max(2, (os.cpu_count() or 2) * 2))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "flotte.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--log-level",
            "warning",
        ],
        env=env,
        # The console e-mail backend writes every confirmation to stdout,
        # which carries the benchmark's JSON.
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        slug = seeded["community"].slug
        hot = [v.pk for v in seeded["vehicles"][:HOT_VEHICLES]]
        _warm_up(port, tokens)
        base = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        counts: dict[str, int] = {"201": 0, "409": 0, "4xx": 0, "5xx": 0}
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def client(token: str, seed: int) -> None:
            rng = random.Random(seed)  # noqa: S311 - load generation
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < stop:
                start = base + dt.timedelta(hours=rng.randrange(2, 72))
                body = json.dumps(
                    {
                        "vehicle_id": rng.choice(hot),
                        "purpose": "bench",
                        "start": start.isoformat(),
                        "end": (start + dt.timedelta(hours=1)).isoformat(),
                    }
                )
                conn.request(
                    "POST",
                    f"/api/v1/communities/{slug}/bookings",
                    body,
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
                key = (
                    str(response.status)
                    if response.status in (201, 409)
                    else "5xx"
                    if response.status >= 500
                    else "4xx"
                )
                with lock:
                    counts[key] += 1
            conn.close()

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(t, n)) for n, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    attempts = sum(counts.values())
    return {
        "attempts": attempts,
        "attempts_per_s": round(attempts / elapsed, 1),
        "created": counts["201"],
        "conflicts_409": counts["409"],
        "other_4xx": counts["4xx"],
        "answers_5xx": counts["5xx"],
        "seconds": round(elapsed, 1),
        "server_workers": int(workers),
    }


def _overlaps() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM booking_booking a JOIN booking_booking b "
            "ON a.vehicle_id = b.vehicle_id AND a.id < b.id "
            "AND a.start < b.blocked_until AND b.start < a.blocked_until "
            "WHERE a.state IN ('confirmed', 'started') AND b.state IN ('confirmed', 'started')"
        )
        return int(cursor.fetchone()[0])


def run_booking_benchmark(
    *, bookings_per_vehicle: int, searches: int, seconds: float, clients: int = CLIENTS
) -> dict[str, Any]:
    from django.db import connection

    from flotte.benchmarks import throwaway_database
    from flotte.core.context import origin
    from flotte.core.tenancy import cross_tenant

    rng = random.Random(2026)  # noqa: S311 - reproducible data
    with throwaway_database() as database_url:
        with cross_tenant("benchmark"), origin("cli"):
            began = time.monotonic()
            seeded = _seed(rng, bookings_per_vehicle)
            seed_seconds = time.monotonic() - began
            timings = _search_timings(seeded, searches, rng)
            connection.close()  # the server processes take over
            race = _race(seeded, database_url, seconds, clients)
            overlaps = _overlaps()
        quantiles = statistics.quantiles(timings, n=100)
        return {
            "database": connection.vendor,
            "organisations": ORGANISATIONS,
            "vehicles_in_big_community": BIG_FLEET,
            "bookings_seeded": seeded["bookings"],
            "seed_seconds": round(seed_seconds, 1),
            "search": {
                "calls": len(timings),
                "p50_ms": round(statistics.median(timings), 2),
                "p99_ms": round(quantiles[98], 2),
            },
            "booking_race": {"clients": clients, **race},
            "overlapping_bookings": overlaps,
        }
