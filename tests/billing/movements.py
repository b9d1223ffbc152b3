"""Payments and refunds written as the payment services leave them once the
provider said they succeeded: for the payout, chargeback and export tests,
which are about counting money, not about moving it."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal

from flotte.billing.models import Invoice, Payment, Refund

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
_keys = itertools.count(1)


def paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def paid(
    invoice: Invoice,
    amount: str | Decimal | None = None,
    *,
    at: dt.datetime,
    fee: str | Decimal = "0.40",
    estimate: bool = False,
    state: str = Payment.State.SUCCEEDED,
) -> Payment:
    received = Decimal(amount) if amount is not None else invoice.total_incl_vat
    n = next(_keys)
    return Payment.objects.create(
        organisation=invoice.organisation,
        user=invoice.buyer,
        invoice=invoice,
        booking=invoice.booking,
        state=state,
        provider="stripe",
        provider_ref=f"pi_test_{n}",
        idempotency_key=f"test-payment-{n}",
        amount=received,
        amount_received=received if state == Payment.State.SUCCEEDED else Decimal("0"),
        fee=Decimal(fee),
        fee_is_estimate=estimate,
        created_at=at,
        updated_at=at,
        succeeded_at=at if state == Payment.State.SUCCEEDED else None,
    )


def refunded(
    payment: Payment,
    amount: str | Decimal,
    *,
    at: dt.datetime,
    credit_note: Invoice | None = None,
    state: str = Refund.State.SUCCEEDED,
) -> Refund:
    n = next(_keys)
    return Refund.objects.create(
        organisation=payment.organisation,
        payment=payment,
        credit_note=credit_note,
        state=state,
        provider_ref=f"re_test_{n}",
        idempotency_key=f"test-refund-{n}",
        amount=Decimal(amount),
        created_at=at,
        updated_at=at,
        succeeded_at=at if state == Refund.State.SUCCEEDED else None,
    )
