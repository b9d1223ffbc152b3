"""Invoices in the console: the validation queue, a penalty line, validate,
a credit note; errors on the forms; other organisations refused."""

from __future__ import annotations

import pytest
from django.test import Client

from flotte.billing.models import Invoice
from flotte.billing.services import invoice_for_ended_booking
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.conftest import Tenant


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


@pytest.fixture
def queued(alice: Tenant) -> Invoice:
    """An invoice of an ended booking waiting for the manager."""
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    invoice = invoice_for_ended_booking(ended(alice))
    assert invoice is not None and invoice.state == Invoice.State.PENDING_VALIDATION
    return invoice


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/invoices/{rest}"


def test_the_queue_lists_the_invoices_waiting(
    alice: Tenant, queued: Invoice, manager: Client
) -> None:
    page = manager.get(url(alice))
    assert page.status_code == 200
    assert page.context["queue"] == [queued]


def test_a_penalty_line_is_added_then_the_invoice_validated(
    alice: Tenant, queued: Invoice, manager: Client
) -> None:
    before = queued.total_incl_vat
    response = manager.post(
        url(alice, f"{queued.pk}/lines/"),
        {"kind": "cleaning", "label": "Nettoyage", "unit_price_incl_vat": "25.00", "quantity": "1"},
    )
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.total_incl_vat == before + 25
    assert manager.post(url(alice, f"{queued.pk}/validate/")).status_code == 302
    queued.refresh_from_db()
    assert queued.state == Invoice.State.ISSUED and queued.number


def test_a_bad_line_shows_on_the_form(alice: Tenant, queued: Invoice, manager: Client) -> None:
    page = manager.post(
        url(alice, f"{queued.pk}/lines/"),
        {"kind": "cleaning", "label": "", "unit_price_incl_vat": "abc", "quantity": "1"},
    )
    assert page.status_code == 400
    assert {"label", "unit_price_incl_vat"} <= set(page.context["line_form"].errors)


def test_a_credit_note_corrects_an_issued_invoice(alice: Tenant, manager: Client) -> None:
    invoice = exceptional(alice, "120.00")
    page = manager.post(url(alice, f"{invoice.pk}/credit-note/"), {"reason": ""})
    assert page.status_code == 400 and "reason" in page.context["credit_form"].errors
    response = manager.post(url(alice, f"{invoice.pk}/credit-note/"), {"reason": "Erreur"})
    assert response.status_code == 302
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credits == invoice and note.total_incl_vat == invoice.total_incl_vat


def test_validating_an_issued_invoice_shows_why_not(alice: Tenant, manager: Client) -> None:
    invoice = exceptional(alice, "120.00")
    page = manager.post(url(alice, f"{invoice.pk}/validate/"))
    assert page.status_code == 400


def test_another_organisations_invoice_is_a_404(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    invoice = exceptional(bob, "120.00")
    assert manager.get(url(alice, f"{invoice.pk}/")).status_code == 404
    assert (
        manager.post(url(alice, f"{invoice.pk}/credit-note/"), {"reason": "x"}).status_code == 404
    )
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_a_member_is_refused_the_invoices(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(url(alice)).status_code == 403
