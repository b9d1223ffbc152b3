"""Internal chargeback: an organisation whose agents use its cars for work
(parameter ``billing_internal_chargeback``) does not charge their business
invoices to a card; it charges them back each month to its departments or
cost centres. The monthly statement groups the business invoices issued in
the month, less their credit notes issued in the month, by cost centre.

Computed from issued invoices, which never change: the statement of a
month that has ended is always the same, so nothing is stored."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import param_value
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing import params
from flotte.billing.amounts import Totals
from flotte.billing.csvfile import csv_bytes
from flotte.billing.models import Invoice
from flotte.core import clock
from flotte.core.errors import Conflict, ValidationFailed

ZERO = Decimal("0.00")
NO_COST_CENTRE = "(sans centre de coût)"
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class ChargebackDocument:
    """An invoice (amounts positive) or a credit note (amounts negative)."""

    invoice: Invoice
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal

    @property
    def kind(self) -> str:
        return "Avoir" if self.invoice.is_credit_note else "Facture"

    @property
    def credits(self) -> str:
        original = self.invoice.credits
        return (original.number or "") if original else ""

    @property
    def buyer(self) -> str:
        return str(self.invoice.buyer_snapshot.get("name", ""))


@dataclass(frozen=True)
class CostCentre:
    name: str
    documents: list[ChargebackDocument]
    totals: Totals


@dataclass(frozen=True)
class ChargebackStatement:
    organisation: Organisation
    month: dt.date  # its first day
    centres: list[CostCentre]
    totals: Totals
    provisional: bool  # the month has not ended yet

    @property
    def last_day(self) -> dt.date:
        return next_month(self.month) - dt.timedelta(days=1)

    @property
    def title(self) -> str:
        return f"{MONTHS_FR[self.month.month - 1]} {self.month.year}"


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def parse_month(text: str) -> dt.date:
    """``2026-11`` to the 1st of November 2026."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise ValidationFailed(
            f"{text!r} is not a month written as YYYY-MM", fields={"month": "YYYY-MM"}
        ) from None


def _sum(documents: list[ChargebackDocument]) -> Totals:
    return Totals(
        sum((d.excl_vat for d in documents), ZERO),
        sum((d.vat for d in documents), ZERO),
        sum((d.incl_vat for d in documents), ZERO),
    )


def _alphabetical(name: str) -> str:
    """Écoles before Voirie: letters without their accents, any case."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c))


def _cost_centre(invoice: Invoice) -> str:
    snapshot = invoice.credits.buyer_snapshot if invoice.credits else invoice.buyer_snapshot
    return str(snapshot.get("cost_centre") or "").strip() or NO_COST_CENTRE


def chargeback_statement(
    *, actor: User, organisation: Organisation, month: dt.date
) -> ChargebackStatement:
    """The month's business invoices and credit notes (by issue date, in
    the organisation's time zone), by cost centre, with totals excl. VAT,
    VAT and incl. VAT. Only for an organisation that charges internal use
    back; a month still running gives a provisional statement."""
    require_manager_of_organisation(actor, organisation)
    if not param_value(params.INTERNAL_CHARGEBACK.key, organisation=organisation):
        raise Conflict(
            "this organisation does not charge business use back "
            "(parameter billing_internal_chargeback)",
            code="chargeback_off",
        )
    month = month.replace(day=1)
    today = clock.today_in(organisation.time_zone)
    if month > today:
        raise ValidationFailed("this month has not begun", fields={"month": "in the future"})
    issued = (
        Invoice.objects.filter(
            organisation=organisation,
            state=Invoice.State.ISSUED,
            issue_date__gte=month,
            issue_date__lt=next_month(month),
        )
        .filter(
            Q(kind=Invoice.Kind.INVOICE, buyer_snapshot__business=True)
            | Q(kind=Invoice.Kind.CREDIT_NOTE, credits__buyer_snapshot__business=True)
        )
        .select_related("credits")
        .order_by("sequence")
    )
    by_centre: dict[str, list[ChargebackDocument]] = {}
    for invoice in issued:
        sign = -1 if invoice.is_credit_note else 1
        by_centre.setdefault(_cost_centre(invoice), []).append(
            ChargebackDocument(
                invoice,
                sign * invoice.total_excl_vat,
                sign * invoice.total_vat,
                sign * invoice.total_incl_vat,
            )
        )
    names = sorted(by_centre, key=lambda name: (name == NO_COST_CENTRE, _alphabetical(name)))
    centres = [CostCentre(name, by_centre[name], _sum(by_centre[name])) for name in names]
    everything = [d for centre in centres for d in centre.documents]
    return ChargebackStatement(
        organisation, month, centres, _sum(everything), provisional=next_month(month) > today
    )


HEADER = (
    "Centre de coût",
    "Date",
    "Type",
    "Numéro",
    "Facture d'origine",
    "Agent",
    "Total HT",
    "TVA",
    "Total TTC",
)


def chargeback_csv(statement: ChargebackStatement) -> bytes:
    """One row per document, a total row after each cost centre, and the
    total of the month last (a statement to read, not to import: the
    accounting export is the one without total rows)."""
    rows: list[tuple[str | Decimal | dt.date | None, ...]] = []
    for centre in statement.centres:
        for d in centre.documents:
            rows.append(
                (
                    centre.name,
                    d.invoice.issue_date,
                    d.kind,
                    d.invoice.number,
                    d.credits,
                    d.buyer,
                    d.excl_vat,
                    d.vat,
                    d.incl_vat,
                )
            )
        t = centre.totals
        rows.append((centre.name, None, "Total", None, None, None, t.excl_vat, t.vat, t.incl_vat))
    t = statement.totals
    rows.append(("Total du mois", None, "Total", None, None, None, t.excl_vat, t.vat, t.incl_vat))
    return csv_bytes(HEADER, rows)
