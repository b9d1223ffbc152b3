"""Billing's rows: invoices and their numbering, payments and refunds."""

from flotte.billing.models.invoices import Invoice, InvoiceCounter, InvoiceLine, amount
from flotte.billing.models.payments import (
    Payment,
    PaymentProfile,
    Refund,
    WebhookEvent,
)
from flotte.billing.models.payouts import PayoutLine, PayoutStatement

__all__ = [
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "Payment",
    "PaymentProfile",
    "PayoutLine",
    "PayoutStatement",
    "Refund",
    "WebhookEvent",
    "amount",
]
