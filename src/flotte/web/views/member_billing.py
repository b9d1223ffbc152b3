"""The member's invoices, their PDF, paying one again, the saved card and
the payments made. Views parse, call the billing services (the ones the
REST routers call) and render."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from flotte.billing.models import Invoice, Payment, PaymentProfile
from flotte.billing.payments.cards import (
    payment_method_of,
    payment_method_refresh,
    payment_method_setup,
)
from flotte.billing.payments.selectors import Balance, invoice_balance
from flotte.billing.payments.services import card_payments_enabled, invoice_collect
from flotte.billing.pdf import invoice_pdf
from flotte.billing.selectors import invoice_visible, invoices_visible_to, payments_visible_to
from flotte.core.errors import NotFound, ServiceError
from flotte.web.errors import explain
from flotte.web.views.common import Member, member_page

# What an invoice's balance status reads as (payments.selectors.Balance).
PAID_STATE = {
    "paid": gettext_lazy("paid"),
    "unpaid": gettext_lazy("to pay"),
    "partially_paid": gettext_lazy("partly paid"),
    "credited": gettext_lazy("credited"),
}


# The refusals a member meets on these pages, in their language.
WORDING = {
    "card_payments_disabled": gettext_lazy("Card payment is not available."),
    "payment_provider_unavailable": gettext_lazy(
        "The payment provider cannot be reached. Try again in a moment."
    ),
}


def _explain(error: ServiceError) -> str:
    wording = WORDING.get(error.code)
    return str(wording) if wording is not None else explain(error)


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    balance: Balance

    @property
    def paid_state(self) -> str:
        return str(PAID_STATE.get(self.balance.status, self.balance.status))

    @property
    def payable(self) -> bool:
        return not self.invoice.is_credit_note and self.balance.due > 0


def _my_invoices(member: Member) -> QuerySet[Invoice]:
    """The member's own issued invoices and credit notes with this
    community's organisation (a manager sees only theirs here too)."""
    return invoices_visible_to(member.user).filter(
        buyer=member.user,
        state=Invoice.State.ISSUED,
        organisation=member.community.organisation,
    )


def _my_invoice(member: Member, invoice_id: int) -> Invoice:
    invoice = _my_invoices(member).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    return invoice


def _card_payments(member: Member) -> bool:
    return card_payments_enabled(member.community.organisation)


@require_GET
@member_page
def invoices(request: HttpRequest, member: Member) -> HttpResponse:
    rows = [
        InvoiceRow(invoice, invoice_balance(invoice))
        for invoice in _my_invoices(member).order_by("-issue_date", "-sequence", "-id")
    ]
    return render(
        request,
        "web/invoices.html",
        member.context(rows=rows, card_payments=_card_payments(member)),
    )


@require_GET
@member_page
def invoice_download(request: HttpRequest, member: Member, invoice_id: int) -> HttpResponse:
    """The PDF the REST route serves (Factur-X): to the invoice's member,
    or a manager of its organisation; anyone else gets a 404."""
    try:
        invoice = invoice_visible(member.user, invoice_id)
    except NotFound:
        raise Http404 from None
    if invoice.organisation_id != member.community.organisation_id:
        raise Http404
    name = (invoice.number or f"brouillon-{invoice.pk}").replace("/", "-")
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@require_POST
@member_page
def invoice_pay(request: HttpRequest, member: Member, invoice_id: int) -> HttpResponse:
    """Charge the saved card again for what the invoice still owes."""
    invoice = _my_invoice(member, invoice_id)
    back = redirect("web:invoices", slug=member.community.slug)
    if invoice.is_credit_note or invoice_balance(invoice).due <= 0:
        messages.error(request, _("This invoice has nothing left to pay."))
        return back
    payment = invoice_collect(invoice.pk)
    if payment is None:
        if not _card_payments(member):
            messages.error(request, _("Card payment is not available."))
        else:
            messages.error(
                request,
                _(
                    "No new payment was made: one is already under way, "
                    "or this invoice is settled otherwise."
                ),
            )
    elif payment.state == Payment.State.SUCCEEDED:
        messages.success(request, _("Invoice %(number)s is paid.") % {"number": invoice.number})
    elif payment.state == Payment.State.FAILED:
        messages.error(request, _failure(payment))
    else:
        messages.success(
            request, _("The payment is being processed; this page shows it once it is done.")
        )
    return back


def _failure(payment: Payment) -> str:
    if payment.failure_code == "no_payment_method":
        return _("The payment failed: no card is saved. Add a card, then pay again.")
    reason = payment.failure_message or payment.failure_code
    return _("The payment failed: %(reason)s") % {"reason": reason}


@require_GET
@member_page
def payment_method(request: HttpRequest, member: Member) -> HttpResponse:
    """The saved card, the card form (Stripe's own, loaded only here and
    only with a publishable key), and the payments made."""
    organisation = member.community.organisation
    try:
        profile = payment_method_of(member=member.user, organisation=organisation)
    except NotFound:
        raise Http404 from None
    key = str(settings.STRIPE_PUBLISHABLE_KEY)
    enabled = _card_payments(member)
    payments = (
        payments_visible_to(member.user)
        .filter(user=member.user, organisation=organisation)
        .select_related("invoice")
        .order_by("-created_at", "-id")[:50]
    )
    return render(
        request,
        "web/payment_method.html",
        member.context(
            profile=profile if profile and profile.state == PaymentProfile.State.READY else None,
            card_form=bool(enabled and key),
            card_payments=enabled,
            publishable_key=key,
            payments=payments,
        ),
    )


@require_POST
@member_page
def card_setup(request: HttpRequest, member: Member) -> HttpResponse:
    """Start saving a card: the client secret for Stripe's card form (JSON,
    asked by the page's script)."""
    if not settings.STRIPE_PUBLISHABLE_KEY or not _card_payments(member):
        return JsonResponse({"error": _("Card payment is not available.")}, status=409)
    try:
        setup = payment_method_setup(member=member.user, organisation=member.community.organisation)
    except ServiceError as error:
        return JsonResponse({"error": _explain(error)}, status=error.status)
    return JsonResponse({"client_secret": setup.client_secret})


@require_POST
@member_page
def card_refresh(request: HttpRequest, member: Member) -> HttpResponse:
    """After Stripe's form confirmed the card: read it back; the new card
    is then charged for any invoice still unpaid."""
    back = redirect("web:payment_method", slug=member.community.slug)
    try:
        profile = payment_method_of(member=member.user, organisation=member.community.organisation)
        if profile is None:
            messages.error(request, _("No card is being saved: add one first."))
            return back
        profile = payment_method_refresh(profile)
    except NotFound:
        raise Http404 from None
    except ServiceError as error:
        messages.error(request, _explain(error))
        return back
    if profile.state == PaymentProfile.State.READY:
        messages.success(request, _("Your card is saved."))
    else:
        messages.error(request, _("Your card is not confirmed yet. Try again."))
    return back
