"""Payout statements: what was collected for the organisation over a period,
less refunds and fees; periods in the organisation's time zone; made once,
corrected by the next; the scheduler; the Stripe Connect transfer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flotte.accounts.models import Organisation
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Invoice, Payment, PayoutLine, PayoutStatement, Refund
from flotte.billing.payouts import (
    TransferUnavailable,
    payout_statement_create,
    payout_statement_of,
    payout_statements_of,
    payout_transfer,
    statement_invoices,
)
from flotte.billing.tasks import payout_statements
from flotte.core import clock
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.billing.fake_stripe import FakeStripe
from tests.billing.movements import paid, paris, refunded
from tests.billing.payments.conftest import card, card_payments
from tests.conftest import Tenant

NOVEMBER = dt.date(2026, 11, 1)
D = Decimal


def invoice_on(tenant: Tenant, when: dt.datetime, amount: str = "120.00") -> Invoice:
    with clock.frozen(when):
        return exceptional(tenant, amount)


def statement(tenant: Tenant, start: dt.date = NOVEMBER, **extra: Any) -> PayoutStatement:
    return payout_statement_create(
        actor=tenant.manager, organisation=tenant.organisation, period_start=start, **extra
    )


def totals(s: PayoutStatement) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return s.gross, s.refunds, s.fees, s.net


# -- what a statement counts ----------------------------------------------


def test_a_statement_counts_what_was_collected_refunded_and_paid_in_fees_in_its_month(
    alice: Tenant, bob: Tenant
) -> None:
    a = invoice_on(alice, paris(2026, 11, 3), "120.00")
    b = invoice_on(alice, paris(2026, 11, 10), "50.00")
    pa = paid(a, at=paris(2026, 11, 4), fee="2.05")
    pb = paid(b, at=paris(2026, 11, 12), fee="1.00")
    refunded(pb, "20.00", at=paris(2026, 11, 20))
    # Neither a failed payment nor a pending refund moved money.
    paid(b, "10.00", at=paris(2026, 11, 13), state=Payment.State.FAILED)
    refunded(pa, "5.00", at=paris(2026, 11, 21), state=Refund.State.PENDING)
    # Bob's money is Bob's.
    paid(invoice_on(bob, paris(2026, 11, 3), "99.00"), at=paris(2026, 11, 5))

    s = statement(alice)

    assert totals(s) == (D("170.00"), D("20.00"), D("3.05"), D("146.95"))
    assert (s.period, s.period_start, s.period_end) == ("month", NOVEMBER, dt.date(2026, 11, 30))
    entries = statement_invoices(s)
    assert [e.number for e in entries] == [a.number, b.number]
    assert [(e.collected, e.refunded, e.fees, e.net) for e in entries] == [
        (D("120.00"), D("0.00"), D("2.05"), D("117.95")),
        (D("50.00"), D("20.00"), D("1.00"), D("29.00")),
    ]
    assert s.transfer_state == PayoutStatement.TransferState.NONE


def test_the_month_runs_from_midnight_to_midnight_in_the_organisations_time_zone(
    alice: Tenant, bob: Tenant
) -> None:
    Organisation.objects.filter(pk=bob.organisation.pk).update(time_zone="UTC")
    bob.organisation.refresh_from_db()
    for tenant in (alice, bob):
        invoice = invoice_on(tenant, paris(2026, 11, 3))
        paid(invoice, "1.00", at=paris(2026, 11, 1, 0, 5))  # 31 Oct 23:05 UTC
        paid(invoice, "2.00", at=paris(2026, 11, 30, 23, 55))  # 30 Nov 22:55 UTC
        paid(invoice, "4.00", at=paris(2026, 10, 31, 23, 55))  # 31 Oct 22:55 UTC
        paid(invoice, "8.00", at=paris(2026, 12, 1, 0, 5))  # 30 Nov 23:05 UTC

    in_paris, in_utc = statement(alice), statement(bob)

    assert in_paris.gross == D("3.00")
    assert in_paris.starts_at == dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)
    assert in_utc.gross == D("10.00")
    assert in_utc.starts_at == dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)


def test_by_fortnight_the_month_is_cut_after_the_15th(alice: Tenant) -> None:
    set_param(alice, "payout_period", "fortnight")
    invoice = invoice_on(alice, paris(2026, 11, 3))
    paid(invoice, "10.00", at=paris(2026, 11, 15, 23, 59))
    paid(invoice, "20.00", at=paris(2026, 11, 16, 0, 1))

    first, second = statement(alice), statement(alice, dt.date(2026, 11, 16))

    assert (first.period, first.period_end, first.gross) == (
        "fortnight",
        dt.date(2026, 11, 15),
        D("10.00"),
    )
    assert (second.period_start, second.period_end, second.gross) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 30),
        D("20.00"),
    )


def test_by_month_the_16th_starts_no_period(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as refused:
        statement(alice, dt.date(2026, 11, 16))
    assert refused.value.code == "not_a_period_start"


def test_after_a_switch_to_months_the_next_statement_runs_from_the_last_fortnight_to_the_month_end(
    alice: Tenant,
) -> None:
    set_param(alice, "payout_period", "fortnight")
    statement(alice)
    set_param(alice, "payout_period", "month")

    rest = statement(alice, dt.date(2026, 11, 16))

    assert (rest.period, rest.period_start, rest.period_end) == (
        "month",
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 30),
    )


def test_a_month_overlapping_a_fortnight_statement_is_refused(alice: Tenant) -> None:
    set_param(alice, "payout_period", "fortnight")
    statement(alice, dt.date(2026, 10, 16))
    set_param(alice, "payout_period", "month")
    with pytest.raises(Conflict) as refused:
        statement(alice, dt.date(2026, 10, 1))
    assert refused.value.code == "period_overlaps"


def test_a_period_still_running_has_no_statement(alice: Tenant) -> None:
    with pytest.raises(Conflict) as refused:
        statement(alice, dt.date(2026, 12, 1))
    assert refused.value.code == "period_not_ended"
    assert not PayoutStatement.objects.exists()


# -- made once, corrected by the next -------------------------------------


def test_asking_twice_gives_the_same_statement_and_counts_nothing_twice(alice: Tenant) -> None:
    paid(invoice_on(alice, paris(2026, 11, 3)), at=paris(2026, 11, 4))
    first = statement(alice)
    again = statement(alice)
    assert again.pk == first.pk
    assert PayoutStatement.objects.count() == 1
    assert PayoutLine.objects.count() == 1


def test_a_payment_recorded_after_its_statement_is_counted_late_by_the_next(
    alice: Tenant,
) -> None:
    invoice = invoice_on(alice, paris(2026, 11, 3))
    paid(invoice, "100.00", at=paris(2026, 11, 4), fee="1.75")
    november = statement(alice)
    late = paid(invoice, "7.00", at=paris(2026, 11, 29), fee="0.36")
    refund = refunded(late, "2.00", at=paris(2026, 11, 30))

    assert statement(alice).gross == D("100.00")  # final once made
    with clock.frozen(paris(2027, 1, 1, 9)):
        december = statement(alice, dt.date(2026, 12, 1))

    november.refresh_from_db()
    assert totals(november) == (D("100.00"), D("0.00"), D("1.75"), D("98.25"))
    assert totals(december) == (D("7.00"), D("2.00"), D("0.36"), D("4.64"))
    assert set(december.lines.values_list("late", flat=True)) == {True}
    assert december.lines.get(kind="refund").refund == refund


def test_a_fee_known_after_its_statement_is_corrected_by_the_next(alice: Tenant) -> None:
    payment = paid(
        invoice_on(alice, paris(2026, 11, 3)), at=paris(2026, 11, 4), fee="2.05", estimate=True
    )
    november = statement(alice)
    # Stripe's balance transaction arrives: the actual fee is a cent more.
    Payment.objects.filter(pk=payment.pk).update(fee=D("2.06"), fee_is_estimate=False)

    with clock.frozen(paris(2027, 1, 1, 9)):
        december = statement(alice, dt.date(2026, 12, 1))
    with clock.frozen(paris(2027, 2, 1, 9)):
        january = statement(alice, dt.date(2027, 1, 1))

    assert november.fees == D("2.05")
    assert totals(december) == (D("0.00"), D("0.00"), D("0.01"), D("-0.01"))
    assert december.lines.get().kind == PayoutLine.Kind.FEE_ADJUSTMENT
    assert december.transfer_state == PayoutStatement.TransferState.NOT_NEEDED
    assert totals(january) == (D("0.00"),) * 4


def test_the_database_refuses_to_count_a_payment_twice(alice: Tenant) -> None:
    payment = paid(invoice_on(alice, paris(2026, 11, 3)), at=paris(2026, 11, 4))
    s = statement(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(
            statement=s, kind="payment", payment=payment, occurred_at=paris(2026, 11, 4)
        )


# -- who may -----------------------------------------------------------------


def test_another_organisation_neither_makes_nor_reads_alices_statements(
    alice: Tenant, bob: Tenant
) -> None:
    for intruder in (bob.manager, alice.member):
        with pytest.raises(PermissionDenied):
            payout_statement_create(
                actor=intruder, organisation=alice.organisation, period_start=NOVEMBER
            )
    s = statement(alice)
    with pytest.raises(PermissionDenied):
        payout_statements_of(actor=bob.manager, organisation=alice.organisation)
    with pytest.raises(NotFound):
        payout_statement_of(actor=bob.manager, organisation=bob.organisation, statement_id=s.pk)
    assert list(payout_statements_of(actor=alice.manager, organisation=alice.organisation)) == [s]


# -- the scheduler -------------------------------------------------------------


def test_the_scheduler_makes_the_ended_periods_statements_for_organisations_taking_cards(
    alice: Tenant, bob: Tenant
) -> None:
    set_param(alice, "payment_card_enabled", True)
    paid(invoice_on(alice, paris(2026, 11, 3)), at=paris(2026, 11, 4))

    made = payout_statements.run()
    assert payout_statements.run() == []  # nothing new until another period ends
    with clock.frozen(paris(2027, 1, 1, 0, 30)):
        later = payout_statements.run()

    november = PayoutStatement.objects.get(pk=made[0])
    assert (november.organisation, november.period_start, november.gross) == (
        alice.organisation,
        NOVEMBER,
        D("120.00"),
    )
    assert november.created_by is None
    assert len(made) == 1 and len(later) == 1
    assert PayoutStatement.objects.get(pk=later[0]).period_start == dt.date(2026, 12, 1)
    assert not PayoutStatement.objects.filter(organisation=bob.organisation).exists()


def test_by_fortnight_the_scheduler_makes_a_statement_twice_a_month(alice: Tenant) -> None:
    set_param(alice, "payment_card_enabled", True)
    set_param(alice, "payout_period", "fortnight")
    payout_statements.run()
    with clock.frozen(paris(2026, 12, 16, 0, 30)):
        payout_statements.run()
    with clock.frozen(paris(2027, 1, 1, 0, 30)):
        payout_statements.run()
    periods = PayoutStatement.objects.order_by("period_start").values_list(
        "period_start", "period_end"
    )
    assert list(periods) == [
        (dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 15)),
        (dt.date(2026, 12, 16), dt.date(2026, 12, 31)),
    ]


# -- property: the parts add up ------------------------------------------------

CENTS = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
MOMENT = st.tuples(st.integers(-2, 31), st.integers(0, 23 * 60 + 59)).map(
    lambda t: paris(2026, 11, 1) - dt.timedelta(hours=12) + dt.timedelta(days=t[0], minutes=t[1])
)


@st.composite
def movements(draw: Any) -> list[tuple[int, Decimal, Decimal, dt.datetime, list[Any]]]:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        amount = draw(CENTS)
        fee = draw(st.integers(0, int(amount * 100)).map(lambda c: Decimal(c) / 100))
        refunds = draw(
            st.lists(st.tuples(st.integers(1, 100), MOMENT), max_size=2).map(
                lambda rs, a=amount: [
                    ((a * pct / 200).quantize(Decimal("0.01")), at) for pct, at in rs
                ]
            )
        )
        out.append((draw(st.integers(0, 2)), amount, fee, draw(MOMENT), refunds))
    return out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(movements())
def test_net_is_gross_less_refunds_and_fees_and_the_invoice_list_adds_up(
    alice: Tenant, moves: list[tuple[int, Decimal, Decimal, dt.datetime, list[Any]]]
) -> None:
    start, end = paris(2026, 11, 1, 0), paris(2026, 12, 1, 0)
    with transaction.atomic():
        invoices = [invoice_on(alice, paris(2026, 10, 20), "9999.00") for _ in range(3)]
        gross = refunds = fees = Decimal("0.00")
        for which, amount, fee, at, refund_list in moves:
            payment = paid(invoices[which], amount, at=at, fee=fee)
            if start <= at < end:
                gross, fees = gross + amount, fees + fee
            for refund_amount, refund_at in refund_list:
                if refund_amount > 0:
                    refunded(payment, refund_amount, at=refund_at)
                    if start <= refund_at < end:
                        refunds += refund_amount

        s = statement(alice)

        assert totals(s) == (gross, refunds, fees, gross - refunds - fees)
        entries = statement_invoices(s)
        assert sum((e.collected for e in entries), Decimal("0")) == s.gross
        assert sum((e.refunded for e in entries), Decimal("0")) == s.refunds
        assert sum((e.fees for e in entries), Decimal("0")) == s.fees
        assert sum((e.net for e in entries), Decimal("0")) == s.net
        transaction.set_rollback(True)


# -- the full path -----------------------------------------------------------------


def test_booking_to_invoice_to_payment_to_refund_to_statement_to_transfer(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    card_payments(alice, payout_connect_account="acct_1AliceTown")
    card(alice, stripe)
    with django_capture_on_commit_callbacks(execute=True):
        booking = ended(alice, km=30)
    invoice = Invoice.objects.get(booking=booking)
    payment = Payment.objects.get(invoice=invoice, state=Payment.State.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(
            actor=alice.manager,
            invoice=invoice,
            reason="geste",
            lines=[LineInput("Geste commercial", D("4.00"))],
        )
    assert Refund.objects.get(credit_note=note).state == Refund.State.SUCCEEDED

    with clock.frozen(paris(2027, 1, 1, 0, 30)):
        [statement_id] = payout_statements.run()
        december = PayoutStatement.objects.get(pk=statement_id)
        payout_transfer(actor=alice.manager, statement=december)

    assert (december.period_start, december.period_end) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )
    assert december.gross == invoice.total_incl_vat == D("14.00")
    assert (december.refunds, december.fees) == (D("4.00"), payment.fee)
    assert not payment.fee_is_estimate
    assert december.net == D("14.00") - D("4.00") - payment.fee
    [entry] = statement_invoices(december)
    assert (entry.invoice, entry.credit_notes) == (invoice, (note.number,))
    [transfer] = stripe.transfers.values()
    assert transfer["amount"] == int(december.net * 100)


# -- the Stripe Connect transfer -------------------------------------------------


def transfers_asked(stripe: FakeStripe) -> list[Any]:
    return [r for r in stripe.requests if r[1] == "/v1/transfers"]


def with_net(tenant: Tenant) -> PayoutStatement:
    paid(invoice_on(tenant, paris(2026, 11, 3)), at=paris(2026, 11, 4), fee="2.05")
    return statement(tenant)


def test_the_net_is_transferred_once_to_the_organisations_connect_account(
    alice: Tenant, stripe: FakeStripe
) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    s = with_net(alice)

    first = payout_transfer(actor=alice.manager, statement=s)
    second = payout_transfer(actor=alice.manager, statement=s)

    assert first.transfer_state == second.transfer_state == "succeeded"
    assert first.transfer_ref == second.transfer_ref
    assert first.transfer_ref in stripe.transfers
    [(_, _, body, key)] = transfers_asked(stripe)
    assert body["amount"] == "11795" and body["destination"] == "acct_1AliceTown"
    assert key == f"flotte-{alice.organisation.pk}-payout-{s.pk}"


def test_a_transfer_that_failed_is_asked_again_with_the_same_key(
    alice: Tenant, stripe: FakeStripe
) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    s = with_net(alice)
    stripe.failures_to_come = 10
    with pytest.raises(TransferUnavailable):
        payout_transfer(actor=alice.manager, statement=s)
    s.refresh_from_db()
    assert s.transfer_state == "failed" and s.transfer_error
    stripe.failures_to_come = 0

    with clock.frozen(clock.now() + dt.timedelta(minutes=5)):
        done = payout_transfer(actor=alice.manager, statement=s)

    assert done.transfer_state == "succeeded"
    assert len(stripe.transfers) == 1
    assert {key for *_, key in transfers_asked(stripe)} == {
        f"flotte-{alice.organisation.pk}-payout-{s.pk}"
    }


def test_an_unconfirmed_attempt_older_than_its_key_is_not_asked_again(
    alice: Tenant, stripe: FakeStripe
) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    s = with_net(alice)
    stripe.failures_to_come = 10
    with pytest.raises(TransferUnavailable):
        payout_transfer(actor=alice.manager, statement=s)
    stripe.failures_to_come = 0
    asked = len(stripe.requests)
    with clock.frozen(clock.now() + dt.timedelta(days=2)), pytest.raises(Conflict) as refused:
        payout_transfer(actor=alice.manager, statement=s)
    assert refused.value.code == "transfer_unconfirmed"
    assert len(stripe.requests) == asked


def test_without_a_connect_account_nothing_is_transferred(
    alice: Tenant, stripe: FakeStripe
) -> None:
    s = with_net(alice)
    with pytest.raises(Conflict) as refused:
        payout_transfer(actor=alice.manager, statement=s)
    assert refused.value.code == "no_connect_account"
    set_param(alice, "payout_connect_account", "FR76 3000 1007 9412 3456 7890 185")
    with pytest.raises(ValidationFailed):
        payout_transfer(actor=alice.manager, statement=s)
    assert stripe.requests == []


def test_a_statement_with_nothing_due_transfers_nothing(alice: Tenant, stripe: FakeStripe) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    s = statement(alice)  # no payment in November
    assert s.net == 0 and s.transfer_state == "not_needed"
    assert payout_transfer(actor=alice.manager, statement=s).transfer_state == "not_needed"
    assert stripe.requests == []


def test_only_a_manager_of_the_organisation_transfers(
    alice: Tenant, bob: Tenant, stripe: FakeStripe
) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    s = with_net(alice)
    for intruder in (bob.manager, alice.member):
        with pytest.raises(PermissionDenied):
            payout_transfer(actor=intruder, statement=s)
    assert stripe.requests == []
