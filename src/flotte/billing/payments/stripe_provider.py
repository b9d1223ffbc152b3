"""Stripe, through its official client: customers, SetupIntents for saving a
card, PaymentIntents for off-session charges and pre-authorisations (manual
capture), refunds, Connect transfers, and webhook signatures checked by
Stripe's own code with a 300 s tolerance."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from flotte.billing.models import Payment, Refund
from flotte.billing.payments.providers import (
    BadSignature,
    Card,
    IntentResult,
    PaymentProvider,
    ProviderUnavailable,
    RefundResult,
    SetupResult,
    Trigger,
    register,
)

CENT = Decimal("0.01")
WEBHOOK_TOLERANCE_S = 300
# Stripe's price for cards issued in the EEA: 1.5% + 0.25 EUR a charge. Used
# until the charge's balance transaction gives the actual fee.
EEA_CARD_RATE = Decimal("0.015")
EEA_CARD_FIXED = Decimal("0.25")

_INTENT_STATES = {
    "processing": Payment.State.PROCESSING,
    "requires_capture": Payment.State.AUTHORISED,
    "succeeded": Payment.State.SUCCEEDED,
    "canceled": Payment.State.CANCELLED,
}
_REFUND_STATES = {
    "pending": Refund.State.PENDING,
    "requires_action": Refund.State.PENDING,
    "succeeded": Refund.State.SUCCEEDED,
    "failed": Refund.State.FAILED,
    "canceled": Refund.State.CANCELLED,
}


def cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(ROUND_HALF_UP))


def euros(value: int | None) -> Decimal:
    return (Decimal(value or 0) * CENT).quantize(CENT)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None or isinstance(obj, str):
        return default
    try:
        return obj[key]
    except (KeyError, TypeError):
        return default


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, api_key: str, webhook_secret: str, api_base: str) -> None:
        if not api_key:
            raise ImproperlyConfigured("card payments need STRIPE_SECRET_KEY")
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            # Retried requests carry the same idempotency key.
            max_network_retries=2,
        )

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            raise ProviderUnavailable(str(exc)) from exc
        except stripe.AuthenticationError as exc:
            raise ProviderUnavailable(f"Stripe refused the platform's key: {exc}") from exc

    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        customer = self._call(
            self.client.v1.customers.create,
            params={"email": email, "name": name},
            options={"idempotency_key": idempotency_key},
        )
        return str(customer.id)

    def customer_delete(self, customer_ref: str) -> None:
        try:
            self._call(self.client.v1.customers.delete, customer_ref)
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) != "resource_missing":
                raise ProviderUnavailable(f"Stripe refused the deletion: {exc}") from exc

    def _setup(self, intent: Any) -> SetupResult:
        method = _get(intent, "payment_method")
        return SetupResult(
            ref=intent.id,
            client_secret=_get(intent, "client_secret") or "",
            succeeded=_get(intent, "status") == "succeeded",
            payment_method_ref=(method if isinstance(method, str) else _get(method, "id", ""))
            or "",
        )

    def setup_start(self, *, customer_ref: str, idempotency_key: str) -> SetupResult:
        intent = self._call(
            self.client.v1.setup_intents.create,
            params={
                "customer": customer_ref,
                "usage": "off_session",
                "payment_method_types": ["card"],
            },
            options={"idempotency_key": idempotency_key},
        )
        return self._setup(intent)

    def setup_get(self, ref: str) -> SetupResult:
        return self._setup(self._call(self.client.v1.setup_intents.retrieve, ref))

    def card_get(self, payment_method_ref: str) -> Card:
        method = self._call(self.client.v1.payment_methods.retrieve, payment_method_ref)
        card = _get(method, "card") or {}
        return Card(
            brand=str(_get(card, "brand", "")),
            last4=str(_get(card, "last4", "")),
            exp_month=_get(card, "exp_month"),
            exp_year=_get(card, "exp_year"),
        )

    def _intent(self, intent: Any) -> IntentResult:
        status = _get(intent, "status")
        error = _get(intent, "last_payment_error")
        # requires_payment_method / _confirmation / _action: off-session,
        # nobody is there to act, so an attempt with an error has failed.
        failed = error or status == "requires_action"
        state = _INTENT_STATES.get(status) or (
            Payment.State.FAILED if failed else Payment.State.CREATED
        )
        charge = _get(intent, "latest_charge")
        transaction = _get(charge, "balance_transaction")
        fee = _get(transaction, "fee")
        return IntentResult(
            ref=intent.id,
            state=state,
            amount_received=euros(_get(intent, "amount_received")),
            amount_capturable=euros(_get(intent, "amount_capturable")),
            fee=euros(fee) if fee is not None else None,
            failure_code=str(_get(error, "decline_code") or _get(error, "code") or "")
            or ("authentication_required" if status == "requires_action" else ""),
            failure_message=str(_get(error, "message") or "")[:300],
        )

    def _intent_call(self, method: Any, *args: Any, **kwargs: Any) -> IntentResult:
        try:
            return self._intent(self._call(method, *args, **kwargs))
        except stripe.CardError as exc:
            # A decline comes back as an error carrying the intent.
            intent = _get(exc.error, "payment_intent") if exc.error else None
            if intent is None:
                return IntentResult(
                    ref="",
                    state=Payment.State.FAILED,
                    amount_received=Decimal("0"),
                    failure_code=str(exc.code or "card_error"),
                    failure_message=str(exc.user_message or exc)[:300],
                )
            return self._intent(intent)
        except stripe.InvalidRequestError as exc:
            raise ProviderUnavailable(f"Stripe refused the request: {exc}") from exc

    def intent_create(
        self,
        *,
        customer_ref: str,
        payment_method_ref: str,
        amount: Decimal,
        currency: str,
        capture: bool,
        description: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentResult:
        return self._intent_call(
            self.client.v1.payment_intents.create,
            params={
                "amount": cents(amount),
                "currency": currency.lower(),
                "customer": customer_ref,
                "payment_method": payment_method_ref,
                "off_session": True,
                "confirm": True,
                "capture_method": "automatic" if capture else "manual",
                "description": description[:1000],
                "metadata": metadata,
                "expand": ["latest_charge.balance_transaction"],
            },
            options={"idempotency_key": idempotency_key},
        )

    def intent_get(self, ref: str) -> IntentResult:
        return self._intent_call(
            self.client.v1.payment_intents.retrieve,
            ref,
            params={"expand": ["latest_charge.balance_transaction"]},
        )

    def intent_capture(self, ref: str, *, amount: Decimal, idempotency_key: str) -> IntentResult:
        return self._intent_call(
            self.client.v1.payment_intents.capture,
            ref,
            params={
                "amount_to_capture": cents(amount),
                "expand": ["latest_charge.balance_transaction"],
            },
            options={"idempotency_key": idempotency_key},
        )

    def intent_cancel(self, ref: str, *, idempotency_key: str) -> IntentResult:
        return self._intent_call(
            self.client.v1.payment_intents.cancel,
            ref,
            options={"idempotency_key": idempotency_key},
        )

    def _refund(self, refund: Any) -> RefundResult:
        return RefundResult(
            ref=refund.id,
            state=_REFUND_STATES.get(_get(refund, "status"), Refund.State.PENDING),
            failure_message=str(_get(refund, "failure_reason") or ""),
        )

    def refund_create(
        self, *, intent_ref: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> RefundResult:
        try:
            refund = self._call(
                self.client.v1.refunds.create,
                params={
                    "payment_intent": intent_ref,
                    "amount": cents(amount),
                    "reason": "requested_by_customer",
                    "metadata": {"reason": reason[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            raise ProviderUnavailable(f"Stripe refused the refund: {exc}") from exc
        return self._refund(refund)

    def refund_get(self, ref: str) -> RefundResult:
        return self._refund(self._call(self.client.v1.refunds.retrieve, ref))

    def transfer_create(
        self,
        *,
        destination: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str,
    ) -> str:
        try:
            transfer = self._call(
                self.client.v1.transfers.create,
                params={
                    "amount": cents(amount),
                    "currency": currency.lower(),
                    "destination": destination,
                    "description": description[:1000],
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            raise ProviderUnavailable(f"Stripe refused the transfer: {exc}") from exc
        return str(transfer.id)

    def webhook_trigger(self, payload: bytes, signature: str) -> Trigger:
        if not self.webhook_secret:
            raise BadSignature("no STRIPE_WEBHOOK_SECRET: webhooks cannot be checked")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(str(exc)) from exc
        except ValueError as exc:
            raise BadSignature(f"not a Stripe event: {exc}") from exc
        obj = _get(_get(event, "data"), "object") or {}
        return Trigger(
            event_ref=str(_get(event, "id") or ""),
            kind=str(_get(event, "type") or ""),
            object_type=str(_get(obj, "object", "")),
            object_ref=str(_get(obj, "id", "")),
        )

    def estimated_fee(self, amount: Decimal) -> Decimal:
        return (amount * EEA_CARD_RATE + EEA_CARD_FIXED).quantize(CENT, ROUND_HALF_UP)


def _from_settings() -> StripeProvider:
    return StripeProvider(
        settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_API_BASE
    )


register(StripeProvider.name, _from_settings)
