from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from flotte.core import clock
from flotte.pricing.services import tariff_create
from tests.booking.test_services import NOW
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):  # 09:00 in Paris
        yield


@pytest.fixture(autouse=True)
def _french(settings: Any) -> None:
    settings.LANGUAGE_CODE = "fr"
    settings.MAP_TILE_URL = ""


@pytest.fixture
def priced(alice: Tenant) -> Tenant:
    """Alice's community with a tariff: 4 € an hour, 0.20 € a km."""
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.20"),
    )
    return alice


@pytest.fixture
def member(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.member)
    return client


def local(hours: float) -> str:
    """NOW plus some hours, as a datetime-local field in Paris sends it."""
    import zoneinfo

    at = NOW + dt.timedelta(hours=hours)
    return at.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")
