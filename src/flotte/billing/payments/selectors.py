"""What an invoice has been paid, derived from its payments, refunds and
credit notes; never stored on the invoice itself."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from flotte.billing.models import Invoice, Payment, Refund

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Balance:
    total: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def due(self) -> Decimal:
        """What the buyer still owes: the total, less credit notes, less
        what was collected and kept."""
        return max(self.total - self.credited - (self.paid - self.refunded), ZERO)

    @property
    def refundable(self) -> Decimal:
        """What was collected beyond what is now owed (after a credit note)."""
        return max((self.paid - self.refunded) - (self.total - self.credited), ZERO)

    @property
    def status(self) -> str:
        if self.total - self.credited <= 0:
            return "credited"
        if self.due == 0:
            return "paid"
        return "partially_paid" if self.paid - self.refunded > 0 else "unpaid"


def _sum(queryset: object, field: str) -> Decimal:
    value = queryset.aggregate(total=Sum(field))["total"]  # type: ignore[attr-defined]
    return (value or ZERO).quantize(Decimal("0.01"))


def invoice_balance(invoice: Invoice) -> Balance:
    """The invoice's paid state. Credit notes of an issued invoice reduce
    what is owed; succeeded payments and refunds move money."""
    if invoice.is_credit_note:
        return Balance(invoice.total_incl_vat, invoice.total_incl_vat, ZERO, ZERO)
    credited = _sum(
        Invoice.objects.filter(credits=invoice, state=Invoice.State.ISSUED), "total_incl_vat"
    )
    paid = _sum(
        Payment.objects.filter(invoice=invoice, state=Payment.State.SUCCEEDED), "amount_received"
    )
    refunded = _sum(
        Refund.objects.filter(payment__invoice=invoice, state=Refund.State.SUCCEEDED), "amount"
    )
    return Balance(invoice.total_incl_vat, credited, paid, refunded)


def failed_attempts(invoice: Invoice) -> int:
    return Payment.objects.filter(
        invoice=invoice, kind=Payment.Kind.CHARGE, state=Payment.State.FAILED
    ).count()
