"""Bookings that ended, priced and billed, for the billing tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from flotte.accounts.models import Organisation, User
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.billing.models import Invoice
from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.fleet.models import Box
from flotte.pricing.services import tariff_create
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant

__all__ = ["NOW", "ended", "exceptional", "hours", "priced", "set_param"]


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def priced(tenant: Tenant, *, billing: bool = True) -> None:
    """A tariff of 4.00 an hour and 0.20 a km, and billing switched on."""
    tariff_create(
        actor=tenant.manager,
        community=tenant.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.20"),
    )
    if billing:
        set_param(tenant, "billing_enabled", True)


def ended(
    tenant: Tenant,
    start: float = 2,
    end: float = 4,
    *,
    km: int = 30,
    late_min: int = 0,
    **extra: Any,
) -> Booking:
    """A booking started and ended by hand (the vehicles lose their box:
    trips of a vehicle with a box start on unlock)."""
    Box.objects.filter(organisation=tenant.organisation).update(vehicle=None)
    booking = book(tenant, start, end, declared_km=km, **extra)
    with clock.frozen(hours(start)):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(hours(end) + dt.timedelta(minutes=late_min)):
        return booking_end(actor=tenant.member, booking=booking, km=km)


def exceptional(
    tenant: Tenant,
    amount: str = "120.00",
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
    buyer: User | None = None,
    lines: list[LineInput] | None = None,
    reason: str = "Dommage constaté au retour",
    **extra: Any,
) -> Invoice:
    return invoice_exceptional_create(
        actor=actor or tenant.manager,
        organisation=organisation or tenant.organisation,
        buyer=buyer or tenant.member,
        lines=lines
        or [LineInput("Franchise dommage (rétroviseur)", Decimal(amount), kind="damage")],
        reason=reason,
        **extra,
    )
