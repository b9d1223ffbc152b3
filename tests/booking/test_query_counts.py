"""How much database work a booking and a search cost: the figures of
``flotte bench booking`` rest on them (docs/performance.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flotte.accounts.parameters import param_set
from flotte.billing import params as billing_params
from flotte.booking.models import Booking
from flotte.booking.services import availability, booking_create
from flotte.core import clock
from flotte.core.errors import Conflict
from tests.conftest import Tenant

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def book(tenant: Tenant, start: float, end: float) -> Booking:
    return booking_create(
        actor=tenant.member,
        member=tenant.member,
        community=tenant.community,
        vehicle=tenant.vehicle,
        start=NOW + dt.timedelta(hours=start),
        end=NOW + dt.timedelta(hours=end),
        purpose="visite chantier",
    )


def parameter_reads(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "accounts_parametervalue" in q["sql"]]


def test_a_taken_slot_is_refused_with_one_query_before_any_transaction(alice: Tenant) -> None:
    book(alice, 2, 4)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict):
        book(alice, 3, 5)
    assert len(queries.captured_queries) == 1
    assert "booking_booking" in queries.captured_queries[0]["sql"]


def test_a_booking_reads_all_its_rules_in_one_query(alice: Tenant) -> None:
    with CaptureQueriesContext(connection) as queries:
        booking = book(alice, 2, 4)
    assert booking.state == Booking.State.CONFIRMED
    assert len(parameter_reads(queries)) == 1


def test_a_search_reads_the_fleet_rules_in_one_query_and_the_tariffs_in_one(
    alice: Tenant,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        offers = availability(
            member=alice.member,
            community=alice.community,
            start=NOW + dt.timedelta(hours=2),
            end=NOW + dt.timedelta(hours=4),
            declared_km=50,
        )
    assert [o.vehicle for o in offers] == [alice.vehicle]
    assert len(parameter_reads(queries)) == 1
    assert len([q for q in queries.captured_queries if "pricing_tariff" in q["sql"]]) == 1


def test_the_pre_authorisation_task_is_only_queued_where_cards_are_taken(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as without_cards:
        book(alice, 2, 4)
    param_set(
        actor=None,
        key=billing_params.CARD_PAYMENTS.key,
        value=True,
        organisation=alice.organisation,
    )
    with django_capture_on_commit_callbacks() as with_cards:
        book(alice, 6, 8)
    # The pre-authorisation is one more task after commit.
    assert len(with_cards) == len(without_cards) + 1
