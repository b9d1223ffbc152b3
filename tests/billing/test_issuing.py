from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from flotte.billing.corrections import credit_note_issue
from flotte.billing.issuing import format_number
from flotte.billing.models import Invoice, InvoiceCounter
from flotte.core import clock
from tests.billing.conftest import NOW, exceptional, set_param
from tests.conftest import Tenant


def test_invoices_and_credit_notes_share_one_continuous_sequence(alice: Tenant) -> None:
    first = exceptional(alice)
    note = credit_note_issue(actor=alice.manager, invoice=first, reason="Erreur")
    second = exceptional(alice)
    assert [first.number, note.number, second.number] == [
        "F-2026-000001",
        "A-2026-000002",
        "F-2026-000003",
    ]
    assert [first.sequence, note.sequence, second.sequence] == [1, 2, 3]
    assert InvoiceCounter.objects.get(organisation=alice.organisation).last_number == 3


def test_each_organisation_has_its_own_sequence(alice: Tenant, bob: Tenant) -> None:
    numbers = [exceptional(tenant).number for tenant in (alice, bob, alice, bob, bob)]
    assert numbers == [
        "F-2026-000001",
        "F-2026-000001",
        "F-2026-000002",
        "F-2026-000002",
        "F-2026-000003",
    ]


def test_the_sequence_goes_on_across_years(alice: Tenant) -> None:
    exceptional(alice)
    with clock.frozen(dt.datetime(2027, 1, 2, 9, tzinfo=dt.UTC)):
        assert exceptional(alice).number == "F-2027-000002"
    assert format_number("credit_note", 2027, 123) == "A-2027-000123"


def test_the_issue_date_is_the_organisations_day(alice: Tenant) -> None:
    # 23:30 UTC on 31 December is already 1 January in Paris.
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)):
        invoice = exceptional(alice)
    assert invoice.issue_date == dt.date(2027, 1, 1)
    assert invoice.number == "F-2027-000001"
    assert invoice.due_date == dt.date(2027, 1, 31)  # 30 days by default
    set_param(alice, "billing_payment_days", 0)
    assert exceptional(alice).due_date == clock.today_in("Europe/Paris") == NOW.date()


def test_a_rolled_back_issue_gives_its_number_back(alice: Tenant) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        exceptional(alice)
        raise RuntimeError("the caller's transaction fails after the issue")
    assert not Invoice.objects.exists()
    assert exceptional(alice).number == "F-2026-000001"


def test_the_database_refuses_an_issued_invoice_without_a_number(alice: Tenant) -> None:
    invoice = exceptional(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(number=None, sequence=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(kind="credit_note")  # names no invoice
    other = exceptional(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=other.pk).update(sequence=invoice.sequence)
