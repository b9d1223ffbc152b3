from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from flotte.accounts.models import Organisation
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.einvoice import NS, check_xml, facturx_xml
from flotte.billing.models import Invoice
from flotte.billing.pdf import invoice_pdf
from flotte.billing.services import invoice_for_ended_booking
from flotte.core.errors import Conflict
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.conftest import Tenant


def find(xml: bytes, path: str) -> list[str]:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    return [node if isinstance(node, str) else node.text for node in found]


@pytest.fixture
def invoice(alice: Tenant) -> Invoice:
    Organisation.objects.filter(pk=alice.organisation.pk).update(
        legal_name="Commune d'Alice",
        address="1 place de la Mairie\n26000 Valence",
        vat_number="FR12212600001",
    )
    priced(alice)
    issued = invoice_for_ended_booking(ended(alice, km=30, late_min=41, cost_centre="VOIRIE"))
    assert issued is not None and issued.is_issued
    return issued


def test_the_cii_xml_of_an_invoice_passes_the_factur_x_en16931_schema(invoice: Invoice) -> None:
    xml = facturx_xml(invoice)
    check_xml(xml)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert find(xml, "//rsm:ExchangedDocument/ram:ID") == ["F-2026-000001"]
    assert find(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert find(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "212600001"
    ]
    assert find(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "FR12212600001"
    ]
    assert find(xml, "//ram:SellerTradeParty//ram:CityName") == ["Valence"]
    assert find(xml, "//ram:BuyerReference") == ["VOIRIE"]
    assert find(xml, "//ram:BilledQuantity/@unitCode") == ["HUR", "KMT", "C62"]
    total = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"
    assert find(xml, total) == [str(invoice.total_incl_vat)] == ["37.00"]
    assert find(xml, "//ram:DueDateDateTime/udt:DateTimeString") == ["20261231"]
    subjects = find(xml, "//ram:IncludedNote/ram:SubjectCode")
    assert {"PMD", "AAB", "PMT"} <= set(subjects)
    lines = sum(Decimal(v) for v in find(xml, "//ram:LineTotalAmount")[:-1])
    assert lines == invoice.total_excl_vat


def test_a_credit_note_is_type_381_and_references_its_invoice(
    invoice: Invoice, alice: Tenant
) -> None:
    note = credit_note_issue(
        actor=alice.manager,
        invoice=invoice,
        reason="Erreur de kilométrage",
        lines=[LineInput("Kilomètres", Decimal("0.20"), quantity=Decimal("10"), kind="km")],
    )
    xml = facturx_xml(note)
    check_xml(xml)
    assert find(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert find(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F-2026-000001"]
    assert find(xml, "//ram:DuePayableAmount") == ["2.00"]


def test_a_discount_line_is_a_negative_quantity_at_a_positive_price(alice: Tenant) -> None:
    invoice = exceptional(
        alice,
        lines=[
            LineInput("Franchise", Decimal("300.00"), kind="damage"),
            LineInput("Remise accordée", Decimal("-50.00")),
        ],
    )
    xml = facturx_xml(invoice)
    check_xml(xml)
    assert find(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["250.0000", "41.6667"]
    assert find(xml, "//ram:BilledQuantity") == ["1.0000", "-1.0000"]


def broken(invoice: Invoice, path: str, damage: Callable[[Any], None]) -> bytes:
    root = etree.fromstring(facturx_xml(invoice))
    damage(root.xpath(path, namespaces=NS)[0])
    return bytes(etree.tostring(root))


def test_a_broken_xml_fails_the_schema_check(invoice: Invoice) -> None:
    def comma(node: Any) -> None:
        node.text = "37,00"  # a French decimal comma is no xs:decimal

    def swap(node: Any) -> None:
        node.insert(0, node[1])  # TypeCode before ID

    def drop(node: Any) -> None:
        node.getparent().remove(node)  # the buyer is required

    for path, damage in [
        ("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", comma),
        ("//rsm:ExchangedDocument", swap),
        ("//ram:BuyerTradeParty", drop),
    ]:
        with pytest.raises(Exception, match="XML Schema"):
            check_xml(broken(invoice, path, damage))


def test_the_factur_x_pdf_embeds_the_xml(invoice: Invoice) -> None:
    pdf = invoice_pdf(invoice)
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == facturx_xml(invoice)
    reader = PdfReader(io.BytesIO(pdf))
    assert "factur-x.xml" in reader.attachments
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in metadata
    assert "F-2026-000001" in reader.pages[0].extract_text()


def test_only_an_issued_invoice_has_a_factur_x_version(alice: Tenant) -> None:
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    pending = invoice_for_ended_booking(ended(alice))
    assert pending is not None and not pending.is_issued
    with pytest.raises(Conflict):
        facturx_xml(pending)
