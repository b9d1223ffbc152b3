"""What an invoice document says, shared by the PDF and the Factur-X XML:
the snapshots for an issued invoice, the live data for a preview, and the
French mandatory mentions."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flotte.accounts.parameters import param_value
from flotte.billing import params
from flotte.billing.amounts import Totals, vat_breakdown
from flotte.billing.issuing import buyer_snapshot, seller_snapshot
from flotte.billing.models import Invoice, InvoiceLine

NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement due au créancier en cas de retard de "
    "paiement : 40 EUR (articles L441-10 et D441-5 du Code de commerce)."
)
OPERATION = "Catégorie de l'opération : prestation de services."


@dataclass(frozen=True)
class Document:
    invoice: Invoice
    seller: dict[str, Any]
    buyer: dict[str, Any]
    lines: list[InvoiceLine]
    breakdown: dict[Decimal, Totals]
    late_payment_terms: str
    time_zone: str

    @property
    def title(self) -> str:
        return "AVOIR" if self.invoice.is_credit_note else "FACTURE"

    @property
    def number(self) -> str:
        return self.invoice.number or "PROJET (non émis)"

    @property
    def business(self) -> bool:
        return bool(self.buyer.get("business"))

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    def payment_mentions(self) -> list[str]:
        """Due date, discount and late-payment terms (art. L441-9 and L441-10
        of the Commercial Code), the fixed indemnity for business buyers."""
        invoice = self.invoice
        if invoice.is_credit_note:
            return [OPERATION]
        due = (
            f"Date d'échéance : {day(invoice.due_date)}."
            if invoice.due_date
            else "Date d'échéance : fixée à l'émission."
        )
        mentions = [due, NO_DISCOUNT, self.late_payment_terms]
        if self.business:
            mentions.append(RECOVERY_INDEMNITY)
        mentions.append(OPERATION)
        return [m for m in mentions if m]


def document_of(invoice: Invoice) -> Document:
    lines = list(invoice.lines.order_by("position"))
    if invoice.is_issued:
        seller, buyer = invoice.seller_snapshot, invoice.buyer_snapshot
    else:
        seller = seller_snapshot(invoice.organisation)
        buyer = buyer_snapshot(invoice.buyer, **invoice.buyer_snapshot)
    terms = seller.get("late_payment_terms")
    if terms is None:
        terms = param_value(params.LATE_PAYMENT_TERMS.key, organisation=invoice.organisation)
    return Document(
        invoice,
        seller,
        buyer,
        lines,
        vat_breakdown(lines),
        terms,
        seller.get("time_zone") or invoice.organisation.time_zone,
    )


def day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def euros(value: Decimal, places: int = 2) -> str:
    """1 234,56 (French grouping and decimal comma)."""
    return f"{value:,.{places}f}".replace(",", "\u00a0").replace(".", ",")


def unit_price(value: Decimal) -> str:
    """Two decimals, or four when the cents do not tell the whole price."""
    cents = value.quantize(Decimal("0.01"))
    return euros(cents) if cents == value else euros(value, 4)


def number(value: Decimal) -> str:
    """A quantity or rate without useless zeros: 2,75 ; 20 ; 5,5."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def address_parts(address: str) -> dict[str, str]:
    """Street lines, postcode and city of a French address typed as text
    ("1 place de la Mairie\\n26000 Valence")."""
    rows = [row.strip() for row in address.splitlines() if row.strip()]
    parts: dict[str, str] = {}
    if rows:
        match = re.fullmatch(r"(\d{5})\s+(.+)", rows[-1])
        if match:
            parts["postcode"], parts["city"] = match.group(1), match.group(2)
            rows = rows[:-1]
    for key, row in zip(("line_one", "line_two", "line_three"), rows, strict=False):
        parts[key] = row
    return parts
