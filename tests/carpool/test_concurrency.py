"""Seats never exceed the offer's when the driver's accepts race, on
PostgreSQL (the production database): CI's second pass runs this against
a real server. The offer's row lock makes the accepts count one after the
other."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from flotte.carpool.models import CarpoolRequest
from flotte.carpool.services import carpool_request_create
from tests.carpool.conftest import an_offer, member_of
from tests.conftest import make_tenant

PARALLEL = 8


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_parallel_accepts_of_a_two_seat_offer_take_two_passengers() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("the concurrency test needs PostgreSQL (DATABASE_URL)")
    tenant = make_tenant("carpool-race")
    offer = an_offer(tenant, seats=2)
    requests = [
        carpool_request_create(passenger=member_of(tenant, f"p{n}@example.org"), offer=offer)
        for n in range(PARALLEL)
    ]
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    errors: list[Any] = []

    def accept(request_id: int) -> None:
        try:
            client = Client()
            client.force_login(tenant.member)
            barrier.wait()
            response = client.post(f"/api/v1/carpool/requests/{request_id}/accept")
            statuses.append(response.status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(r.pk,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(statuses) == [200, 200] + [409] * (PARALLEL - 2)
    assert CarpoolRequest.objects.filter(offer=offer, state="accepted").count() == 2
