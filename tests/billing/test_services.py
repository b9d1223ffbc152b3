from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from flotte.billing.amounts import LineInput
from flotte.billing.models import Invoice, InvoiceLine
from flotte.billing.selectors import validation_queue
from flotte.billing.services import (
    invoice_draft_for_booking,
    invoice_for_ended_booking,
    invoice_issue_or_queue,
    invoice_line_add,
    invoice_line_change,
    invoice_line_remove,
    invoice_validate,
)
from flotte.booking.lifecycle import no_show_sweep
from flotte.booking.services import booking_cancel
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied
from flotte.core.models import AuditEntry
from flotte.core.tasks import registered_tasks
from tests.billing.conftest import ended, hours, priced, set_param
from tests.booking.test_services import book
from tests.conftest import Tenant

D = Decimal
CLEANING = LineInput("Nettoyage intérieur", D("35.00"), kind="cleaning")


def audited(action: str, invoice: Invoice) -> bool:
    return AuditEntry.objects.filter(action=action, object_id=str(invoice.pk)).exists()


def test_an_ended_booking_is_invoiced_with_its_tariffs_lines_and_issued(alice: Tenant) -> None:
    priced(alice)
    booking = ended(alice, km=30)
    invoice = invoice_for_ended_booking(booking)
    assert invoice is not None
    assert invoice.state == "issued" and invoice.number == "F-2026-000001"
    lines = list(invoice.lines.all())
    assert [(line.kind, line.unit, line.quantity, line.amount_incl_vat) for line in lines] == [
        ("usage", "HUR", D("2"), D("8.00")),
        ("km", "KMT", D("30"), D("6.00")),
    ]
    assert lines[1].label == "Kilomètres facturés (30 km parcourus)"
    assert invoice.total_incl_vat == booking.final_total == D("14.00")
    assert invoice.buyer == alice.member and invoice.booking == booking
    assert invoice.service_start == booking.start and invoice.service_end == booking.end
    assert invoice.seller_snapshot["siren"] == alice.organisation.siren
    assert invoice.buyer_snapshot["email"] == alice.member.email
    assert audited("invoice.drafted", invoice) and audited("invoice.issued", invoice)


def test_a_late_return_adds_the_penalty_line(alice: Tenant) -> None:
    priced(alice)
    booking = ended(alice, km=0, late_min=41)
    invoice = invoice_for_ended_booking(booking)
    assert invoice is not None
    penalty = invoice.lines.get(kind="late_penalty")
    assert penalty.amount_incl_vat == booking.late_penalty == D("20.00")
    assert penalty.label == "Pénalité de retard de restitution (41 min)"
    assert invoice.total_incl_vat == booking.final_total == D("31.00")


def test_lines_add_up_to_the_totals_exactly(alice: Tenant) -> None:
    priced(alice)
    invoice = invoice_draft_for_booking(ended(alice, km=37, late_min=13))
    assert invoice is not None
    invoice_line_add(actor=alice.manager, invoice=invoice, line=CLEANING)
    invoice.refresh_from_db()
    lines = list(invoice.lines.all())
    for line in lines:
        assert line.amount_excl_vat + line.vat_amount == line.amount_incl_vat
    assert sum(line.amount_excl_vat for line in lines) == invoice.total_excl_vat
    assert sum(line.vat_amount for line in lines) == invoice.total_vat
    assert sum(line.amount_incl_vat for line in lines) == invoice.total_incl_vat
    assert invoice.total_excl_vat + invoice.total_vat == invoice.total_incl_vat


def test_drafting_twice_gives_the_same_invoice(alice: Tenant) -> None:
    priced(alice)
    booking = ended(alice)
    first = invoice_for_ended_booking(booking)
    again = invoice_for_ended_booking(booking)
    assert first is not None and again is not None and first.pk == again.pk
    assert Invoice.objects.filter(booking=booking).count() == 1
    assert again.number == "F-2026-000001"


def test_no_invoice_when_billing_is_off_or_nothing_is_due(alice: Tenant) -> None:
    booking = ended(alice)  # no tariff, billing off
    assert invoice_for_ended_booking(booking) is None
    set_param(alice, "billing_enabled", True)
    assert invoice_for_ended_booking(booking) is None  # no tariff: nothing to bill
    assert not Invoice.objects.exists()


def test_a_booking_that_has_not_ended_is_not_invoiced(alice: Tenant) -> None:
    priced(alice)
    booking = book(alice, 2, 4)
    with pytest.raises(Conflict) as error:
        invoice_draft_for_booking(booking)
    assert error.value.code == "not_ended"


def test_the_task_invoices_a_booking_and_does_nothing_when_billing_is_off(
    alice: Tenant,
) -> None:
    priced(alice, billing=False)
    booking = ended(alice)
    task = registered_tasks()["billing.draft_for_booking"]
    assert task.run(booking.pk) is None
    assert not Invoice.objects.exists()
    set_param(alice, "billing_enabled", True)
    invoice_id = task.run(booking.pk)
    assert Invoice.objects.get(pk=invoice_id).state == "issued"


def test_manager_validation_sends_invoices_to_the_queue(alice: Tenant) -> None:
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    invoice = invoice_for_ended_booking(ended(alice))
    assert invoice is not None
    assert invoice.state == "pending_validation" and invoice.number is None
    assert audited("invoice.queued", invoice)
    queue = validation_queue(actor=alice.manager, organisation=alice.organisation)
    assert list(queue) == [invoice]
    issued = invoice_validate(actor=alice.manager, invoice=invoice)
    assert issued.state == "issued" and issued.number == "F-2026-000001"
    assert issued.issued_by == alice.manager
    assert not validation_queue(actor=alice.manager, organisation=alice.organisation).exists()


def test_a_line_added_by_a_manager_sends_the_invoice_to_the_queue(alice: Tenant) -> None:
    priced(alice)
    draft = invoice_draft_for_booking(ended(alice))
    assert draft is not None and draft.state == "draft"
    line = invoice_line_add(actor=alice.manager, invoice=draft, line=CLEANING)
    assert (line.position, line.kind, line.amount_incl_vat) == (3, "cleaning", D("35.00"))
    assert (line.unit_price_excl_vat, line.vat_amount) == (D("29.1667"), D("5.83"))
    queued = invoice_issue_or_queue(draft)
    assert queued.state == "pending_validation" and queued.manually_edited
    assert queued.total_incl_vat == D("49.00")
    assert audited("invoice.line_added", queued)


def test_a_manager_changes_and_removes_lines_of_a_pending_invoice(alice: Tenant) -> None:
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    invoice = invoice_for_ended_booking(ended(alice, km=30))
    assert invoice is not None
    changed = invoice_line_change(
        actor=alice.manager,
        invoice=invoice,
        position=2,
        line=LineInput("Kilomètres (geste commercial)", D("0.10"), quantity=D("30"), kind="km"),
    )
    assert changed.amount_incl_vat == D("3.00")
    invoice_line_remove(actor=alice.manager, invoice=invoice, position=1)
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == D("3.00") and invoice.manually_edited
    entry = AuditEntry.objects.get(action="invoice.line_changed", object_id=str(invoice.pk))
    assert entry.actor == alice.manager
    assert entry.data["before"]["amount"] == "6.00" and entry.data["after"]["amount"] == "3.00"
    assert audited("invoice.line_removed", invoice)


def test_an_issued_invoice_never_changes(alice: Tenant) -> None:
    priced(alice)
    invoice = invoice_for_ended_booking(ended(alice))
    assert invoice is not None and invoice.state == "issued"
    before = list(invoice.lines.values_list("label", "amount_incl_vat"))
    attempts = [
        lambda: invoice_line_add(actor=alice.manager, invoice=invoice, line=CLEANING),
        lambda: invoice_line_change(
            actor=alice.manager, invoice=invoice, position=1, line=CLEANING
        ),
        lambda: invoice_line_remove(actor=alice.manager, invoice=invoice, position=1),
        lambda: invoice_validate(actor=alice.manager, invoice=invoice),
        lambda: invoice_issue_or_queue(invoice),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
    invoice.refresh_from_db()
    assert list(invoice.lines.values_list("label", "amount_incl_vat")) == before
    assert invoice.number == "F-2026-000001" and invoice.total_incl_vat == D("14.00")


def test_only_the_organisations_managers_change_invoices(alice: Tenant, bob: Tenant) -> None:
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    invoice = invoice_for_ended_booking(ended(alice))
    assert invoice is not None
    for outsider in (alice.member, bob.manager):
        with pytest.raises(PermissionDenied):
            invoice_line_add(actor=outsider, invoice=invoice, line=CLEANING)
        with pytest.raises(PermissionDenied):
            invoice_line_change(actor=outsider, invoice=invoice, position=1, line=CLEANING)
        with pytest.raises(PermissionDenied):
            invoice_line_remove(actor=outsider, invoice=invoice, position=1)
        with pytest.raises(PermissionDenied):
            invoice_validate(actor=outsider, invoice=invoice)
        with pytest.raises(PermissionDenied):
            validation_queue(actor=outsider, organisation=alice.organisation)
    invoice.refresh_from_db()
    assert invoice.state == "pending_validation" and not invoice.manually_edited
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 2


def test_a_late_cancellation_is_invoiced_with_its_fee(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    set_param(alice, "booking_cancel_free_until_hours", 24)
    set_param(alice, "booking_cancel_fee", "7.50")
    booking = book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(actor=alice.member, booking=booking)
    invoice = Invoice.objects.get(booking=booking)
    [line] = invoice.lines.all()
    assert (line.kind, line.label, line.amount_incl_vat) == (
        InvoiceLine.Kind.CANCELLATION,
        "Frais d'annulation tardive",
        Decimal("7.50"),
    )
    assert (invoice.state, invoice.total_incl_vat) == ("issued", Decimal("7.50"))


def test_a_free_cancellation_is_not_invoiced(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    set_param(alice, "booking_cancel_free_until_hours", 1)
    booking = book(alice, 30, 32)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(actor=alice.member, booking=booking)
    assert invoice_for_ended_booking(booking) is None
    assert not Invoice.objects.exists()


def test_a_booking_never_taken_is_billed_its_booked_time_unless_the_organisation_says_none(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    priced(alice)
    booking = book(alice, 2, 4)
    with clock.frozen(hours(6)), django_capture_on_commit_callbacks(execute=True):
        assert no_show_sweep() == 1
    invoice = Invoice.objects.get(booking=booking)
    # 2 hours at 4.00, no km.
    assert invoice.total_incl_vat == Decimal("8.00")
    assert {line.kind for line in invoice.lines.all()} == {InvoiceLine.Kind.NO_SHOW}
    other = book(alice, 8, 9)
    set_param(alice, "billing_no_show_charge", "none")
    with clock.frozen(hours(12)), django_capture_on_commit_callbacks(execute=True):
        assert no_show_sweep() == 1
    assert not Invoice.objects.filter(booking=other).exists()
