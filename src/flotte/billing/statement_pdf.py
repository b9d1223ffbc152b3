"""Payout and chargeback statements as PDF, in French, with fpdf2 like the
invoices (:mod:`flotte.billing.pdf`), in the same embedded font."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from decimal import Decimal

from fpdf.enums import XPos, YPos

from flotte.billing.chargeback import ChargebackStatement
from flotte.billing.document import day, euros
from flotte.billing.models import PayoutStatement
from flotte.billing.payouts import statement_invoices
from flotte.billing.pdf import FONT, _Pdf, printable

TRANSFER_FR = {
    "none": "non viré",
    "not_needed": "rien à virer",
    "pending": "virement demandé, réponse attendue",
    "succeeded": "viré",
    "failed": "virement en échec, à relancer",
}


def _heading(pdf: _Pdf, organisation: str, title: str, subtitle: str) -> None:
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=13)
    pdf.cell(0, 6, printable(organisation), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, style="B", size=16)
    pdf.cell(0, 9, printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.line_of_text(subtitle, size=10)
    pdf.ln(3)


def _fit(pdf: _Pdf, text: str, width: float) -> str:
    """The text cut to its cell, with "..." where it was cut."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."


def _table(
    pdf: _Pdf,
    widths: Sequence[float],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric_from: int,
    total: Sequence[str] | None = None,
) -> None:
    """A table whose columns from ``numeric_from`` on are right-aligned;
    the header is repeated on each new page."""

    def row(cells: Sequence[str], style: str = "", fill: bool = False) -> None:
        if pdf.will_page_break(6):
            pdf.add_page()
            row(header, "B", True)
        pdf.set_font(FONT, style=style, size=8)
        for i, (width, text) in enumerate(zip(widths, cells, strict=True)):
            align = "R" if i >= numeric_from else "L"
            pdf.cell(
                width, 6, _fit(pdf, printable(text), width), border="B", align=align, fill=fill
            )
        pdf.ln(6)

    pdf.set_fill_color(235)
    pdf.set_draw_color(200)
    row(header, "B", True)
    for cells in rows:
        row(cells)
    if total is not None:
        row(total, "B")
    pdf.ln(4)


def _money(value: Decimal) -> str:
    return euros(value)


def payout_statement_pdf(statement: PayoutStatement) -> bytes:
    organisation = statement.organisation
    period = f"du {day(statement.period_start)} au {day(statement.period_end)}"
    pdf = _Pdf(f"{organisation.name} - relevé de reversement {period}")
    pdf.set_title(printable(f"Relevé de reversement {period}"))
    pdf.set_author(printable(organisation.name))
    pdf.set_lang("fr-FR")
    pdf.set_creator("Flotte")
    pdf.set_creation_date(statement.created_at)
    made = statement.created_at.astimezone(zoneinfo.ZoneInfo(statement.time_zone))
    _heading(
        pdf,
        organisation.legal_name or organisation.name,
        "RELEVÉ DE REVERSEMENT",
        f"Période {period} (fuseau {statement.time_zone}), établi le "
        f"{made:%d/%m/%Y à %H:%M}. Montants en {statement.currency}.",
    )
    _table(
        pdf,
        (120, 40),
        ("", "Montant"),
        [
            ("Encaissements bruts (paiements par carte réussis)", _money(statement.gross)),
            ("Remboursements", f"- {_money(statement.refunds)}"),
            ("Frais de paiement du prestataire", f"- {_money(statement.fees)}"),
        ],
        numeric_from=1,
        total=("Net dû à l'organisation", _money(statement.net)),
    )
    transfer = TRANSFER_FR.get(statement.transfer_state, statement.transfer_state)
    if statement.transfer_ref:
        transfer += f" ({statement.transfer_ref} vers {statement.transfer_destination})"
    pdf.line_of_text(f"Virement Stripe Connect : {transfer}.")
    late = statement.lines.filter(late=True).count()
    if late:
        pdf.line_of_text(
            f"Dont {late} mouvement(s) d'une période antérieure (enregistrés après son relevé, "
            "ou frais réels connus depuis) : un relevé établi ne change plus."
        )
    pdf.ln(3)
    pdf.line_of_text("Factures concernées", style="B", size=10)
    entries = statement_invoices(statement)
    _table(
        pdf,
        (28, 20, 40, 24, 22, 22, 24),
        ("Facture", "Date", "Client", "Encaissé", "Remboursé", "Frais", "Net"),
        [
            (
                e.number,
                day(e.invoice.issue_date) if e.invoice else "",
                e.buyer,
                _money(e.collected),
                _money(e.refunded),
                _money(e.fees),
                _money(e.net),
            )
            for e in entries
        ],
        numeric_from=3,
        total=(
            "Total",
            "",
            "",
            _money(statement.gross),
            _money(statement.refunds),
            _money(statement.fees),
            _money(statement.net),
        ),
    )
    return bytes(pdf.output())


def chargeback_pdf(statement: ChargebackStatement) -> bytes:
    organisation = statement.organisation
    pdf = _Pdf(f"{organisation.name} - refacturation interne {statement.title}")
    pdf.set_title(printable(f"Refacturation interne {statement.title}"))
    pdf.set_author(printable(organisation.name))
    pdf.set_lang("fr-FR")
    pdf.set_creator("Flotte")
    subtitle = (
        f"Usage professionnel des véhicules partagés, {statement.title} : factures "
        f"professionnelles émises du {day(statement.month)} au {day(statement.last_day)}, "
        "moins leurs avoirs émis dans le mois, par service ou centre de coût. Montants en EUR."
    )
    if statement.provisional:
        subtitle += " PROVISOIRE : le mois n'est pas terminé."
    _heading(pdf, organisation.legal_name or organisation.name, "REFACTURATION INTERNE", subtitle)
    widths = (20, 26, 16, 46, 24, 24, 24)
    header = ("Date", "Numéro", "Type", "Agent", "Total HT", "TVA", "Total TTC")
    for centre in statement.centres:
        pdf.line_of_text(centre.name, style="B", size=10)
        t = centre.totals
        _table(
            pdf,
            widths,
            header,
            [
                (
                    day(d.invoice.issue_date),
                    d.invoice.number or "",
                    d.kind,
                    d.buyer,
                    _money(d.excl_vat),
                    _money(d.vat),
                    _money(d.incl_vat),
                )
                for d in centre.documents
            ],
            numeric_from=4,
            total=("Total", "", "", "", _money(t.excl_vat), _money(t.vat), _money(t.incl_vat)),
        )
    pdf.line_of_text("Récapitulatif par centre de coût", style="B", size=10)
    t = statement.totals
    _table(
        pdf,
        (108, 24, 24, 24),
        ("Centre de coût", "Total HT", "TVA", "Total TTC"),
        [
            (c.name, _money(c.totals.excl_vat), _money(c.totals.vat), _money(c.totals.incl_vat))
            for c in statement.centres
        ],
        numeric_from=1,
        total=("Total du mois", _money(t.excl_vat), _money(t.vat), _money(t.incl_vat)),
    )
    return bytes(pdf.output())
