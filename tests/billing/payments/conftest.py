"""Card payments against the local fake Stripe, for the payments tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flotte.billing.models import Invoice, PaymentProfile
from flotte.billing.payments.cards import payment_method_refresh, payment_method_setup
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.billing.fake_stripe import CARD_OK, FakeStripe
from tests.conftest import Tenant

__all__ = ["card", "card_payments", "charged_invoice", "ended", "exceptional", "priced"]


def card_payments(tenant: Tenant, **values: Any) -> None:
    set_param(tenant, "payment_card_enabled", True)
    for key, value in values.items():
        set_param(tenant, key, value)


def card(tenant: Tenant, stripe: FakeStripe, behaviour: str = CARD_OK) -> PaymentProfile:
    """The member saves a card as the app does: setup, the provider's form
    confirms it, the app reads it back."""
    setup = payment_method_setup(member=tenant.member, organisation=tenant.organisation)
    stripe.confirm_setup(setup.profile.setup_ref, behaviour)
    return payment_method_refresh(setup.profile)


def charged_invoice(tenant: Tenant, amount: str = "120.00") -> Invoice:
    """An issued invoice of the member (a damage excess), not yet charged."""
    invoice = exceptional(tenant, amount)
    assert invoice.total_incl_vat == Decimal(amount)
    return invoice
