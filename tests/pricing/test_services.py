from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from flotte.pricing.services import quote_for, tariff_create, tariff_end, tariff_in_force
from tests import factories as f
from tests.conftest import Tenant

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
D = Decimal


def new_tariff(tenant: Tenant, **fields: Any) -> Any:
    values = {
        "name": "Agents 2026",
        "valid_from": dt.date(2026, 1, 1),
        "hourly_rate": D("4.00"),
        "km_rate": D("0.25"),
        **fields,
    }
    return tariff_create(actor=tenant.manager, community=tenant.community, **values)


def test_a_manager_creates_a_tariff_and_it_is_audited(alice: Tenant) -> None:
    tariff = new_tariff(alice)
    assert tariff.organisation == alice.organisation
    assert AuditEntry.objects.filter(action="tariff.created", object_id=str(tariff.pk)).exists()


def test_members_and_other_organisations_cannot_create_tariffs(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        tariff_create(
            actor=alice.member,
            community=alice.community,
            name="x",
            valid_from=dt.date(2026, 1, 1),
            hourly_rate=D("1"),
        )
    with pytest.raises(PermissionDenied):
        tariff_create(
            actor=bob.manager,
            community=alice.community,
            name="x",
            valid_from=dt.date(2026, 1, 1),
            hourly_rate=D("1"),
        )
    with pytest.raises(NotFound):
        new_tariff(alice, group=f.UserGroupFactory(organisation=bob.organisation))


def test_overlapping_validity_for_the_same_group_is_refused(alice: Tenant) -> None:
    first = new_tariff(alice)
    with pytest.raises(Conflict, match="valid on these dates"):
        new_tariff(alice, valid_from=dt.date(2026, 6, 1))
    tariff_end(actor=alice.manager, tariff=first, valid_until=dt.date(2026, 6, 1))
    second = new_tariff(alice, valid_from=dt.date(2026, 6, 1), hourly_rate=D("5.00"))
    assert tariff_in_force(alice.community, None, dt.date(2026, 5, 31)) == first
    assert tariff_in_force(alice.community, None, dt.date(2026, 6, 1)) == second


def test_a_group_tariff_wins_over_the_community_tariff(alice: Tenant) -> None:
    common = new_tariff(alice)
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    own = new_tariff(alice, group=elected, name="Élus", hourly_rate=D("2.00"))
    assert tariff_in_force(alice.community, elected, dt.date(2026, 3, 1)) == own
    other = f.UserGroupFactory(organisation=alice.organisation, name="Habitants")
    assert tariff_in_force(alice.community, other, dt.date(2026, 3, 1)) == common


def test_no_tariff_in_force_is_a_clear_error(alice: Tenant) -> None:
    new_tariff(alice, valid_from=dt.date(2027, 1, 1))
    with pytest.raises(NotFound, match="no tariff"):
        tariff_in_force(alice.community, None, dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hourly_rate": D("-1")}, "hourly_rate"),
        ({"valid_until": dt.date(2025, 1, 1)}, "valid_until"),
        ({"tiers": [{"after_hours": 0, "discount_pct": "10"}]}, "tiers"),
        ({"tiers": [{"after": 3}]}, "tiers"),
        ({"flat_rates": [{"label": "Soir", "max_minutes": 0, "price": "9"}]}, "flat_rates"),
        (
            {
                "flat_rates": [
                    {"label": "Soir", "max_minutes": 60, "price": "9", "from_time": "18:00"}
                ]
            },
            "flat_rates",
        ),
        (
            {
                "flat_rates": [
                    {
                        "label": "Soir",
                        "max_minutes": 60,
                        "price": "9",
                        "from_time": "18:00",
                        "until_time": "25:00",
                    }
                ]
            },
            "flat_rates",
        ),
        ({"step_minutes": 0}, "step_minutes"),
    ],
)
def test_bad_tariffs_are_refused(alice: Tenant, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        new_tariff(alice, **fields)
    assert field in error.value.fields


def test_a_tariffs_validity_can_only_be_shortened(alice: Tenant) -> None:
    tariff = new_tariff(alice, valid_until=dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed):
        tariff_end(actor=alice.manager, tariff=tariff, valid_until=dt.date(2027, 6, 1))
    with pytest.raises(ValidationFailed):
        tariff_end(actor=alice.manager, tariff=tariff, valid_until=dt.date(2026, 1, 1))


def test_quote_uses_the_tariff_of_the_start_day_in_the_community_time_zone(alice: Tenant) -> None:
    old = new_tariff(alice, valid_until=dt.date(2026, 7, 1))
    new_tariff(alice, valid_from=dt.date(2026, 7, 1), hourly_rate=D("10.00"))
    # 30 June 23:30 in Paris (21:30 UTC): the June tariff.
    start = dt.datetime(2026, 6, 30, 23, 30, tzinfo=PARIS)
    tariff, q = quote_for(
        community=alice.community, group=None, start=start, end=start + dt.timedelta(hours=2), km=10
    )
    assert tariff == old
    assert q.total == D("8.00") + D("2.50")
    # 1 July 00:30 in Paris is 30 June 22:30 UTC: the July tariff applies.
    start = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)
    tariff, _ = quote_for(
        community=alice.community, group=None, start=start, end=start + dt.timedelta(hours=1), km=0
    )
    assert tariff.hourly_rate == D("10.00")


def test_tiers_and_packages_stored_as_json_reach_the_engine(alice: Tenant) -> None:
    new_tariff(
        alice,
        km_rate=D("0"),
        tiers=[{"after_hours": 2, "discount_pct": "50"}],
        flat_rates=[
            {"label": "Journée", "max_minutes": 1440, "price": "25.00", "included_km": 100}
        ],
    )
    start = dt.datetime(2026, 5, 12, 9, tzinfo=PARIS)
    _, q = quote_for(
        community=alice.community, group=None, start=start, end=start + dt.timedelta(hours=4), km=0
    )
    assert q.total == D("12.00")  # 16.00 less half of two hours
    _, q = quote_for(
        community=alice.community, group=None, start=start, end=start + dt.timedelta(hours=12), km=0
    )
    assert [line.code for line in q.lines] == ["flat_rate"]
    assert q.total == D("25.00")


def test_an_impossible_quote_is_a_validation_error(alice: Tenant) -> None:
    new_tariff(alice)
    start = dt.datetime(2026, 5, 12, 9, tzinfo=PARIS)
    with pytest.raises(ValidationFailed, match="ends after"):
        quote_for(community=alice.community, group=None, start=start, end=start, km=0)
