from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Invoice
from flotte.billing.services import invoice_for_ended_booking
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.conftest import Tenant

D = Decimal


def booking_invoice(tenant: Tenant, **extra: Any) -> Invoice:
    priced(tenant)
    invoice = invoice_for_ended_booking(ended(tenant, **extra))
    assert invoice is not None
    return invoice


def test_a_manager_issues_an_exceptional_invoice(alice: Tenant) -> None:
    invoice = exceptional(alice, "450.00", business=True, cost_centre="VOIRIE")
    assert invoice.state == "issued" and invoice.number == "F-2026-000001"
    assert invoice.booking is None and invoice.created_by == alice.manager
    assert invoice.total_incl_vat == D("450.00") and invoice.total_vat == D("75.00")
    assert invoice.buyer_snapshot["business"] is True
    assert invoice.buyer_snapshot["cost_centre"] == "VOIRIE"
    assert invoice.lines.get().kind == "damage"
    assert AuditEntry.objects.filter(action="invoice.exceptional_created").exists()


def test_an_exceptional_invoice_needs_a_member_a_reason_and_a_manager(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        exceptional(alice, buyer=bob.member)
    with pytest.raises(NotFound):
        exceptional(alice, buyer=f.UserFactory())
    with pytest.raises(PermissionDenied):
        exceptional(alice, actor=alice.member)
    with pytest.raises(PermissionDenied):
        exceptional(alice, actor=bob.manager)
    for bad in [
        LineInput("Ancien taux", D("10.00"), vat_rate=D("19.6")),
        LineInput("Flottant", 10.0),  # type: ignore[arg-type]
        LineInput("Quantité nulle", D("10.00"), quantity=D("0")),
        LineInput("Trop précis", D("1.00001")),
        LineInput("Genre inconnu", D("10.00"), kind="party"),
        LineInput("  ", D("10.00")),
    ]:
        with pytest.raises(ValidationFailed):
            exceptional(alice, lines=[bad])
    with pytest.raises(ValidationFailed):
        exceptional(alice, reason=" ")
    assert not Invoice.objects.exists()


def test_a_full_credit_note_copies_the_lines_and_names_the_invoice(alice: Tenant) -> None:
    invoice = booking_invoice(alice, km=30)
    note = credit_note_issue(actor=alice.manager, invoice=invoice, reason="Trajet annulé")
    assert note.kind == "credit_note" and note.state == "issued"
    assert note.number == "A-2026-000002" and note.credits == invoice
    assert note.total_incl_vat == invoice.total_incl_vat == D("14.00")
    assert note.total_vat == invoice.total_vat
    assert list(note.lines.values_list("label", "amount_incl_vat")) == list(
        invoice.lines.values_list("label", "amount_incl_vat")
    )
    assert note.reason == "Trajet annulé"
    assert AuditEntry.objects.filter(action="credit_note.issued", object_id=str(note.pk)).exists()
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == D("14.00") and invoice.state == "issued"
    with pytest.raises(Conflict) as error:
        credit_note_issue(actor=alice.manager, invoice=invoice, reason="encore")
    assert error.value.code == "fully_credited"


def test_partial_credit_notes_never_credit_more_than_what_remains(alice: Tenant) -> None:
    invoice = booking_invoice(alice, km=30)  # 14.00 at 20 %
    first = credit_note_issue(
        actor=alice.manager,
        invoice=invoice,
        reason="Geste commercial",
        lines=[LineInput("Remboursement partiel", D("5.00"))],
    )
    assert first.total_incl_vat == D("5.00")
    with pytest.raises(ValidationFailed) as error:
        credit_note_issue(
            actor=alice.manager,
            invoice=invoice,
            reason="Trop",
            lines=[LineInput("Remboursement", D("9.01"))],
        )
    assert error.value.code == "over_credit"
    with pytest.raises(ValidationFailed):  # no VAT at 10 % was charged
        credit_note_issue(
            actor=alice.manager,
            invoice=invoice,
            reason="Taux",
            lines=[LineInput("Remboursement", D("1.00"), vat_rate=D("10"))],
        )
    rest = credit_note_issue(actor=alice.manager, invoice=invoice, reason="Solde")
    assert rest.total_incl_vat == D("9.00")
    assert rest.lines.get().label == f"Solde de la facture n° {invoice.number}"
    # Refused credit notes took no number: the sequence has no gap.
    assert [first.number, rest.number] == ["A-2026-000002", "A-2026-000003"]
    assert Invoice.objects.filter(kind="credit_note").count() == 2


def test_only_issued_invoices_are_credited_by_their_managers(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, "billing_manager_validation", True)
    pending = booking_invoice(alice)
    assert pending.state == "pending_validation"
    with pytest.raises(Conflict):
        credit_note_issue(actor=alice.manager, invoice=pending, reason="x")
    issued = exceptional(alice)
    for outsider in (alice.member, bob.manager):
        with pytest.raises(PermissionDenied):
            credit_note_issue(actor=outsider, invoice=issued, reason="x")
    with pytest.raises(ValidationFailed):
        credit_note_issue(actor=alice.manager, invoice=issued, reason="  ")
    note = credit_note_issue(actor=alice.manager, invoice=issued, reason="Erreur")
    with pytest.raises(Conflict):
        credit_note_issue(actor=alice.manager, invoice=note, reason="x")
    assert Invoice.objects.filter(kind="credit_note").count() == 1
