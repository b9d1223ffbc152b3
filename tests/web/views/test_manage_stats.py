"""Statistics in the console: the period's figures read from the snapshots
the workers compute ("being computed" until then), by breakdown, the chart's
series, the busy days, CO2, greening, fleet advice and satisfaction, every
table as CSV, the whole export as a zip; refused to anyone but the
organisation's managers."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client

from flotte.accounts.models import Membership
from flotte.core import clock
from flotte.notify.models import SurveyResponse
from flotte.stats.models import FailedSearch, StatsSnapshot
from flotte.stats.snapshots import DASHBOARD, MAX_PENDING, period_key, snapshot_compute
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import make_booking

# The views' clock is 1 December 2026, 09:00 in Paris: November is last month.
NOVEMBER = {"start": "2026-11-01", "until": "2026-11-30"}
NOVEMBER_KEY = period_key(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
DAY = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/statistics/{rest}"


def november(alice: Tenant, bob: Tenant) -> None:
    """Two bookings of Alice's in November (one driven 40 km, one no-show),
    one in October, and one of Bob's."""
    make_booking(alice, start=DAY, km=40)
    make_booking(alice, start=DAY + dt.timedelta(days=7), state="no_show")
    make_booking(alice, start=dt.datetime(2026, 10, 20, 8, tzinfo=dt.UTC), km=70)
    make_booking(bob, start=DAY, km=500)


def computed(tenant: Tenant, key: str = NOVEMBER_KEY) -> None:
    """What the background worker does."""
    snapshot_compute(tenant.organisation.pk, key)


def test_a_period_is_asked_of_the_workers_and_shown_once_computed(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    page = manager.get(url(alice), NOVEMBER)
    assert page.status_code == 202
    assert page.context["snapshot"].data is None and "rows" not in page.context
    assert 'id="computing"' in page.content.decode()
    row = StatsSnapshot.objects.get(organisation=alice.organisation, key=NOVEMBER_KEY)
    assert row.computed_at is None  # requested, not computed on the request path

    computed(alice)
    page = manager.get(url(alice), NOVEMBER)
    assert page.status_code == 200
    totals = page.context["rows"][0]
    assert (totals["bookings"], totals["km"], totals["no_shows"]) == (2, 40, 1)
    assert page.context["rows"][0]["label"] == alice.organisation.name
    assert len(page.context["series"]) == 30  # the days of November
    assert sum(day["bookings"] for day in page.context["series"]) == 2


def test_the_default_is_the_dashboards_last_twelve_months(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    computed(alice, DASHBOARD)
    page = manager.get(url(alice))
    assert page.status_code == 200
    assert page.context["snapshot"].key == DASHBOARD
    assert page.context["rows"][0]["bookings"] == 3
    presets = {p["name"]: p for p in page.context["presets"]}
    assert presets["Last twelve months"]["current"]
    assert "start=2026-11-01&until=2026-11-30" in presets["Last month"]["query"]
    assert "start=2026-12-01&until=2026-12-31" in presets["This month"]["query"]
    assert "start=2026-01-01&until=2026-12-31" in presets["This year"]["query"]


@pytest.mark.parametrize(
    ("by", "expected"),
    [("vehicle", "plate"), ("station", "station"), ("community", "community")],
)
def test_the_table_breaks_the_figures_down(
    alice: Tenant, bob: Tenant, manager: Client, by: str, expected: str
) -> None:
    november(alice, bob)
    computed(alice)
    page = manager.get(url(alice), {**NOVEMBER, "by": by})
    label = {
        "plate": alice.vehicle.plate,
        "station": alice.station.name,
        "community": alice.community.name,
    }[expected]
    assert any(label in row["label"] for row in page.context["rows"])
    assert sum(row["bookings"] for row in page.context["rows"]) == 2
    assert bob.vehicle.plate not in page.content.decode()
    table = page.context["breakdown_table"]
    assert f"statistics/{table}.csv?start=2026-11-01" in page.content.decode()


def test_the_chart_carries_bookings_and_occupancy_per_day_or_week(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    computed(alice)
    page = manager.get(url(alice), NOVEMBER)
    chart = page.context["series_chart"]
    assert [s["label"] for s in chart["series"]] == ["Bookings", "Occupancy (%)"]
    assert len(chart["x"]) == 30 and sum(chart["series"][0]["values"]) == 2
    # 1 November 2026 is a Sunday, in Paris.
    assert chart["x"][0] == int(dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC).timestamp())
    assert 'id="series-chart-data"' in page.content.decode()
    weeks = manager.get(url(alice), {**NOVEMBER, "step": "week"}).context["series"]
    assert [w["day"] for w in weeks] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    assert [w["bookings"] for w in weeks] == [0, 0, 1, 1, 0, 0]
    # Two hours booked out of one vehicle's 7 × 24 hours.
    assert weeks[2]["occupancy_booked_pct"] == round(100 * 2 / 168, 2)


def test_busy_days_co2_greening_and_fleet_advice_are_shown_with_their_factors(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    FailedSearch.objects.create(
        organisation=alice.organisation,
        community=alice.community,
        station=alice.station,
        start=DAY + dt.timedelta(days=1),
        end=DAY + dt.timedelta(days=1, hours=2),
        searched_at=DAY,
    )
    computed(alice)
    page = manager.get(url(alice), NOVEMBER)
    html = page.content.decode()
    # One vehicle: a day with a booking has all the fleet in use.
    busy = {d["day"]: d for d in page.context["data"]["busy_days"]}
    assert list(busy) == ["2026-11-10", "2026-11-11", "2026-11-17"]
    assert (busy["2026-11-11"]["failed_searches"], busy["2026-11-11"]["over_threshold"]) == (
        1,
        False,
    )
    assert page.context["data"]["co2"]["total_kg"] == round(40 * 193 / 1000, 1)
    for key in ("stats_co2_baseline_g_km", "stats_co2_km_reduction_pct"):
        assert f"parameters/?q={key}" in html
    assert "193 g CO2e/km" in html
    assert page.context["data"]["greening"]["vehicles"] == 1
    advice = page.context["advice_chart"]
    assert [s["label"] for s in advice["series"]] == [alice.station.name]
    assert 0 in advice["x"] and -1 in advice["x"]
    # With no vehicle, both the booking and the failed search go unserved.
    minus_one = advice["series"][0]["values"][advice["x"].index(-1)]
    assert minus_one == 3
    assert page.context["advice_labels"] == ["N+1", "N", "N−1", "N−2", "N−3"]
    assert 'id="advice-chart-data"' in html


def survey(tenant: Tenant, rating: int, cleanliness: int) -> SurveyResponse:
    booking = make_booking(tenant, start=DAY)
    return SurveyResponse.objects.create(
        organisation=tenant.organisation,
        booking=booking,
        user=tenant.member,
        vehicle=tenant.vehicle,
        station=tenant.station,
        rating=rating,
        cleanliness=cleanliness,
        answered_at=DAY + dt.timedelta(hours=3),
    )


def test_satisfaction_is_shown_per_vehicle_and_station(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    survey(alice, 4, 3)
    survey(bob, 1, 1)
    computed(alice)
    page = manager.get(url(alice), NOVEMBER)
    per_vehicle = page.context["surveys"]["vehicle"]
    assert [(r.name, r.responses, str(r.rating)) for r in per_vehicle] == [
        (alice.vehicle.plate, 1, "4.00")
    ]
    assert [r.name for r in page.context["surveys"]["station"]] == [alice.station.name]
    csv = manager.get(url(alice, "satisfaction_vehicles.csv"), NOVEMBER)
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert alice.vehicle.plate in text and "4,00" in text
    assert bob.vehicle.plate not in text


# CSV


def test_every_table_downloads_as_csv(alice: Tenant, bob: Tenant, manager: Client) -> None:
    november(alice, bob)
    computed(alice)
    vehicles = manager.get(url(alice, "vehicles.csv"), NOVEMBER)
    assert vehicles.status_code == 200
    assert vehicles["Content-Type"].startswith("text/csv")
    assert "attachment" in vehicles["Content-Disposition"]
    lines = vehicles.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("key;label;bookings;")
    assert len(lines) == 2 and alice.vehicle.plate in lines[1]
    assert bob.vehicle.plate not in vehicles.content.decode("utf-8-sig")
    days = manager.get(url(alice, "days.csv"), NOVEMBER).content.decode("utf-8-sig")
    assert len(days.splitlines()) == 31  # header and 30 days
    for table in ("totals", "weeks", "busy_days", "co2", "greening", "fleet_advice"):
        assert manager.get(url(alice, f"{table}.csv"), NOVEMBER).status_code == 200


def test_a_csv_of_statistics_not_computed_yet_sends_back_to_the_page(
    alice: Tenant, manager: Client
) -> None:
    response = manager.get(url(alice, "totals.csv"), NOVEMBER)
    assert response.status_code == 302
    assert response["Location"] == url(alice) + "?start=2026-11-01&until=2026-11-30"
    assert StatsSnapshot.objects.filter(key=NOVEMBER_KEY, computed_at=None).exists()


def test_an_unknown_table_is_a_404(alice: Tenant, manager: Client) -> None:
    computed(alice)
    assert manager.get(url(alice, "passwords.csv"), NOVEMBER).status_code == 404


# Bad input


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-11-30", "until": "2026-11-01"},
        {"start": "2026-11-01"},
        {"until": "2026-11-01"},
        {"start": "zz", "until": "2026-11-01"},
        {"start": "2020-01-01", "until": "2026-11-01"},
        {"by": "planet"},
        {"step": "hour"},
    ],
)
def test_a_bad_period_or_choice_is_refused_on_the_form_and_asks_nothing(
    alice: Tenant, manager: Client, query: dict[str, str]
) -> None:
    page = manager.get(url(alice), query)
    assert page.status_code == 400
    assert page.context["form"].errors
    assert not StatsSnapshot.objects.exists()
    assert manager.get(url(alice, "totals.csv"), query).status_code == 400
    assert manager.get(url(alice, "export.zip"), query).status_code == 400


def test_too_many_periods_waiting_is_said_on_the_page(alice: Tenant, manager: Client) -> None:
    for n in range(MAX_PENDING):
        StatsSnapshot.objects.create(
            organisation=alice.organisation,
            key=period_key(dt.date(2025, 1, 1 + n), dt.date(2025, 2, 1)),
            requested_at=clock.now(),
        )
    page = manager.get(url(alice), NOVEMBER)
    assert page.status_code == 409 and page.context["too_many"]


# Export


def test_the_export_is_a_zip_of_the_periods_tables_and_rows(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    assert manager.get(url(alice, "export.zip"), NOVEMBER).status_code == 302  # computing
    computed(alice)
    response = manager.get(url(alice, "export.zip"), NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"bookings.csv", "members.csv", "statistics/totals.csv"} <= names
    bookings = archive.read("bookings.csv").decode("utf-8-sig").splitlines()
    assert len(bookings) == 3  # header and November's two
    assert alice.member.email not in response.content.decode("latin-1")


def test_the_export_needs_a_period(alice: Tenant, manager: Client) -> None:
    page = manager.get(url(alice, "export.zip"))
    assert page.status_code == 400 and "start" in page.context["form"].errors


# Who sees it


@pytest.mark.parametrize("rest", ["", "totals.csv", "export.zip"])
def test_another_organisations_manager_gets_a_404(
    alice: Tenant, bob: Tenant, client: Client, rest: str
) -> None:
    computed(alice)
    client.force_login(bob.manager)
    assert client.get(url(alice, rest), NOVEMBER).status_code == 404


@pytest.mark.parametrize("rest", ["", "totals.csv", "satisfaction_stations.csv", "export.zip"])
def test_a_member_and_a_community_manager_are_refused(
    alice: Tenant, client: Client, rest: str
) -> None:
    computed(alice)
    client.force_login(alice.member)
    assert client.get(url(alice, rest), NOVEMBER).status_code == 403
    community_manager = f.UserFactory(email="cm@example.org")
    f.MembershipFactory(
        user=community_manager, community=alice.community, role=Membership.Role.MANAGER
    )
    client.force_login(community_manager)
    assert client.get(url(alice, rest), NOVEMBER).status_code == 403


def test_the_console_links_to_the_statistics(alice: Tenant, manager: Client) -> None:
    page = manager.get(f"/manage/{alice.organisation.pk}/")
    assert f'href="{url(alice)}"' in page.content.decode()


def test_the_chart_data_is_valid_json_in_the_page(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    november(alice, bob)
    computed(alice)
    html = manager.get(url(alice), NOVEMBER).content.decode()
    start = html.index('<script id="series-chart-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(body)["kind"] == "time"
