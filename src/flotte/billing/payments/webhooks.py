"""The payment provider's webhooks. An event is checked (the provider's own
signature check, with its tolerance on age), de-duplicated by its id, and
then only used as a trigger: the object it names is read again from the
provider and applied forward-only, so a replayed, late or out-of-order
event changes nothing it should not."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from flotte.billing.models import Payment, PaymentProfile, Refund, WebhookEvent
from flotte.billing.payments.cards import PaymentsUnavailable, payment_method_refresh
from flotte.billing.payments.providers import (
    BadSignature,
    ProviderUnavailable,
    Trigger,
    payment_provider,
)
from flotte.billing.payments.services import payment_sync, refund_sync
from flotte.core import clock
from flotte.core.errors import ValidationFailed
from flotte.core.tenancy import cross_tenant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_ref: str
    outcome: str


def _follow(trigger: Trigger) -> str:
    if trigger.object_type == "payment_intent":
        payment = Payment.objects.filter(provider_ref=trigger.object_ref).first()
        if payment is None:
            return "unknown payment"
        return f"payment {payment.pk}: {payment_sync(payment).state}"
    if trigger.object_type == "setup_intent":
        profile = PaymentProfile.objects.filter(setup_ref=trigger.object_ref).first()
        if profile is None:
            return "unknown card setup"
        return f"card setup {profile.pk}: {payment_method_refresh(profile).state}"
    if trigger.object_type == "refund":
        refund = Refund.objects.filter(provider_ref=trigger.object_ref).first()
        if refund is None:
            return "unknown refund"
        return f"refund {refund.pk}: {refund_sync(refund).state}"
    return f"ignored {trigger.kind}"


def webhook_receive(provider_name: str, payload: bytes, signature: str) -> WebhookOutcome:
    """Handle one webhook delivery. A bad signature is a 400 and changes
    nothing; a duplicate is acknowledged and dropped; when the provider
    cannot be read back, the event is forgotten and a 503 asks the provider
    to deliver it again."""
    provider = payment_provider(provider_name)
    try:
        trigger = provider.webhook_trigger(payload, signature)
    except BadSignature as exc:
        log.warning("%s webhook refused: %s", provider_name, exc)
        raise ValidationFailed(
            "the webhook's signature does not check out", code="bad_signature"
        ) from exc
    with cross_tenant(f"{provider_name} webhook"):
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    provider=provider_name,
                    event_ref=trigger.event_ref,
                    kind=trigger.kind[:100],
                    object_ref=trigger.object_ref[:100],
                    received_at=clock.now(),
                )
        except IntegrityError:
            return WebhookOutcome(trigger.event_ref, "duplicate")
        try:
            outcome = _follow(trigger)
        except (ProviderUnavailable, PaymentsUnavailable) as exc:
            event.delete()
            log.warning("%s webhook %s to be delivered again: %s", provider_name, event, exc)
            raise PaymentsUnavailable(
                "the payment provider cannot be read back now; deliver again later"
            ) from exc
        WebhookEvent.objects.filter(pk=event.pk).update(outcome=outcome[:200])
    return WebhookOutcome(trigger.event_ref, outcome)
