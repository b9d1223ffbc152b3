"""A member's saved card, per organisation: started with a SetupIntent
whose client secret the app hands to the provider's own card form, and
recorded once the provider says it succeeded (read back by the app, or on
the provider's webhook)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from flotte.accounts.models import Organisation, User
from flotte.accounts.selectors import organisation_ids_of
from flotte.billing.models import Invoice, PaymentProfile
from flotte.billing.payments.providers import ProviderUnavailable, payment_provider
from flotte.billing.payments.selectors import invoice_balance
from flotte.billing.payments.services import (
    card_payments_enabled,
    new_key,
    payment_provider_name,
)
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, ServiceError


class PaymentsUnavailable(ServiceError):
    status = 503
    code = "payment_provider_unavailable"


@dataclass(frozen=True)
class CardSetup:
    profile: PaymentProfile
    client_secret: str


def _profile(organisation: Organisation, member: User) -> PaymentProfile:
    profile, _ = PaymentProfile.objects.select_for_update().get_or_create(
        organisation=organisation,
        user=member,
        provider=payment_provider_name(),
        defaults={"updated_at": clock.now()},
    )
    return profile


def _check(organisation: Organisation, member: User) -> None:
    if organisation.pk not in organisation_ids_of(member):
        raise NotFound("no such organisation")
    if not card_payments_enabled(organisation):
        raise Conflict(
            f"{organisation.name} does not take card payments", code="card_payments_disabled"
        )


def payment_method_setup(*, member: User, organisation: Organisation) -> CardSetup:
    """Start saving a card: a customer at the provider (once), then a
    SetupIntent for off-session use."""
    _check(organisation, member)
    with transaction.atomic():
        profile = _profile(organisation, member)
        customer_key = f"flotte-{organisation.pk}-customer-{member.pk}"
        setup_key = new_key(organisation.pk, "setup")
    provider = payment_provider()
    try:
        customer = profile.customer_ref or provider.customer_create(
            email=member.email, name=member.full_name or member.email, idempotency_key=customer_key
        )
        setup = provider.setup_start(customer_ref=customer, idempotency_key=setup_key)
    except ProviderUnavailable as exc:
        raise PaymentsUnavailable(f"the payment provider cannot be reached: {exc}") from exc
    with transaction.atomic():
        profile = _profile(organisation, member)
        profile.customer_ref = customer
        profile.setup_ref = setup.ref
        if profile.state != PaymentProfile.State.READY:
            profile.state = PaymentProfile.State.PENDING
        profile.updated_at = clock.now()
        profile.save()
        audit("payment_method.setup_started", profile, actor=member)
    return CardSetup(profile, setup.client_secret)


def payment_method_refresh(profile: PaymentProfile) -> PaymentProfile:
    """Read the card setup back from the provider; once it succeeded the
    card becomes the one charged, and the member's unpaid invoices are
    presented to it."""
    if not profile.setup_ref:
        return profile
    provider = payment_provider(profile.provider)
    try:
        setup = provider.setup_get(profile.setup_ref)
        if not setup.succeeded or setup.payment_method_ref == profile.payment_method_ref:
            return profile
        card = provider.card_get(setup.payment_method_ref)
    except ProviderUnavailable as exc:
        raise PaymentsUnavailable(f"the payment provider cannot be reached: {exc}") from exc
    with transaction.atomic():
        profile = PaymentProfile.objects.select_for_update().get(pk=profile.pk)
        profile.payment_method_ref = setup.payment_method_ref
        profile.state = PaymentProfile.State.READY
        profile.card_brand, profile.card_last4 = card.brand[:20], card.last4[:4]
        profile.card_exp_month, profile.card_exp_year = card.exp_month, card.exp_year
        profile.updated_at = clock.now()
        profile.save()
        audit(
            "payment_method.saved",
            profile,
            data={"brand": profile.card_brand, "last4": profile.card_last4},
        )
        _collect_unpaid(profile)
    return profile


def _collect_unpaid(profile: PaymentProfile) -> None:
    from flotte.billing.tasks import collect_invoice

    for invoice in Invoice.objects.filter(
        organisation_id=profile.organisation_id,
        buyer_id=profile.user_id,
        kind=Invoice.Kind.INVOICE,
        state=Invoice.State.ISSUED,
    ):
        if invoice_balance(invoice).due > 0:
            collect_invoice.enqueue(invoice.pk)


def payment_method_of(*, member: User, organisation: Organisation) -> PaymentProfile | None:
    if organisation.pk not in organisation_ids_of(member):
        raise NotFound("no such organisation")
    return PaymentProfile.objects.filter(
        organisation=organisation, user=member, provider=payment_provider_name()
    ).first()
