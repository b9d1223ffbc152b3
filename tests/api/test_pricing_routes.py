from __future__ import annotations

from decimal import Decimal
from typing import Any

from flotte.accounts.models import Membership
from tests import factories as f
from tests.conftest import Api, Tenant

TARIFF = {
    "name": "Agents 2026",
    "valid_from": "2026-01-01",
    "hourly_rate": "4.00",
    "km_rate": "0.25",
    "day_cap": "30.00",
    "tiers": [{"after_hours": 48, "discount_pct": "10"}],
    "flat_rates": [
        {
            "label": "Soirée",
            "max_minutes": 300,
            "price": "9.00",
            "included_km": 30,
            "from_time": "18:00",
            "until_time": "23:00",
        }
    ],
}
MORNING = {"start": "2026-12-01T09:00:00+01:00", "end": "2026-12-01T11:00:00+01:00", "km": 10}
EVENING = {"start": "2026-12-01T19:00:00+01:00", "end": "2026-12-01T21:00:00+01:00", "km": 10}


def post_tariff(tenant: Tenant, **changes: Any) -> Any:
    return Api(tenant.manager).post(
        f"communities/{tenant.community.slug}/tariffs", {**TARIFF, **changes}
    )


def test_a_manager_creates_a_tariff_with_tiers_and_packages(alice: Tenant) -> None:
    response = post_tariff(alice)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tiers"] == [{"after_hours": 48, "discount_pct": "10"}]
    assert body["flat_rates"][0]["price"] == "9.00"
    assert body["flat_rates"][0]["from_time"] == "18:00"
    listed = Api(alice.member).get(f"communities/{alice.community.slug}/tariffs").json()
    assert [t["name"] for t in listed] == ["Agents 2026"]


def test_a_member_cannot_create_a_tariff(alice: Tenant) -> None:
    response = Api(alice.member).post(f"communities/{alice.community.slug}/tariffs", TARIFF)
    assert response.status_code == 403


def test_a_bad_tariff_gets_a_clear_error(alice: Tenant) -> None:
    response = post_tariff(alice, tiers=[{"after_hours": 0, "discount_pct": "10"}])
    assert response.status_code == 400
    assert "tiers" in response.json()["fields"]
    response = post_tariff(alice, hourly_rate="cheap")
    assert response.status_code == 422
    assert post_tariff(alice).status_code == 201
    assert post_tariff(alice).json()["code"] == "tariff_overlap"


def test_a_member_gets_a_quote_with_lines_and_total(alice: Tenant) -> None:
    post_tariff(alice)
    response = Api(alice.member).post(f"communities/{alice.community.slug}/quote", EVENING)
    assert response.status_code == 200, response.content
    body = response.json()
    # Two hours and 10 km cost 10.50 by the hour: the 9.00 evening package wins.
    assert [line["code"] for line in body["lines"]] == ["flat_rate"]
    assert Decimal(body["total"]) == Decimal("9.00")
    # In the morning the evening package does not apply.
    morning = Api(alice.member).post(f"communities/{alice.community.slug}/quote", MORNING).json()
    assert [line["code"] for line in morning["lines"]] == ["time_day", "distance"]
    assert Decimal(morning["total"]) == Decimal("10.50")
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total"])


def test_the_quote_uses_the_members_group_tariff(alice: Tenant) -> None:
    post_tariff(alice)
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    post_tariff(alice, name="Élus", group_id=elected.pk, hourly_rate="1.00", km_rate="0")
    Membership.objects.filter(user=alice.member).update(group=elected)
    body = Api(alice.member).post(f"communities/{alice.community.slug}/quote", MORNING).json()
    assert body["tariff_name"] == "Élus"
    assert Decimal(body["total"]) == Decimal("2.00")


def test_a_quote_needs_times_with_an_offset_and_a_tariff(alice: Tenant) -> None:
    url = f"communities/{alice.community.slug}/quote"
    response = Api(alice.member).post(url, MORNING)
    assert response.status_code == 404
    assert response.json()["code"] == "no_tariff"
    post_tariff(alice)
    naive = {**MORNING, "start": "2026-12-01T09:00:00", "end": "2026-12-01T11:00:00"}
    assert Api(alice.member).post(url, naive).status_code == 400
    backwards = {**MORNING, "end": "2026-12-01T08:00:00+01:00"}
    response = Api(alice.member).post(url, backwards)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_quote_request"


def test_ending_a_tariff_lets_the_next_one_start(alice: Tenant) -> None:
    first = post_tariff(alice).json()
    response = Api(alice.manager).post(f"tariffs/{first['id']}/end", {"valid_until": "2026-07-01"})
    assert response.status_code == 200
    assert post_tariff(alice, valid_from="2026-07-01", hourly_rate="5.00").status_code == 201
    assert (
        Api(alice.member)
        .post(f"tariffs/{first['id']}/end", {"valid_until": "2026-06-01"})
        .status_code
        == 404
    )
