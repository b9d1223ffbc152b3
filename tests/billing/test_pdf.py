from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from flotte.accounts.models import Organisation, User, UserGroup
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Invoice
from flotte.billing.pdf import invoice_pdf, printable
from flotte.billing.services import invoice_draft_for_booking, invoice_for_ended_booking
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.conftest import Tenant


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").split())


@pytest.fixture
def seller(alice: Tenant) -> Organisation:
    Organisation.objects.filter(pk=alice.organisation.pk).update(
        legal_name="Commune d'Alice-sur-Drôme",
        address="1 place de la Mairie\n26000 Valence",
        vat_number="FR12212600001",
    )
    alice.organisation.refresh_from_db()
    return alice.organisation


def booked_invoice(tenant: Tenant, **extra: Any) -> Invoice:
    priced(tenant)
    invoice = invoice_for_ended_booking(ended(tenant, km=30, late_min=41, **extra))
    assert invoice is not None and invoice.is_issued
    return invoice


def test_the_pdf_of_an_invoice_has_the_french_mandatory_mentions(
    alice: Tenant, seller: Organisation
) -> None:
    invoice = booked_invoice(alice, cost_centre="VOIRIE")
    text = text_of(invoice_pdf(invoice, facturx=False))
    for mention in [
        "FACTURE",
        "Commune d'Alice-sur-Drôme",
        "1 place de la Mairie",
        "26000 Valence",
        "SIREN : 212600001",
        "N° TVA intracommunautaire : FR12212600001",
        "N° F-2026-000001",
        "Date d'émission : 01/12/2026",
        "Date d'échéance : 31/12/2026",
        "Date de la prestation : du 01/12/2026 11:00 au 01/12/2026 13:41",
        alice.member.email,
        "Client professionnel",
        "Centre de coût : VOIRIE",
        "Désignation Qté PU HT TVA Montant HT Montant TTC",
        "Temps de location 2,75 h 3,3333 20 % 9,17 11,00",
        "Kilomètres facturés (30 km parcourus) 30 km 0,1667 20 % 5,00 6,00",
        "Pénalité de retard de restitution (41 min) 1 16,6667 20 % 16,67 20,00",
        "TVA 20 % : base HT 30,84 EUR, TVA 6,16 EUR",
        "Total HT 30,84 EUR",
        "Total TVA 6,16 EUR",
        "Total TTC à payer 37,00 EUR",
        "Pas d'escompte pour paiement anticipé.",
        "pénalités sont exigibles",
        "trois fois le taux d'intérêt légal",
        "Indemnité forfaitaire pour frais de recouvrement",
        "40 EUR (articles L441-10 et D441-5 du Code de commerce)",
        "prestation de services",
    ]:
        assert mention in text, mention
    assert alice.member.full_name in text


def test_a_private_buyer_is_not_told_of_the_fixed_indemnity(alice: Tenant) -> None:
    UserGroup.objects.filter(memberships__user=alice.member).update(private_use_allowed=True)
    invoice = booked_invoice(alice, use="private")
    text = text_of(invoice_pdf(invoice, facturx=False))
    assert "Date d'échéance" in text and "pénalités sont exigibles" in text
    assert "Indemnité forfaitaire" not in text and "Client professionnel" not in text


def test_the_late_payment_terms_are_those_in_force_at_issue(alice: Tenant) -> None:
    set_param(alice, "billing_late_payment_terms", "Pénalités : 12 % l'an.")
    invoice = exceptional(alice)
    set_param(alice, "billing_late_payment_terms", "Autre texte.")
    text = text_of(invoice_pdf(invoice, facturx=False))
    assert "Pénalités : 12 % l'an." in text and "Autre texte." not in text


def test_a_credit_note_names_the_invoice_it_corrects(alice: Tenant, seller: Organisation) -> None:
    invoice = booked_invoice(alice)
    note = credit_note_issue(
        actor=alice.manager,
        invoice=invoice,
        reason="Geste commercial",
        lines=[LineInput("Remboursement de la pénalité", Decimal("20.00"))],
    )
    text = text_of(invoice_pdf(note, facturx=False))
    assert "AVOIR" in text and "N° A-2026-000002" in text
    assert "Avoir sur la facture n° F-2026-000001 du 01/12/2026" in text
    assert "Motif : Geste commercial" in text
    assert "Montant de l'avoir TTC 20,00 EUR" in text
    assert "SIREN : 212600001" in text


def test_an_invoice_not_yet_issued_renders_as_a_marked_preview(alice: Tenant) -> None:
    priced(alice)
    draft = invoice_draft_for_booking(ended(alice))
    assert draft is not None
    pdf = invoice_pdf(draft)  # no Factur-X: it has no number yet
    text = text_of(pdf)
    assert "PROJET (non émis)" in text and "F-2026" not in text
    assert PdfReader(io.BytesIO(pdf)).attachments == {}


def test_names_in_any_european_language_are_written_as_they_are(alice: Tenant) -> None:
    User.objects.filter(pk=alice.member.pk).update(first_name="Łukasz", last_name="Żółć")
    alice.member.refresh_from_db()
    text = text_of(invoice_pdf(exceptional(alice, reason="Cœur : 10 € – « TTC »"), facturx=False))
    assert "Łukasz Żółć" in text
    assert "Cœur : 10 € – « TTC »" in text
    assert printable("e\u0301t\u00e9") == "\u00e9t\u00e9"


def test_every_font_is_embedded_as_pdf_a_requires(alice: Tenant) -> None:
    reader = PdfReader(io.BytesIO(invoice_pdf(exceptional(alice))))
    fonts = [
        font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()
    ]
    assert fonts
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor, font
        assert "DejaVu" in font["/BaseFont"]
