"""Card payments: a member's saved card, payments and what an invoice
still owes; the payment provider's webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from flotte.api.common import actor, organisation
from flotte.api.schemas import (
    CardSetupOut,
    ErrorOut,
    InvoiceBalanceOut,
    PaymentMethodOut,
    PaymentOut,
    WebhookOut,
)
from flotte.billing.models import Payment, PaymentProfile, Refund
from flotte.billing.payments.cards import (
    payment_method_of,
    payment_method_refresh,
    payment_method_setup,
)
from flotte.billing.payments.selectors import invoice_balance
from flotte.billing.payments.services import invoice_collect
from flotte.billing.payments.webhooks import webhook_receive
from flotte.billing.selectors import invoice_visible, payments_visible_to
from flotte.core.errors import Conflict, NotFound, PermissionDenied

router = Router(tags=["payments"])
webhooks = Router(tags=["payments"], auth=None)


@router.get(
    "/organisations/{org_id}/payment-method",
    response={200: PaymentMethodOut, 404: ErrorOut},
)
def payment_method_get(request: HttpRequest, org_id: int) -> PaymentProfile:
    """The card you saved with this organisation (state ``none`` if none)."""
    org = organisation(org_id)
    profile = payment_method_of(member=actor(request), organisation=org)
    if profile is None:
        return PaymentProfile(organisation=org, provider=settings.PAYMENT_PROVIDER)
    return profile


@router.post(
    "/organisations/{org_id}/payment-method/setup",
    response={200: CardSetupOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
)
def payment_method_setup_post(request: HttpRequest, org_id: int) -> dict[str, object]:
    """Start saving a card for this organisation's invoices."""
    setup = payment_method_setup(member=actor(request), organisation=organisation(org_id))
    return {
        "provider": setup.profile.provider,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "client_secret": setup.client_secret,
        "payment_method": setup.profile,
    }


@router.post(
    "/organisations/{org_id}/payment-method/refresh",
    response={200: PaymentMethodOut, 404: ErrorOut, 503: ErrorOut},
)
def payment_method_refresh_post(request: HttpRequest, org_id: int) -> PaymentProfile:
    """Read back the card setup once the provider's form confirmed it; the
    new card is charged for any invoice still unpaid."""
    profile = payment_method_of(member=actor(request), organisation=organisation(org_id))
    if profile is None:
        raise NotFound("no card setup was started with this organisation")
    return payment_method_refresh(profile)


@router.get("/payments", response=list[PaymentOut])
@paginate(PageNumberPagination)
def payment_list(request: HttpRequest) -> QuerySet[Payment]:
    """Your payments; for a manager, every payment of the organisations
    they manage."""
    return (
        payments_visible_to(actor(request)).select_related("invoice").order_by("-created_at", "-id")
    )


@router.get("/invoices/{invoice_id}/balance", response={200: InvoiceBalanceOut, 404: ErrorOut})
def invoice_balance_get(request: HttpRequest, invoice_id: int) -> dict[str, object]:
    """What an invoice still owes, from its payments, refunds and credit
    notes."""
    invoice = invoice_visible(actor(request), invoice_id)
    balance = invoice_balance(invoice)
    return {
        "invoice_id": invoice.pk,
        "status": balance.status,
        "total": balance.total,
        "credited": balance.credited,
        "paid": balance.paid,
        "refunded": balance.refunded,
        "due": balance.due,
        "payments": list(invoice.payments.select_related("invoice")),
        "refunds": list(Refund.objects.filter(payment__invoice=invoice)),
    }


@router.post(
    "/invoices/{invoice_id}/pay",
    response={200: PaymentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def invoice_pay(request: HttpRequest, invoice_id: int) -> Payment:
    """Charge your saved card now for what an invoice still owes (after
    replacing a refused card, say)."""
    user = actor(request)
    invoice = invoice_visible(user, invoice_id)
    if invoice.buyer_id != user.pk:
        raise PermissionDenied("only the buyer pays an invoice by card")
    payment = invoice_collect(invoice.pk)
    if payment is None:
        raise Conflict("nothing to charge to a card on this invoice", code="nothing_to_charge")
    return payment


@webhooks.post("/webhooks/stripe", response={200: WebhookOut, 400: ErrorOut, 503: ErrorOut})
def stripe_webhook(request: HttpRequest) -> dict[str, str]:
    """Stripe's events, checked with the ``Stripe-Signature`` header."""
    received = webhook_receive("stripe", request.body, request.headers.get("Stripe-Signature", ""))
    return {"event": received.event_ref, "outcome": received.outcome}
