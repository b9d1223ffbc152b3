"""What managers issue by hand: exceptional invoices (a damage excess) and
credit notes, the only way to correct an issued invoice.

Credit notes carry positive amounts, and their kind gives the sign: that is
how a French avoir reads and how Factur-X expects a credit note (type code
381). A credit note never credits more than what remains of its invoice,
in total and per VAT rate (no VAT is refunded that was not charged)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from flotte.accounts.models import Membership, Organisation, User
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing.amounts import ZERO, LineInput, rate_key, vat_breakdown
from flotte.billing.issuing import issue
from flotte.billing.models import Invoice, InvoiceLine
from flotte.billing.services import add_line, lock, refresh_totals
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, ValidationFailed


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("say why", fields={"reason": "required"})
    return reason


@transaction.atomic
def invoice_exceptional_create(
    *,
    actor: User,
    organisation: Organisation,
    buyer: User,
    lines: Sequence[LineInput],
    reason: str,
    business: bool = False,
    cost_centre: str = "",
) -> Invoice:
    """An invoice outside any booking's end (a damage excess, a lost
    badge), made and issued by a manager of the organisation, to one of its
    members."""
    require_manager_of_organisation(actor, organisation)
    if not Membership.objects.filter(user=buyer, community__organisation=organisation).exists():
        raise NotFound("no such member in this organisation", code="not_member")
    if not lines:
        raise ValidationFailed("an invoice needs at least one line", code="empty_invoice")
    checked = [line.checked() for line in lines]
    invoice = Invoice.objects.create(
        organisation=organisation,
        buyer=buyer,
        buyer_snapshot={"business": business, "cost_centre": cost_centre if business else ""},
        reason=_reason(reason),
        description=_reason(reason),
        created_at=clock.now(),
        created_by=actor,
        manually_edited=True,
    )
    for line in checked:
        add_line(
            invoice,
            line.kind,
            line.label,
            line.quantity,
            unit_price_incl_vat=line.unit_price_incl_vat,
            vat_rate=line.vat_rate,
        )
    refresh_totals(invoice)
    audit("invoice.exceptional_created", invoice, actor=actor, data={"reason": invoice.reason})
    return issue(invoice, actor=actor)


def remaining_by_rate(invoice: Invoice) -> dict[Decimal, Decimal]:
    """What is left to credit of an issued invoice, incl. VAT, per VAT rate."""
    left = {rate: t.incl_vat for rate, t in vat_breakdown(invoice.lines.all()).items()}
    credited = InvoiceLine.objects.filter(
        invoice__credits=invoice, invoice__state=Invoice.State.ISSUED
    )
    for rate, t in vat_breakdown(credited).items():
        left[rate] = left.get(rate, ZERO) - t.incl_vat
    return left


@transaction.atomic
def credit_note_issue(
    *,
    actor: User,
    invoice: Invoice,
    reason: str,
    lines: Sequence[LineInput] | None = None,
) -> Invoice:
    """Credit an issued invoice, in full (``lines=None``: what remains of
    it) or in part (the lines given, amounts positive). Issued at once, in
    the organisation's sequence; the invoice itself never changes."""
    original = lock(invoice)  # one credit note of an invoice at a time
    require_manager_of_organisation(actor, original.organisation)
    if original.is_credit_note:
        raise Conflict("a credit note is not credited", code="credit_of_credit_note")
    if not original.is_issued:
        raise Conflict(
            "an invoice not yet issued is changed, not credited", code="invoice_not_issued"
        )
    left = remaining_by_rate(original)
    note = Invoice.objects.create(
        organisation=original.organisation,
        kind=Invoice.Kind.CREDIT_NOTE,
        credits=original,
        booking=original.booking,
        buyer=original.buyer,
        buyer_snapshot={
            k: v for k, v in original.buyer_snapshot.items() if k not in ("name", "email")
        },
        reason=_reason(reason),
        description=f"Avoir sur la facture n° {original.number}",
        service_start=original.service_start,
        service_end=original.service_end,
        created_at=clock.now(),
        created_by=actor,
    )
    if lines is None:
        _credit_what_remains(note, original, left)
    else:
        if not lines:
            raise ValidationFailed("a credit note needs at least one line", code="empty_invoice")
        for line in (line.checked() for line in lines):
            add_line(
                note,
                line.kind,
                line.label,
                line.quantity,
                unit_price_incl_vat=line.unit_price_incl_vat,
                vat_rate=line.vat_rate,
            )
    _refuse_over_credit(note, left)
    refresh_totals(note)
    return issue(note, actor=actor)


def _credit_what_remains(note: Invoice, original: Invoice, left: dict[Decimal, Decimal]) -> None:
    if all(amount <= 0 for amount in left.values()):
        raise Conflict(f"{original.number} is already fully credited", code="fully_credited")
    if not original.credit_notes.filter(state=Invoice.State.ISSUED).exists():
        for line in original.lines.all():  # a copy, line by line
            line.pk, line.invoice = None, note
            line.save(force_insert=True)
        return
    for rate, amount in left.items():
        if amount > 0:
            add_line(
                note,
                InvoiceLine.Kind.OTHER,
                f"Solde de la facture n° {original.number}",
                Decimal("1"),
                unit_price_incl_vat=amount,
                vat_rate=rate,
            )


def _refuse_over_credit(note: Invoice, left: dict[Decimal, Decimal]) -> None:
    for rate, t in vat_breakdown(note.lines.all()).items():
        if t.incl_vat > left.get(rate_key(rate), ZERO):
            raise ValidationFailed(
                f"this credits {t.incl_vat} EUR at {rate} % VAT, more than the "
                f"{max(left.get(rate, ZERO), ZERO)} EUR left to credit",
                code="over_credit",
            )
