"""Issuing: the number from the organisation's locked counter, the dates,
and the snapshots of seller and buyer that make an issued invoice stand on
its own. Called by the services inside their transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import param_value
from flotte.billing import params
from flotte.billing.amounts import totals
from flotte.billing.models import Invoice, InvoiceCounter
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, ValidationFailed

PREFIXES = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "A"}


def next_sequence(organisation: Organisation) -> int:
    """The next number of the organisation's one sequence (invoices and
    credit notes together). The counter row stays locked until the caller's
    transaction ends, so two issues never get the same number, and a
    rolled-back issue gives its number back: no gaps.

    The first issue of an organisation creates the row; when two race to,
    the loser's insert fails inside ``get_or_create``'s savepoint (on
    PostgreSQL after waiting for the winner to commit) and it then reads
    and locks the winner's row."""
    counter, _ = InvoiceCounter.objects.select_for_update().get_or_create(organisation=organisation)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def format_number(kind: str, year: int, sequence: int) -> str:
    """``F-2026-000123`` for an invoice, ``A-2026-000124`` for a credit
    note (avoir). The year is the issue year, for the reader; the sequence
    does not restart with it, so the number alone stays unique."""
    return f"{PREFIXES[Invoice.Kind(kind)]}-{year}-{sequence:06d}"


def seller_snapshot(organisation: Organisation) -> dict[str, Any]:
    """The seller as the invoice names it, with its terms at issue."""
    return {
        "name": organisation.legal_name or organisation.name,
        "trade_name": organisation.name,
        "address": organisation.address,
        "siren": organisation.siren,
        "vat_number": organisation.vat_number,
        "email": organisation.support_email,
        "country": "FR",
        "time_zone": organisation.time_zone,
        "late_payment_terms": param_value(params.LATE_PAYMENT_TERMS.key, organisation=organisation),
    }


def buyer_snapshot(user: User, **details: Any) -> dict[str, Any]:
    """Name and e-mail of the buyer, with what the invoice said of them when
    drafted (business use, cost centre, community)."""
    return {**details, "name": user.full_name or user.email, "email": user.email}


def issue(invoice: Invoice, *, actor: User | None) -> Invoice:
    """Issue an invoice the caller has locked (``select_for_update``) inside
    its transaction: check it, number it, date it, freeze it."""
    if invoice.state == Invoice.State.ISSUED:
        raise Conflict(f"{invoice.number} is already issued", code="already_issued")
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationFailed("an invoice needs at least one line", code="empty_invoice")
    sums = totals(lines)
    if sums.incl_vat < 0:
        raise ValidationFailed("an invoice cannot total less than zero", code="negative_total")
    organisation = invoice.organisation
    now = clock.now()
    today = clock.today_in(organisation.time_zone)
    days = (
        0
        if invoice.kind == Invoice.Kind.CREDIT_NOTE
        else param_value(params.PAYMENT_DAYS.key, organisation=organisation)
    )
    invoice.sequence = next_sequence(organisation)
    invoice.number = format_number(invoice.kind, today.year, invoice.sequence)
    invoice.state = Invoice.State.ISSUED
    invoice.issue_date = today
    invoice.due_date = today + dt.timedelta(days=days)
    invoice.issued_at = now
    invoice.issued_by = actor
    invoice.seller_snapshot = seller_snapshot(organisation)
    invoice.buyer_snapshot = buyer_snapshot(invoice.buyer, **invoice.buyer_snapshot)
    invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat = (
        sums.excl_vat,
        sums.vat,
        sums.incl_vat,
    )
    invoice.save()
    audit(
        "credit_note.issued" if invoice.is_credit_note else "invoice.issued",
        invoice,
        actor=actor,
        data={
            "number": invoice.number,
            "total_incl_vat": str(invoice.total_incl_vat),
            "credits": invoice.credits.number if invoice.credits else None,
        },
    )
    from flotte.billing.tasks import collect_invoice, refund_credit_note

    if invoice.is_credit_note:
        refund_credit_note.enqueue(invoice.pk)
    else:
        collect_invoice.enqueue(invoice.pk)
    from flotte.notify.hooks import invoice_issued

    invoice_issued(invoice)  # the buyer is told after commit
    return invoice
