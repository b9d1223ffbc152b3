"""Factur-X: the invoice as UN/CEFACT Cross Industry Invoice XML, profile
EN 16931 (the European norm's full core, what French e-invoicing asks of
business invoices), embedded in the PDF by the ``factur-x`` package.

Elements follow the order of the Factur-X 1.0 EN 16931 XSD (shipped with
that package); the business terms (BT-n) of the norm are noted where they
are not obvious."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import facturx
from lxml import etree

from flotte.billing.document import (
    NO_DISCOUNT,
    RECOVERY_INDEMNITY,
    Document,
    address_parts,
    document_of,
)
from flotte.billing.models import Invoice, InvoiceLine
from flotte.core.errors import Conflict

LEVEL = "en16931"
GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TYPE_CODES = {Invoice.Kind.INVOICE: "380", Invoice.Kind.CREDIT_NOTE: "381"}
EXEMPTION = "Exonération de TVA"


def _el(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent: Any, tag: str, value: dt.date, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        value.strftime("%Y%m%d"),
        format="102",
    )


def _amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else "E"  # standard rate, or exempt


def facturx_xml(invoice: Invoice) -> bytes:
    """The CII XML of an issued invoice or credit note."""
    if not invoice.is_issued:
        raise Conflict("only an issued invoice has a Factur-X version", code="invoice_not_issued")
    doc = document_of(invoice)
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", invoice.number)
    _el(header, "ram:TypeCode", TYPE_CODES[Invoice.Kind(invoice.kind)])
    assert invoice.issue_date is not None
    _date(header, "ram:IssueDateTime", invoice.issue_date)
    for subject, text in _notes(doc):
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", subject)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line)
    _agreement(transaction, doc)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.service_end:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", doc.local(invoice.service_end).date())  # BT-72
    _settlement(transaction, doc)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _notes(doc: Document) -> list[tuple[str, str]]:
    """Free texts with their subject codes (UNTDID 4451): the French
    payment mentions go in PMD, PMT and AAB notes."""
    notes = [("AAI", doc.invoice.description or doc.invoice.reason)]
    if doc.invoice.is_credit_note and doc.invoice.reason:
        notes.append(("ACD", f"Motif : {doc.invoice.reason}"))  # reason
    if not doc.invoice.is_credit_note:
        notes.append(("PMD", doc.late_payment_terms))
        notes.append(("AAB", NO_DISCOUNT))
        if doc.business:
            notes.append(("PMT", RECOVERY_INDEMNITY))
    return [(subject, text) for subject, text in notes if text]


def _line(transaction: Any, line: InvoiceLine) -> None:
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.label)
    # The net price is never negative (BR-27): a discount line is a
    # negative quantity at a positive price.
    price, quantity = line.unit_price_excl_vat, line.quantity
    if price < 0:
        price, quantity = -price, -quantity
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", str(price))
    delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
    _el(delivery, "ram:BilledQuantity", str(quantity), unitCode=line.unit)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", _category(line.vat_rate))
    _el(tax, "ram:RateApplicablePercent", str(line.vat_rate))
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line.amount_excl_vat))  # BT-131


def _party(parent: Any, tag: str, party: dict[str, Any], *, seller: bool) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", str(party.get("name") or "-"))
    if seller and party.get("siren"):  # BT-30, scheme 0002: SIREN
        organisation = _el(node, "ram:SpecifiedLegalOrganization")
        _el(organisation, "ram:ID", str(party["siren"]), schemeID="0002")
        if party.get("trade_name") and party["trade_name"] != party.get("name"):
            _el(organisation, "ram:TradingBusinessName", str(party["trade_name"]))
    address = _el(node, "ram:PostalTradeAddress")
    parts = address_parts(str(party.get("address") or ""))
    for key, element in (
        ("postcode", "ram:PostcodeCode"),
        ("line_one", "ram:LineOne"),
        ("line_two", "ram:LineTwo"),
        ("line_three", "ram:LineThree"),
        ("city", "ram:CityName"),
    ):
        if parts.get(key):
            _el(address, element, parts[key])
    _el(address, "ram:CountryID", str(party.get("country") or "FR"))
    if party.get("email"):  # BT-34 / BT-49, scheme EM: e-mail
        _el(
            _el(node, "ram:URIUniversalCommunication"),
            "ram:URIID",
            str(party["email"]),
            schemeID="EM",
        )
    if seller and party.get("vat_number"):  # BT-31
        _el(
            _el(node, "ram:SpecifiedTaxRegistration"),
            "ram:ID",
            str(party["vat_number"]),
            schemeID="VA",
        )


def _agreement(transaction: Any, doc: Document) -> None:
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer.get("cost_centre"):
        _el(agreement, "ram:BuyerReference", str(doc.buyer["cost_centre"]))  # BT-10
    _party(agreement, "ram:SellerTradeParty", doc.seller, seller=True)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, seller=False)


def _settlement(transaction: Any, doc: Document) -> None:
    invoice = doc.invoice
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    for rate, t in doc.breakdown.items():  # BG-23
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(t.vat))
        _el(tax, "ram:TypeCode", "VAT")
        if _category(rate) == "E":
            _el(tax, "ram:ExemptionReason", EXEMPTION)
        _el(tax, "ram:BasisAmount", _amount(t.excl_vat))
        _el(tax, "ram:CategoryCode", _category(rate))
        _el(tax, "ram:RateApplicablePercent", str(rate))
    if invoice.service_start and invoice.service_end:  # BG-14
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", doc.local(invoice.service_start).date())
        _date(period, "ram:EndDateTime", doc.local(invoice.service_end).date())
    if not invoice.is_credit_note and invoice.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        _el(terms, "ram:Description", doc.late_payment_terms or NO_DISCOUNT)
        _date(terms, "ram:DueDateDateTime", invoice.due_date)
    sums = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(sums, "ram:LineTotalAmount", _amount(invoice.total_excl_vat))
    _el(sums, "ram:TaxBasisTotalAmount", _amount(invoice.total_excl_vat))
    _el(sums, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID=invoice.currency)
    _el(sums, "ram:GrandTotalAmount", _amount(invoice.total_incl_vat))
    _el(sums, "ram:DuePayableAmount", _amount(invoice.total_incl_vat))
    if invoice.is_credit_note and invoice.credits is not None:  # BG-3
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", invoice.credits.number)
        if invoice.credits.issue_date:
            _date(
                reference, "ram:FormattedIssueDateTime", invoice.credits.issue_date, qualified=True
            )


def check_xml(xml: bytes) -> None:
    """Raise when the XML breaks the Factur-X EN 16931 schema."""
    facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)


def facturx_pdf(invoice: Invoice, pdf: bytes) -> bytes:
    """The PDF with its XML embedded (``factur-x.xml``), with the Factur-X
    XMP metadata; the package checks the XML against the schema first."""
    xml = facturx_xml(invoice)
    doc_title = f"{'Avoir' if invoice.is_credit_note else 'Facture'} {invoice.number}"
    seller = str(invoice.seller_snapshot.get("name", ""))
    return bytes(
        facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            pdf_metadata={
                "author": seller,
                "keywords": "Factur-X, facture",
                "title": f"{seller} : {doc_title}",
                "subject": doc_title,
            },
            lang="fr-FR",
        )
    )
