from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from flotte.stats.snapshots import DASHBOARD, snapshot_compute
from tests.conftest import Api, Tenant
from tests.stats.conftest import make_booking


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def url(tenant: Tenant, rest: str = "") -> str:
    return f"organisations/{tenant.organisation.pk}/statistics{rest}"


def test_the_dashboard_is_being_computed_at_first(alice: Tenant) -> None:
    response = Api(alice.manager).get(url(alice))
    assert response.status_code == 202
    assert response.json() == {"key": DASHBOARD, "state": "computing"}


def test_the_dashboard_once_computed(alice: Tenant) -> None:
    make_booking(alice)
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    response = Api(alice.manager).get(url(alice))
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == DASHBOARD
    assert set(body["data"]) >= {"totals", "dimensions", "months", "co2", "fleet_advice"}


def test_a_period_is_asked_with_its_days(alice: Tenant) -> None:
    response = Api(alice.manager).get(url(alice, "?start=2026-03-01&end=2026-04-01"))
    assert response.json()["key"] == "period:2026-03-01:2026-04-01"


def test_a_period_that_ends_before_it_starts_is_refused(alice: Tenant) -> None:
    response = Api(alice.manager).get(url(alice, "?start=2026-03-01&end=2026-02-01"))
    assert response.status_code == 400


def test_a_period_needs_both_ends(alice: Tenant) -> None:
    response = Api(alice.manager).get(url(alice, "?start=2026-03-01"))
    assert response.status_code == 400


def test_a_member_may_not_see_the_statistics(alice: Tenant) -> None:
    assert Api(alice.member).get(url(alice)).status_code == 403


def test_another_organisations_manager_gets_404(alice: Tenant, bob: Tenant) -> None:
    assert Api(bob.manager).get(url(alice)).status_code == 404


def test_a_table_as_csv(alice: Tenant) -> None:
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    response = Api(alice.manager).get(url(alice, "/csv?table=stations"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert alice.station.name in response.content.decode("utf-8")


def test_a_csv_while_computing_is_202(alice: Tenant) -> None:
    assert Api(alice.manager).get(url(alice, "/csv?table=stations")).status_code == 202


def test_the_operator_sees_and_exports_any_organisation(alice: Tenant, operator: Any) -> None:
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    assert Api(operator).get(url(alice)).status_code == 200
    assert Api(operator).get(url(alice, "/csv?table=vehicles")).status_code == 200


def test_the_operator_overview_lists_every_organisation(
    alice: Tenant, bob: Tenant, operator: Any
) -> None:
    make_booking(alice)
    snapshot_compute(alice.organisation.pk, DASHBOARD)
    rows = {r["slug"]: r for r in Api(operator).get("operator/statistics").json()}
    assert rows[alice.organisation.slug]["totals"]["bookings"] == 1
    assert rows[bob.organisation.slug]["totals"] is None


def test_the_operator_overview_is_the_operators_only(alice: Tenant) -> None:
    assert Api(alice.manager).get("operator/statistics").status_code == 403
