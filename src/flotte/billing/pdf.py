"""Invoices and credit notes as PDF (fpdf2, no system package), in French,
with the mandatory mentions; and as Factur-X (the same PDF with its CII
XML embedded, see :mod:`flotte.billing.einvoice`).

The text is set in DejaVu Sans, embedded in the file as PDF/A (and so
Factur-X) requires; it covers the euro sign, typographic quotes and the
names of most European languages."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, cast

from fpdf import FPDF
from fpdf.enums import OutputIntentSubType, XPos, YPos
from fpdf.output import PDFICCProfile
from fpdf.util import builtin_srgb2014_bytes

from flotte.billing.document import Document, day, document_of, euros, number, unit_price
from flotte.billing.models import Invoice

WIDTHS = (78.0, 16.0, 24.0, 14.0, 24.0, 24.0)  # 180 mm: A4 less 15 mm margins
HEADERS = ("Désignation", "Qté", "PU HT", "TVA", "Montant HT", "Montant TTC")
# DejaVu Sans (its licence beside it), vendored by `make vendor`.
FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
UNIT_SUFFIX = {"HUR": " h", "KMT": " km"}
# fpdf2 compresses page streams; tests may turn it off to read them.
COMPRESS = True


def printable(text: str) -> str:
    """Text as the PDF writes it: composed (an "é" typed as "e" and an
    accent becomes one character), which the embedded font draws."""
    return unicodedata.normalize("NFC", text)


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_compression(COMPRESS)
        # Embedded (PDF/A forbids fonts left to the reader) and subset by
        # fpdf2 to the characters used.
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(0, 4, printable(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")

    def line_of_text(
        self, text: str, size: float = 9, style: str = "", height: float = 4.5
    ) -> None:
        self.set_font(FONT, style=style, size=size)
        self.multi_cell(0, height, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF document (bytes)."""
    doc = document_of(invoice)
    pdf = _Pdf(f"{doc.seller.get('name', '')} - {doc.title.lower()} {doc.number}")
    pdf.set_title(printable(f"{doc.title.capitalize()} {doc.number}"))
    pdf.set_author(printable(str(doc.seller.get("name", ""))))
    pdf.set_lang("fr-FR")
    pdf.set_creator("Flotte")
    # The colour space PDF/A asks for (Factur-X is PDF/A-3).
    pdf.add_output_intent(
        OutputIntentSubType.PDFA,
        output_condition_identifier="sRGB",
        output_condition="IEC 61966-2-1:1999",
        registry_name="http://www.color.org",
        dest_output_profile=PDFICCProfile(
            contents=builtin_srgb2014_bytes(), n=3, alternate="DeviceRGB"
        ),
        info="sRGB2014 (v2)",
    )
    if invoice.issued_at:
        pdf.set_creation_date(invoice.issued_at)
    pdf.add_page()
    _parties(pdf, doc)
    _references(pdf, doc)
    _lines(pdf, doc)
    _totals(pdf, doc)
    _mentions(pdf, doc)
    return bytes(pdf.output())


def _parties(pdf: _Pdf, doc: Document) -> None:
    seller, buyer = doc.seller, doc.buyer
    top = pdf.get_y()
    pdf.set_font(FONT, style="B", size=13)
    pdf.multi_cell(
        100, 6, printable(str(seller.get("name", ""))), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, size=9)
    identity = [*str(seller.get("address", "")).splitlines()]
    identity.append(f"SIREN : {seller.get('siren') or 'non renseigné'}")
    identity.append(f"N° TVA intracommunautaire : {seller.get('vat_number') or 'non renseigné'}")
    if seller.get("email"):
        identity.append(str(seller["email"]))
    pdf.multi_cell(100, 4.5, printable("\n".join(identity)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    pdf.set_xy(120, top)
    pdf.set_font(FONT, style="B", size=16)
    pdf.cell(75, 8, doc.title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    invoice = doc.invoice
    for text in (
        f"N° {doc.number}",
        f"Date d'émission : {day(invoice.issue_date)}",
        *([] if invoice.is_credit_note else [f"Date d'échéance : {day(invoice.due_date)}"]),
    ):
        pdf.set_x(120)
        pdf.cell(75, 4.5, printable(text), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(120, max(pdf.get_y(), top + 26))
    pdf.set_font(FONT, style="B", size=9)
    pdf.cell(75, 5, "Client", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    about = [str(buyer.get("name", "")), str(buyer.get("email", ""))]
    if buyer.get("business"):
        about.append("Client professionnel")
        if buyer.get("cost_centre"):
            about.append(f"Centre de coût : {buyer['cost_centre']}")
    if buyer.get("community"):
        about.append(f"Communauté : {buyer['community']}")
    pdf.set_x(120)
    pdf.multi_cell(75, 4.5, printable("\n".join(about)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), left_bottom) + 6)


def _references(pdf: _Pdf, doc: Document) -> None:
    invoice = doc.invoice
    if invoice.is_credit_note and invoice.credits is not None:
        original = invoice.credits
        pdf.line_of_text(
            f"Avoir sur la facture n° {original.number} du {day(original.issue_date)}",
            style="B",
        )
    if invoice.reason:
        pdf.line_of_text(f"Motif : {invoice.reason}")
    if invoice.description and invoice.description != invoice.reason and not invoice.is_credit_note:
        pdf.line_of_text(f"Objet : {invoice.description}")
    if invoice.service_start and invoice.service_end:
        start, end = doc.local(invoice.service_start), doc.local(invoice.service_end)
        pdf.line_of_text(
            f"Date de la prestation : du {start:%d/%m/%Y %H:%M} au {end:%d/%m/%Y %H:%M}"
        )
    elif invoice.issue_date:
        pdf.line_of_text(f"Date de la prestation : {day(invoice.issue_date)}")
    pdf.ln(3)


def _row(pdf: _Pdf, cells: tuple[str, ...], style: str = "", fill: bool = False) -> None:
    pdf.set_font(FONT, style=style, size=8.5)
    label = printable(cells[0])
    wrapped = cast(list[str], pdf.multi_cell(WIDTHS[0], 4.5, label, dry_run=True, output="LINES"))
    height = 4.5 * max(1, len(wrapped)) + 1.5
    if pdf.will_page_break(height):
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    if fill:
        pdf.rect(x, y, sum(WIDTHS), height, style="F")
    pdf.set_xy(x, y + 0.75)
    pdf.multi_cell(WIDTHS[0], 4.5, label)
    pdf.set_xy(x + WIDTHS[0], y)
    for width, text in zip(WIDTHS[1:], cells[1:], strict=True):
        pdf.cell(width, height, printable(text), align="R")
    pdf.set_xy(x, y + height)
    pdf.set_draw_color(200)
    pdf.line(x, pdf.get_y(), x + sum(WIDTHS), pdf.get_y())


def _lines(pdf: _Pdf, doc: Document) -> None:
    pdf.set_fill_color(235)
    _row(pdf, HEADERS, style="B", fill=True)
    for line in doc.lines:
        _row(
            pdf,
            (
                line.label,
                number(line.quantity) + UNIT_SUFFIX.get(line.unit, ""),
                unit_price(line.unit_price_excl_vat),
                f"{number(line.vat_rate)} %",
                euros(line.amount_excl_vat),
                euros(line.amount_incl_vat),
            ),
        )
    pdf.ln(3)


def _totals(pdf: _Pdf, doc: Document) -> None:
    invoice = doc.invoice
    pdf.set_font(FONT, size=8.5)
    for rate, t in doc.breakdown.items():
        pdf.cell(
            0,
            4.5,
            printable(
                f"TVA {number(rate)} % : base HT {euros(t.excl_vat)} EUR, TVA {euros(t.vat)} EUR"
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(2)
    due = "Montant de l'avoir TTC" if invoice.is_credit_note else "Total TTC à payer"
    rows: list[tuple[str, Any, str]] = [
        ("Total HT", invoice.total_excl_vat, ""),
        ("Total TVA", invoice.total_vat, ""),
        (due, invoice.total_incl_vat, "B"),
    ]
    for label, value, style in rows:
        pdf.set_x(105)
        pdf.set_font(FONT, style=style, size=10)
        pdf.cell(55, 6, printable(label), border="B")
        pdf.cell(35, 6, printable(f"{euros(value)} EUR"), border="B", align="R")
        pdf.ln(6)
    pdf.ln(5)


def _mentions(pdf: _Pdf, doc: Document) -> None:
    pdf.line_of_text("Conditions de paiement et mentions légales", style="B")
    for mention in doc.payment_mentions():
        pdf.line_of_text(mention, size=8)


def invoice_pdf(invoice: Invoice, facturx: bool = True) -> bytes:
    """The invoice or credit note as a PDF, by default a Factur-X one (its
    CII XML embedded). An invoice not yet issued has no number: it renders
    as a preview marked as such, without XML."""
    pdf = render_pdf(invoice)
    if facturx and invoice.is_issued:
        from flotte.billing.einvoice import facturx_pdf

        return facturx_pdf(invoice, pdf)
    return pdf
