"""No double booking under concurrency, on PostgreSQL (the production
database): CI's second pass runs this against a real server."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from flotte.booking.models import Booking
from tests import factories as f
from tests.conftest import make_tenant

PARALLEL = 50


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_requests_for_one_slot_give_one_booking_and_49_conflicts() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("the concurrency test needs PostgreSQL (DATABASE_URL)")
    tenant = make_tenant("race")
    group = tenant.member.memberships.get().group
    clients = []
    for number in range(PARALLEL):
        member = f.UserFactory(email=f"racer{number}@example.org")
        f.MembershipFactory(user=member, community=tenant.community, group=group)
        f.DriverProfileFactory(user=member)
        f.DriverApprovalFactory(organisation=tenant.organisation, user=member, status="validated")
        client = Client()
        client.force_login(member)
        clients.append(client)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    body = {
        "vehicle_id": tenant.vehicle.pk,
        "purpose": "course",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=2)).isoformat(),
    }
    url = f"/api/v1/communities/{tenant.community.slug}/bookings"
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    errors: list[Any] = []

    def race(client: Client) -> None:
        try:
            barrier.wait()
            response = client.post(url, body, content_type="application/json")
            statuses.append(response.status_code)
            if response.status_code == 409:
                assert response.json()["code"] == "vehicle_taken"
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    assert Booking.objects.filter(vehicle=tenant.vehicle, state="confirmed").count() == 1
