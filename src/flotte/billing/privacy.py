"""A member's billing data in their GDPR export and erasure (see
:mod:`flotte.accounts.privacy`). Runs inside that module's cross-tenant
scope and transaction.

Invoices, credit notes, payments and refunds are kept on erasure: they are
accounting records the organisations must keep ten years (Code de
commerce, article L123-22); they name the anonymised account from then on,
while an issued invoice keeps its frozen buyer, as the law wants. The saved
card is forgotten, here and at the payment provider."""

from __future__ import annotations

from typing import Any

from flotte.accounts.models import User
from flotte.billing.models import Invoice, Payment, PaymentProfile, Refund


def billing_data_export(user: User) -> dict[str, Any]:
    return {
        "invoices": [
            {
                "organisation": i.organisation.name,
                "number": i.number,
                "kind": i.kind,
                "state": i.state,
                "issue_date": i.issue_date,
                "description": i.description,
                "total_incl_vat": i.total_incl_vat,
            }
            for i in Invoice.objects.filter(buyer=user, state=Invoice.State.ISSUED)
            .select_related("organisation")
            .order_by("issued_at")
        ],
        "payment_cards": [
            {
                "organisation": p.organisation.name,
                "provider": p.provider,
                "state": p.state,
                "brand": p.card_brand,
                "last4": p.card_last4,
                "expires": f"{p.card_exp_month:02d}/{p.card_exp_year}"
                if p.card_exp_month and p.card_exp_year
                else None,
            }
            for p in PaymentProfile.objects.filter(user=user).select_related("organisation")
        ],
        "payments": [
            {
                "organisation": p.organisation.name,
                "invoice": p.invoice.number if p.invoice else None,
                "booking_id": p.booking_id,
                "kind": p.kind,
                "state": p.state,
                "amount": p.amount,
                "amount_received": p.amount_received,
                "failure": p.failure_message,
                "created_at": p.created_at,
            }
            for p in Payment.objects.filter(user=user)
            .select_related("organisation", "invoice")
            .order_by("created_at")
        ],
        "refunds": [
            {
                "organisation": r.organisation.name,
                "credit_note": r.credit_note.number if r.credit_note else None,
                "state": r.state,
                "amount": r.amount,
                "created_at": r.created_at,
            }
            for r in Refund.objects.filter(payment__user=user)
            .select_related("organisation", "credit_note")
            .order_by("created_at")
        ],
    }


def billing_data_erase(user: User) -> None:
    """Forget the saved cards; the provider's customer records are deleted
    after commit (task ``billing.forget_customer``)."""
    from flotte.billing.tasks import forget_customer

    for profile in PaymentProfile.objects.filter(user=user):
        if profile.customer_ref:
            forget_customer.enqueue(profile.provider, profile.customer_ref)
        profile.delete()
