from __future__ import annotations

import datetime as dt

import pytest

from flotte.core import clock
from flotte.core.errors import NotFound
from flotte.stats.exports import TABLES, table_csv
from flotte.stats.snapshots import DASHBOARD, snapshot_compute
from tests.conftest import Tenant
from tests.stats.conftest import make_booking, make_invoice

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def data(alice: Tenant) -> dict:
    booking = make_booking(alice)
    make_invoice(alice, "12.50", booking=booking)
    with clock.frozen(NOW):
        return snapshot_compute(alice.organisation.pk, DASHBOARD).data


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_as_french_csv(data: dict, table: str) -> None:
    text = table_csv(data, table).decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = text.removeprefix("\ufeff").splitlines()
    assert ";" in header or header
    assert rows


def test_amounts_use_a_decimal_comma(data: dict) -> None:
    text = table_csv(data, "totals").decode("utf-8")
    assert ";12,50;" in text


def test_station_rows_name_their_station(data: dict, alice: Tenant) -> None:
    text = table_csv(data, "stations").decode("utf-8")
    assert alice.station.name in text


def test_an_unknown_table_is_not_found(data: dict) -> None:
    with pytest.raises(NotFound):
        table_csv(data, "secrets")
