"""Billing data in a member's GDPR export and erasure."""

from __future__ import annotations

from typing import Any

from flotte.accounts.privacy import member_data_export, member_erase
from flotte.billing.models import Invoice, Payment, PaymentProfile
from flotte.billing.payments.services import invoice_collect
from tests.billing.fake_stripe import FakeStripe
from tests.billing.payments.conftest import card, card_payments, charged_invoice
from tests.conftest import Tenant


def paying_member(tenant: Tenant, stripe: FakeStripe) -> Invoice:
    card_payments(tenant)
    card(tenant, stripe)
    invoice = charged_invoice(tenant, "55.00")
    invoice_collect(invoice.pk)
    return invoice


def test_the_export_holds_invoices_the_saved_card_and_payments(
    alice: Tenant, bob: Tenant, stripe: FakeStripe
) -> None:
    invoice = paying_member(alice, stripe)
    charged_invoice(bob, "99.00")  # someone else's
    data = member_data_export(alice.member)
    assert [i["number"] for i in data["invoices"]] == [invoice.number]
    [saved] = data["payment_cards"]
    assert (saved["brand"], saved["last4"], saved["expires"]) == ("visa", "4242", "12/2030")
    [payment] = data["payments"]
    assert (payment["invoice"], payment["state"], payment["amount"]) == (
        invoice.number,
        "succeeded",
        "55.00",
    )
    assert data["refunds"] == []


def test_erasure_forgets_the_card_here_and_at_stripe_and_keeps_the_accounting(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = paying_member(alice, stripe)
    [customer] = stripe.customers
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(actor=alice.member, user=alice.member)
    assert not PaymentProfile.objects.exists()
    assert stripe.customers == {}
    assert Invoice.objects.filter(pk=invoice.pk, buyer=alice.member).exists()
    assert Payment.objects.get().state == Payment.State.SUCCEEDED
    deleted = [path for method, path, _, _ in stripe.requests if method == "DELETE"]
    assert deleted == [f"/v1/customers/{customer}"]


def test_a_customer_already_gone_at_the_provider_is_not_an_error(stripe: FakeStripe) -> None:
    from flotte.billing.payments.providers import payment_provider

    payment_provider().customer_delete("cus_never_was")
