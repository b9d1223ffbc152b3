"""The payment routes: a member saves a card, sees payments and what an
invoice owes, pays again after a refusal."""

from __future__ import annotations

from decimal import Decimal

from tests.billing.fake_stripe import CARD_DECLINED, FakeStripe
from tests.billing.payments.conftest import card, card_payments, charged_invoice
from tests.conftest import Api, Tenant


def test_a_member_saves_a_card_through_the_api(alice: Tenant, stripe: FakeStripe, settings) -> None:
    card_payments(alice)
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_flotte"
    api = Api(alice.member)
    org = alice.organisation.pk
    assert api.get(f"organisations/{org}/payment-method").json()["state"] == "none"
    setup = api.post(f"organisations/{org}/payment-method/setup")
    assert setup.status_code == 200, setup.content
    body = setup.json()
    assert body["client_secret"].startswith("seti_")
    assert body["publishable_key"] == "pk_test_flotte"
    assert body["payment_method"]["state"] == "pending"
    # The browser confirms with Stripe.js; the app reads the card back.
    stripe.confirm_setup(body["client_secret"].split("_secret")[0])
    saved = api.post(f"organisations/{org}/payment-method/refresh").json()
    assert (saved["state"], saved["card_brand"], saved["card_last4"]) == ("ready", "visa", "4242")


def test_a_card_cannot_be_saved_where_cards_are_not_taken(
    alice: Tenant, stripe: FakeStripe
) -> None:
    response = Api(alice.member).post(f"organisations/{alice.organisation.pk}/payment-method/setup")
    assert response.status_code == 409
    assert response.json()["code"] == "card_payments_disabled"


def test_refresh_before_any_setup_is_a_404(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    response = Api(alice.member).post(
        f"organisations/{alice.organisation.pk}/payment-method/refresh"
    )
    assert response.status_code == 404


def test_an_unreachable_provider_is_a_503_with_a_message(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    stripe.failures_to_come = 10
    response = Api(alice.member).post(f"organisations/{alice.organisation.pk}/payment-method/setup")
    assert response.status_code == 503
    assert "cannot be reached" in response.json()["message"]


def test_a_member_pays_again_after_replacing_a_refused_card(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe, CARD_DECLINED)
    invoice = charged_invoice(alice, "45.00")
    api = Api(alice.member)
    refused = api.post(f"invoices/{invoice.pk}/pay")
    assert refused.status_code == 200
    assert (refused.json()["state"], refused.json()["failure_code"]) == (
        "failed",
        "insufficient_funds",
    )
    card(alice, stripe)
    paid = api.post(f"invoices/{invoice.pk}/pay").json()
    assert (paid["state"], paid["invoice_number"], paid["attempt"]) == (
        "succeeded",
        invoice.number,
        2,
    )
    balance = api.get(f"invoices/{invoice.pk}/balance").json()
    assert (balance["status"], Decimal(balance["due"]), len(balance["payments"])) == (
        "paid",
        0,
        2,
    )
    assert api.post(f"invoices/{invoice.pk}/pay").status_code == 409
    listed = api.get("payments").json()["items"]
    assert [p["state"] for p in listed] == ["succeeded", "failed"]


def test_a_manager_sees_the_payments_but_does_not_pay_for_the_member(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe)
    invoice = charged_invoice(alice, "45.00")
    manager = Api(alice.manager)
    assert manager.post(f"invoices/{invoice.pk}/pay").status_code == 403
    Api(alice.member).post(f"invoices/{invoice.pk}/pay")
    [payment] = manager.get("payments").json()["items"]
    assert payment["fee_is_estimate"] is False
    assert Decimal(payment["fee"]) == Decimal("0.94")
