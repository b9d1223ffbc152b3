"""Invoices through the API, and the invoice a finished booking gets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flotte.billing.models import Invoice
from flotte.booking.models import Booking
from tests.billing.conftest import ended, exceptional, priced
from tests.conftest import Api, Tenant


def test_a_booking_that_ends_is_invoiced_after_commit_when_the_organisation_bills(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    with django_capture_on_commit_callbacks(execute=True):
        booking = ended(alice, km=30)
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.state == Invoice.State.ISSUED
    assert invoice.total_incl_vat == booking.final_total == Decimal("14.00")


def test_no_invoice_when_the_organisation_does_not_bill(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice, billing=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking = ended(alice)
    assert Booking.objects.get(pk=booking.pk).state == Booking.State.ENDED
    assert not Invoice.objects.exists()


def test_the_member_downloads_the_pdf_of_their_invoice(alice: Tenant, bob: Tenant) -> None:
    invoice = exceptional(alice)
    listed = Api(alice.member).get("invoices").json()["items"]
    assert [i["number"] for i in listed] == [invoice.number]
    pdf = Api(alice.member).get(f"invoices/{invoice.pk}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="{invoice.number}.pdf"' in pdf["Content-Disposition"]
    assert Api(bob.member).get(f"invoices/{invoice.pk}/pdf").status_code == 404


def test_a_manager_adds_a_penalty_then_validates_and_the_invoice_gets_its_number(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    with django_capture_on_commit_callbacks(execute=True):
        booking = ended(alice, km=30)
    invoice = Invoice.objects.get(booking=booking)
    # Issued already: lines can no longer change.
    refused = Api(alice.manager).post(
        f"invoices/{invoice.pk}/lines", {"label": "Nettoyage", "unit_price_incl_vat": "30"}
    )
    assert refused.status_code == 409
    draft = Invoice.objects.create(
        organisation=alice.organisation, buyer=alice.member, created_at=invoice.created_at
    )
    added = Api(alice.manager).post(
        f"invoices/{draft.pk}/lines",
        {"label": "Nettoyage", "unit_price_incl_vat": "30.00", "kind": "cleaning"},
    )
    assert added.status_code == 201, added.content
    assert added.json()["amount_incl_vat"] == "30.00"
    assert Api(alice.member).post(f"invoices/{draft.pk}/validate").status_code in {403, 404}
    validated = Api(alice.manager).post(f"invoices/{draft.pk}/validate").json()
    assert validated["state"] == "issued" and validated["number"]


def test_a_credit_note_corrects_an_issued_invoice_and_cannot_credit_more(alice: Tenant) -> None:
    invoice = exceptional(alice, "120.00")
    note = Api(alice.manager).post(f"invoices/{invoice.pk}/credit-notes", {"reason": "erreur"})
    assert note.status_code == 201, note.content
    assert (note.json()["kind"], note.json()["credits_id"]) == ("credit_note", invoice.pk)
    assert note.json()["total_incl_vat"] == "120.00"
    again = Api(alice.manager).post(f"invoices/{invoice.pk}/credit-notes", {"reason": "encore"})
    assert again.status_code == 409


def test_an_exceptional_invoice_needs_lines_with_a_french_vat_rate(alice: Tenant) -> None:
    body = {
        "buyer_id": alice.member.pk,
        "reason": "franchise",
        "lines": [{"label": "Franchise", "unit_price_incl_vat": "300.00", "vat_rate": "7"}],
    }
    refused = Api(alice.manager).post(f"organisations/{alice.organisation.pk}/invoices", body)
    assert refused.status_code == 400
    assert "vat_rate" in refused.json()["fields"]
    assert not Invoice.objects.exists()
    body["lines"][0]["vat_rate"] = "20"
    made = Api(alice.manager).post(f"organisations/{alice.organisation.pk}/invoices", body)
    assert made.status_code == 201 and made.json()["number"]
