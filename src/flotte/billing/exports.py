"""Files for the treasurer and the accountant: the accounting export of any
period (invoices, credit notes, payments and refunds, one row each) and the
invoice list of a payout statement. French CSV: see
:mod:`flotte.billing.csvfile`."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from flotte.accounts.models import Organisation, User
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing.amounts import Totals, vat_breakdown
from flotte.billing.csvfile import Cell, csv_bytes
from flotte.billing.document import number as rate_text
from flotte.billing.models import Invoice, InvoiceLine, Payment, PayoutStatement, Refund
from flotte.billing.payments.selectors import Balance
from flotte.billing.payouts import statement_invoices
from flotte.core.errors import ValidationFailed

ZERO = Decimal("0.00")
LONGEST_EXPORT = dt.timedelta(days=366 * 5)
STATUS_FR = {
    "unpaid": "non payée",
    "partially_paid": "partiellement payée",
    "paid": "payée",
    "credited": "annulée par avoir",
}
PAYMENT_KIND_FR = {"charge": "carte", "preauth": "carte (pré-autorisation débitée)"}


@dataclass(frozen=True)
class ExportRow:
    day: dt.date
    order: int  # invoices, credit notes, payments, refunds on the same day
    kind: str
    number: str
    related: str
    buyer: str
    business: bool | None
    cost_centre: str
    totals: Totals | None
    by_rate: dict[Decimal, Totals]
    status: str
    amount: Decimal | None
    fee: Decimal | None
    fee_is_estimate: bool | None
    reference: str


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed("the end comes before the start", fields={"end": "before start"})
    if end - start > LONGEST_EXPORT:
        raise ValidationFailed("export five years at most at once", fields={"end": "too far"})


def accounting_rows(
    *, actor: User, organisation: Organisation, start: dt.date, end: dt.date
) -> list[ExportRow]:
    """The organisation's issued invoices and credit notes by issue date,
    and its payments and refunds by the day they succeeded (in its time
    zone), from ``start`` to ``end`` included. Credit notes and refunds are
    negative; an invoice's status is its paid state today."""
    require_manager_of_organisation(actor, organisation)
    _check_period(start, end)
    tz = zoneinfo.ZoneInfo(organisation.time_zone)
    since = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    documents = list(
        Invoice.objects.filter(
            organisation=organisation,
            state=Invoice.State.ISSUED,
            issue_date__gte=start,
            issue_date__lte=end,
        )
        .select_related("credits")
        .order_by("sequence")
    )
    lines: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice__in=documents):
        lines[line.invoice_id].append(line)
    statuses = _statuses([d for d in documents if not d.is_credit_note])
    rows = [_document_row(d, lines[d.pk], statuses.get(d.pk, "")) for d in documents]
    payments = Payment.objects.filter(
        organisation=organisation,
        state=Payment.State.SUCCEEDED,
        succeeded_at__gte=since,
        succeeded_at__lt=until,
    ).select_related("invoice")
    rows += [_payment_row(p, tz) for p in payments]
    refunds = Refund.objects.filter(
        organisation=organisation,
        state=Refund.State.SUCCEEDED,
        succeeded_at__gte=since,
        succeeded_at__lt=until,
    ).select_related("payment__invoice", "credit_note")
    rows += [_refund_row(r, tz) for r in refunds]
    return sorted(rows, key=lambda r: (r.day, r.order, r.number, r.reference))


def _statuses(invoices: list[Invoice]) -> dict[int, str]:
    """Every invoice's paid state in three queries."""
    ids = [i.pk for i in invoices]

    def sums(queryset: object, key: str, field: str) -> dict[int, Decimal]:
        grouped = queryset.values(key).annotate(total=Sum(field))  # type: ignore[attr-defined]
        return {row[key]: row["total"] or ZERO for row in grouped}

    credited = sums(
        Invoice.objects.filter(credits_id__in=ids, state=Invoice.State.ISSUED),
        "credits_id",
        "total_incl_vat",
    )
    paid = sums(
        Payment.objects.filter(invoice_id__in=ids, state=Payment.State.SUCCEEDED),
        "invoice_id",
        "amount_received",
    )
    refunded = sums(
        Refund.objects.filter(payment__invoice_id__in=ids, state=Refund.State.SUCCEEDED),
        "payment__invoice_id",
        "amount",
    )
    return {
        i.pk: Balance(
            i.total_incl_vat,
            credited.get(i.pk, ZERO),
            paid.get(i.pk, ZERO),
            refunded.get(i.pk, ZERO),
        ).status
        for i in invoices
    }


def _negative(t: Totals) -> Totals:
    return Totals(-t.excl_vat, -t.vat, -t.incl_vat)


def _document_row(invoice: Invoice, lines: list[InvoiceLine], status: str) -> ExportRow:
    assert invoice.issue_date is not None
    credit = invoice.is_credit_note
    totals = Totals(invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat)
    by_rate = vat_breakdown(lines)
    if credit:
        totals = _negative(totals)
        by_rate = {rate: _negative(t) for rate, t in by_rate.items()}
    buyer = invoice.buyer_snapshot
    return ExportRow(
        day=invoice.issue_date,
        order=1 if credit else 0,
        kind="Avoir" if credit else "Facture",
        number=invoice.number or "",
        related=(invoice.credits.number or "") if invoice.credits else "",
        buyer=str(buyer.get("name", "")),
        business=bool(buyer.get("business")),
        cost_centre=str(buyer.get("cost_centre") or ""),
        totals=totals,
        by_rate=by_rate,
        status=STATUS_FR.get(status, status),
        amount=None,
        fee=None,
        fee_is_estimate=None,
        reference="",
    )


def _payment_row(payment: Payment, tz: zoneinfo.ZoneInfo) -> ExportRow:
    assert payment.succeeded_at is not None
    invoice = payment.invoice
    return ExportRow(
        day=payment.succeeded_at.astimezone(tz).date(),
        order=2,
        kind="Paiement",
        number=f"P{payment.pk}",
        related=(invoice.number or "") if invoice else "",
        buyer=str(invoice.buyer_snapshot.get("name", "")) if invoice else "",
        business=None,
        cost_centre="",
        totals=None,
        by_rate={},
        status=PAYMENT_KIND_FR.get(payment.kind, payment.kind),
        amount=payment.amount_received,
        fee=payment.fee,
        fee_is_estimate=payment.fee_is_estimate,
        reference=payment.provider_ref or "",
    )


def _refund_row(refund: Refund, tz: zoneinfo.ZoneInfo) -> ExportRow:
    assert refund.succeeded_at is not None
    invoice = refund.payment.invoice
    related = [
        n
        for n in (invoice and invoice.number, refund.credit_note and refund.credit_note.number)
        if n
    ]
    return ExportRow(
        day=refund.succeeded_at.astimezone(tz).date(),
        order=3,
        kind="Remboursement",
        number=f"R{refund.pk}",
        related=" ".join(related),
        buyer=str(invoice.buyer_snapshot.get("name", "")) if invoice else "",
        business=None,
        cost_centre="",
        totals=None,
        by_rate={},
        status="carte",
        amount=-refund.amount,
        fee=None,
        fee_is_estimate=None,
        reference=refund.provider_ref or "",
    )


def accounting_csv(rows: list[ExportRow]) -> bytes:
    """One row per document or movement; a pair of columns (base excl. VAT,
    VAT) for each VAT rate met in the period."""
    rates = sorted({rate for row in rows for rate in row.by_rate})
    header = [
        "Date",
        "Type",
        "Numéro",
        "Pièce liée",
        "Client",
        "Client professionnel",
        "Centre de coût",
        "Total HT",
        "TVA",
        "Total TTC",
    ]
    for rate in rates:
        header += [f"Base HT {rate_text(rate)} %", f"TVA {rate_text(rate)} %"]
    header += [
        "Statut ou moyen",
        "Montant encaissé ou remboursé",
        "Frais de paiement",
        "Frais estimés",
        "Référence prestataire",
    ]
    out: list[list[Cell]] = []
    for row in rows:
        t = row.totals
        cells: list[Cell] = [
            row.day,
            row.kind,
            row.number,
            row.related,
            row.buyer,
            row.business,
            row.cost_centre,
            t.excl_vat if t else None,
            t.vat if t else None,
            t.incl_vat if t else None,
        ]
        for rate in rates:
            part = row.by_rate.get(rate)
            cells += [part.excl_vat if part else None, part.vat if part else None]
        cells += [row.status, row.amount, row.fee, row.fee_is_estimate, row.reference]
        out.append(cells)
    return csv_bytes(header, out)


def accounting_export(
    *, actor: User, organisation: Organisation, start: dt.date, end: dt.date
) -> bytes:
    return accounting_csv(
        accounting_rows(actor=actor, organisation=organisation, start=start, end=end)
    )


PAYOUT_HEADER = (
    "Facture",
    "Date de facture",
    "Client",
    "Avoirs",
    "Total TTC de la facture",
    "Encaissé",
    "Remboursé",
    "Frais de paiement",
    "Net",
)


def payout_statement_csv(statement: PayoutStatement) -> bytes:
    """The statement's invoice list: what it counts of each invoice. The
    columns add up to the statement's gross, refunds, fees and net."""
    rows: list[list[Cell]] = []
    for entry in statement_invoices(statement):
        invoice = entry.invoice
        rows.append(
            [
                entry.number,
                invoice.issue_date if invoice else None,
                entry.buyer,
                " ".join(entry.credit_notes),
                invoice.total_incl_vat if invoice else None,
                entry.collected,
                entry.refunded,
                entry.fees,
                entry.net,
            ]
        )
    return csv_bytes(PAYOUT_HEADER, rows)
