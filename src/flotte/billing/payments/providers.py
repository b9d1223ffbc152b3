"""The one seam between Flotte and a payment provider: a small interface,
plain results, and a registry. Services speak only to this; the Stripe
adapter is the first implementation.

Every call that creates or changes something at the provider takes an
idempotency key: the same key repeated (after a timeout, by a retried task)
gives the first answer again and never a second charge."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error that is
    not the card's: try again later with the same idempotency key."""


class BadSignature(Exception):
    """A webhook whose signature does not check out (forged, altered, or
    older than the tolerance)."""


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True)
class SetupResult:
    """A card being saved for later off-session charges."""

    ref: str
    client_secret: str
    succeeded: bool
    payment_method_ref: str = ""


@dataclass(frozen=True)
class IntentResult:
    """Where a payment stands at the provider. ``state`` is one of
    ``Payment.State``; ``fee`` is the actual fee when the provider gives it."""

    ref: str
    state: str
    amount_received: Decimal
    amount_capturable: Decimal = Decimal("0")
    fee: Decimal | None = None
    failure_code: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class RefundResult:
    ref: str
    state: str  # one of Refund.State
    failure_message: str = ""


@dataclass(frozen=True)
class Trigger:
    """What a verified webhook names: an event id to de-duplicate on, its
    type, and the object to read again."""

    event_ref: str
    kind: str
    object_type: str
    object_ref: str


class PaymentProvider(abc.ABC):
    name: ClassVar[str]

    @abc.abstractmethod
    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        """A customer at the provider; returns its reference."""

    @abc.abstractmethod
    def customer_delete(self, customer_ref: str) -> None:
        """Delete a customer and the cards saved with it (a member erased);
        one already gone is not an error."""

    @abc.abstractmethod
    def setup_start(self, *, customer_ref: str, idempotency_key: str) -> SetupResult:
        """Start saving a card for off-session use; the client secret goes
        to the browser, which collects the card with the provider's own
        form."""

    @abc.abstractmethod
    def setup_get(self, ref: str) -> SetupResult: ...

    @abc.abstractmethod
    def card_get(self, payment_method_ref: str) -> Card: ...

    @abc.abstractmethod
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
        """Charge the saved card off-session, or with ``capture=False`` only
        hold the amount (pre-authorisation). A declined card is a result
        (state failed), not an exception."""

    @abc.abstractmethod
    def intent_get(self, ref: str) -> IntentResult: ...

    @abc.abstractmethod
    def intent_capture(self, ref: str, *, amount: Decimal, idempotency_key: str) -> IntentResult:
        """Capture part or all of a held amount."""

    @abc.abstractmethod
    def intent_cancel(self, ref: str, *, idempotency_key: str) -> IntentResult:
        """Release a held amount."""

    @abc.abstractmethod
    def refund_create(
        self, *, intent_ref: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> RefundResult: ...

    @abc.abstractmethod
    def refund_get(self, ref: str) -> RefundResult: ...

    @abc.abstractmethod
    def transfer_create(
        self,
        *,
        destination: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str,
    ) -> str:
        """Send money to a connected account (an organisation's payout);
        returns the transfer's reference."""

    @abc.abstractmethod
    def webhook_trigger(self, payload: bytes, signature: str) -> Trigger:
        """Check a webhook's signature and say what it names; raises
        ``BadSignature``."""

    @abc.abstractmethod
    def estimated_fee(self, amount: Decimal) -> Decimal:
        """The fee expected on a charge, until the actual one is known."""


_factories: dict[str, Callable[[], PaymentProvider]] = {}


def register(name: str, factory: Callable[[], PaymentProvider]) -> None:
    _factories[name] = factory


def payment_provider(name: str | None = None) -> PaymentProvider:
    """The configured provider (``PAYMENT_PROVIDER``), built from settings
    on each call so that tests and configuration changes take effect."""
    name = name or settings.PAYMENT_PROVIDER
    if name not in _factories:
        from flotte.billing.payments import stripe_provider  # noqa: F401  (registers)
    try:
        factory = _factories[name]
    except KeyError:
        raise ImproperlyConfigured(f"no payment provider {name!r}") from None
    return factory()
