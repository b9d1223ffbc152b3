"""A member's search that finds no vehicle is recorded, once, and only then."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flotte.booking.alternatives import booking_alternatives
from flotte.booking.services import availability, booking_create
from flotte.core import clock
from flotte.stats.models import FailedSearch
from tests import factories as f
from tests.conftest import Tenant

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
START, END = NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=4)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def take_the_vehicle(tenant: Tenant) -> None:
    booking_create(
        actor=tenant.member,
        member=tenant.member,
        community=tenant.community,
        vehicle=tenant.vehicle,
        start=START,
        end=END,
        purpose="mission",
    )


def search(tenant: Tenant, **extra: Any) -> list[Any]:
    return availability(
        member=tenant.member, community=tenant.community, start=START, end=END, **extra
    )


def test_a_search_that_finds_a_vehicle_records_nothing(alice: Tenant) -> None:
    assert search(alice)
    assert not FailedSearch.objects.exists()


def test_a_search_that_finds_no_vehicle_is_recorded(alice: Tenant) -> None:
    take_the_vehicle(alice)
    assert search(alice, category="utility") == []
    failed = FailedSearch.objects.get()
    assert (failed.organisation, failed.community, failed.member) == (
        alice.organisation,
        alice.community,
        alice.member,
    )
    assert (failed.start, failed.end, failed.category, failed.searched_at) == (
        START,
        END,
        "utility",
        NOW,
    )


def test_a_search_at_one_station_keeps_the_station(alice: Tenant) -> None:
    take_the_vehicle(alice)
    search(alice, station_ids=[alice.station.pk])
    assert FailedSearch.objects.get().station == alice.station


def test_a_search_at_several_stations_keeps_none(alice: Tenant) -> None:
    take_the_vehicle(alice)
    other = f.StationFactory(organisation=alice.organisation)
    search(alice, station_ids=[alice.station.pk, other.pk])
    assert FailedSearch.objects.get().station is None


def test_another_organisations_station_is_not_kept(alice: Tenant, bob: Tenant) -> None:
    search(alice, station_ids=[bob.station.pk])
    assert FailedSearch.objects.get().station is None


def test_an_empty_search_costs_one_insert_more(alice: Tenant) -> None:
    take_the_vehicle(alice)
    with CaptureQueriesContext(connection) as queries:
        search(alice)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1


def test_the_platforms_own_searches_are_not_recorded(alice: Tenant) -> None:
    take_the_vehicle(alice)
    booking_alternatives(
        member=alice.member,
        community=alice.community,
        start=START,
        end=END,
        station_ids=[alice.station.pk],
    )
    assert not FailedSearch.objects.exists()
