"""The whole money path through the API, as a member and a manager live
it: a card saved, a booking made, driven and ended, its invoice issued and
charged, a credit note refunded, and the organisation's payout statements.
Runs on SQLite and, in CI's second pass, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flotte.billing.models import Invoice, Payment, Refund
from flotte.billing.payouts import payout_statement_create
from flotte.core import clock
from flotte.fleet.models import Box
from tests.billing.conftest import NOW, hours, priced
from tests.billing.fake_stripe import FakeStripe
from tests.billing.payments.conftest import card_payments
from tests.conftest import Api, Tenant

D = Decimal


def test_booking_to_payout_statement(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)  # 4.00 an hour, 0.20 a km, billing on
    card_payments(alice, payout_period="month")
    Box.objects.filter(organisation=alice.organisation).update(vehicle=None)
    member, manager = Api(alice.member), Api(alice.manager)
    org = alice.organisation.pk

    # The member saves a card.
    setup = member.post(f"organisations/{org}/payment-method/setup").json()
    stripe.confirm_setup(setup["client_secret"].split("_secret")[0])
    assert member.post(f"organisations/{org}/payment-method/refresh").json()["state"] == "ready"

    # Books two hours, drives 30 km, ends the trip: the invoice is drafted,
    # issued and charged after commit.
    booked = member.post(
        f"communities/{alice.community.slug}/bookings",
        {
            "vehicle_id": alice.vehicle.pk,
            "start": hours(2).isoformat(),
            "end": hours(4).isoformat(),
            "purpose": "tournée",
            "declared_km": 30,
        },
    )
    assert booked.status_code == 201, booked.content
    booking_id = booked.json()["id"]
    with clock.frozen(hours(2)):
        assert member.post(f"bookings/{booking_id}/start").status_code == 200
    with clock.frozen(hours(4)), django_capture_on_commit_callbacks(execute=True):
        ended = member.post(f"bookings/{booking_id}/end", {"km": 30})
    assert ended.status_code == 200, ended.content

    [invoice] = member.get("invoices").json()["items"]
    assert (invoice["state"], D(invoice["total_incl_vat"])) == ("issued", D("14.00"))
    balance = member.get(f"invoices/{invoice['id']}/balance").json()
    assert (balance["status"], D(balance["paid"])) == ("paid", D("14.00"))
    [payment] = balance["payments"]
    fee = D(payment["fee"])
    assert fee == D("0.47") and payment["fee_is_estimate"] is False
    assert member.get(f"invoices/{invoice['id']}/pdf").status_code == 200

    # A credit note of 4.00 goes back to the card.
    with clock.frozen(hours(30)), django_capture_on_commit_callbacks(execute=True):
        note = manager.post(
            f"invoices/{invoice['id']}/credit-notes",
            {
                "reason": "Geste commercial",
                "lines": [{"label": "Remise", "unit_price_incl_vat": "4.00"}],
            },
        )
    assert note.status_code == 201, note.content
    refund = Refund.objects.get()
    assert (refund.state, refund.amount) == ("succeeded", D("4.00"))
    balance = member.get(f"invoices/{invoice['id']}/balance").json()
    assert (balance["status"], D(balance["due"]), D(balance["refunded"])) == (
        "paid",
        0,
        D("4.00"),
    )

    # December's statement, made once December has ended (Paris time).
    with clock.frozen(dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC)):
        statement = payout_statement_create(
            actor=alice.manager,
            organisation=alice.organisation,
            period_start=NOW.date().replace(day=1),
        )
    assert (statement.gross, statement.refunds, statement.fees) == (D("14.00"), D("4.00"), fee)
    assert statement.net == D("14.00") - D("4.00") - fee
    assert Payment.objects.get().succeeded_at is not None
    assert Invoice.objects.filter(state="issued").count() == 2  # the invoice and its credit note
