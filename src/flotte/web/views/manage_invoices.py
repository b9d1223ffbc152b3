"""Invoices in the console: the validation queue, an invoice with its lines,
a penalty line added, validation, a credit note."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Invoice
from flotte.billing.selectors import validation_queue
from flotte.billing.services import invoice_line_add, invoice_validate
from flotte.core.errors import ServiceError
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms import CreditNoteForm, InvoiceLineForm
from flotte.web.views.manage import Console, manager_page


@manager_page
def invoices(request: HttpRequest, console: Console) -> HttpResponse:
    try:
        queue = list(validation_queue(actor=console.user, organisation=console.organisation)[:200])
    except ServiceError:
        raise PermissionDenied from None
    issued = (
        Invoice.objects.filter(organisation=console.organisation, state=Invoice.State.ISSUED)
        .select_related("buyer")
        .order_by("-issued_at", "-pk")[:30]
    )
    return render(
        request,
        "web/manage/invoices.html",
        console.context(section="invoices", queue=queue, issued=issued),
    )


def _invoice(console: Console, invoice_id: int) -> Invoice:
    invoice = (
        Invoice.objects.filter(organisation=console.organisation, pk=invoice_id)
        .select_related("buyer", "booking")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def _render_invoice(
    request: HttpRequest, console: Console, invoice: Invoice, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "web/manage/invoice.html",
        console.context(
            section="invoices",
            invoice=invoice,
            lines=invoice.lines.order_by("position"),
            line_form=extra.get("line_form") or InvoiceLineForm(),
            credit_form=extra.get("credit_form") or CreditNoteForm(),
            error=extra.get("error", ""),
        ),
        status=status,
    )


@manager_page
def invoice_view(request: HttpRequest, console: Console, invoice_id: int) -> HttpResponse:
    return _render_invoice(request, console, _invoice(console, invoice_id))


@require_POST
@manager_page
def invoice_line(request: HttpRequest, console: Console, invoice_id: int) -> HttpResponse:
    invoice = _invoice(console, invoice_id)
    form = InvoiceLineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoice_line_add(
                actor=console.user,
                invoice=invoice,
                line=LineInput(
                    label=data["label"],
                    unit_price_incl_vat=data["unit_price_incl_vat"],
                    quantity=data["quantity"],
                    kind=data["kind"],
                ),
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Line added."))
            return redirect("web:manage_invoice", console.organisation.pk, invoice.pk)
    return _render_invoice(request, console, invoice, status=400, line_form=form)


@require_POST
@manager_page
def invoice_validate_view(request: HttpRequest, console: Console, invoice_id: int) -> HttpResponse:
    invoice = _invoice(console, invoice_id)
    try:
        invoice_validate(actor=console.user, invoice=invoice)
    except ServiceError as error:
        return _render_invoice(request, console, invoice, status=400, error=explain(error))
    messages.success(request, _("Invoice validated and issued."))
    return redirect("web:manage_invoice", console.organisation.pk, invoice.pk)


@require_POST
@manager_page
def credit_note(request: HttpRequest, console: Console, invoice_id: int) -> HttpResponse:
    invoice = _invoice(console, invoice_id)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            note = credit_note_issue(
                actor=console.user, invoice=invoice, reason=form.cleaned_data["reason"]
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Credit note issued."))
            return redirect("web:manage_invoice", console.organisation.pk, note.pk)
    return _render_invoice(request, console, invoice, status=400, credit_form=form)
