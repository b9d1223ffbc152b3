"""The console's statistics in a browser: uPlot draws the charts (a canvas
each), the CSV link downloads the table, the page fits a phone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from flotte.core import clock
from flotte.stats.snapshots import period_key, snapshot_compute
from tests.booking.test_services import NOW
from tests.conftest import Tenant
from tests.stats.conftest import make_booking
from tests.web.browser.conftest import PHONE, Visit, overflow

pytestmark = pytest.mark.browser

NOVEMBER = "?start=2026-11-01&until=2026-11-30"


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 1 December 2026, 09:00 in Paris
        yield


def november(alice: Tenant) -> None:
    for day in (3, 10, 11, 24):
        make_booking(alice, start=dt.datetime(2026, 11, day, 8, tzinfo=dt.UTC), km=10 * day)
    snapshot_compute(alice.organisation.pk, period_key(dt.date(2026, 11, 1), dt.date(2026, 12, 1)))


def test_the_charts_are_drawn_and_a_table_downloads_as_csv(
    alice: Tenant, visit: Visit, tmp_path: Path
) -> None:
    november(alice)
    page = visit.open(alice.manager, locale="en-GB", viewport={"width": 1280, "height": 900})
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/statistics/{NOVEMBER}"))
    chart = page.locator("#series-chart canvas")
    chart.wait_for()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # uPlot's legend names both series.
    legend = page.locator("#series-chart .u-legend").inner_text()
    assert "Bookings" in legend and "Occupancy" in legend
    page.locator("#advice-chart canvas").wait_for()
    visit.screenshot(page, "manage-statistics")

    with page.expect_download() as download_info:
        page.locator("#figures-csv").click()
    download = download_info.value
    assert download.suggested_filename == "statistiques-totals-2026-11-01-2026-11-30.csv"
    saved = tmp_path / "totals.csv"
    download.save_as(saved)
    header, row = saved.read_text(encoding="utf-8-sig").splitlines()
    figures = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert figures["bookings"] == "4" and figures["km"] == "480"
    assert page.js_errors == []


def test_the_statistics_fit_a_phone(alice: Tenant, visit: Visit) -> None:
    november(alice)
    page = visit.open(alice.manager, viewport=PHONE)
    page.goto(visit.url(f"/manage/{alice.organisation.pk}/statistics/{NOVEMBER}&step=week"))
    page.locator("#series-chart canvas").wait_for()
    assert overflow(page) == 0
    visit.screenshot(page, "manage-statistics-phone")
    assert page.js_errors == []
