"""Saving a card in the browser: the page's own script asks the platform
for a SetupIntent, hands its client secret to Stripe.js, and once Stripe
confirms, posts back so the platform reads the card from Stripe.

Stripe.js is never fetched: the test serves, at its address, a tiny
`Stripe()` whose `confirmCardSetup` confirms the SetupIntent on the fake
Stripe server (through an address the test intercepts as well), as the
real card form would on Stripe's side."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flotte.billing.models import PaymentProfile
from tests.billing.fake_stripe import FakeStripe
from tests.billing.payments.conftest import card_payments
from tests.conftest import Tenant
from tests.web.browser.conftest import PHONE, Visit, overflow

pytestmark = pytest.mark.browser

CONFIRM_URL = "https://stripe.test/confirm"

FAKE_STRIPE_JS = """
window.Stripe = function (key) {
  window.fakeStripeKey = key;
  return {
    elements: function () {
      return {
        create: function (kind) {
          return {
            mount: function (holder) {
              var input = document.createElement("input");
              input.setAttribute("aria-label", "Card number");
              input.className = "fake-card-" + kind;
              holder.appendChild(input);
            },
            on: function () {},
          };
        },
      };
    },
    confirmCardSetup: function (secret, data) {
      if (!data || !data.payment_method || !data.payment_method.card) {
        return Promise.resolve({ error: { message: "no card element given" } });
      }
      var body = JSON.stringify({ client_secret: secret });
      return fetch("__CONFIRM_URL__", { method: "POST", body: body })
        .then(function (response) { return response.json(); })
        .then(function (intent) { return { setupIntent: intent }; });
    },
  };
};
""".replace("__CONFIRM_URL__", CONFIRM_URL)


def test_a_member_saves_a_card_with_stripes_form(
    visit: Visit, alice: Tenant, stripe: FakeStripe, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_flotte"
    card_payments(alice)
    page = visit.open(alice.member, viewport=PHONE)
    secrets: list[str] = []

    def stripe_js(route: Any) -> None:
        route.fulfill(status=200, content_type="application/javascript", body=FAKE_STRIPE_JS)

    def confirm(route: Any) -> None:
        secret = json.loads(route.request.post_data)["client_secret"]
        secrets.append(secret)
        setup_ref = secret.split("_secret_")[0]
        stripe.confirm_setup(setup_ref)
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps({"id": setup_ref, "status": "succeeded"}),
        )

    page.route("https://js.stripe.com/v3/", stripe_js)
    page.route(CONFIRM_URL, confirm)
    page.goto(visit.url(f"/c/{alice.community.slug}/payment/"))
    assert page.locator("#no-card").is_visible()
    assert page.evaluate("window.fakeStripeKey") == "pk_test_flotte"
    page.locator(".fake-card-card").fill("4242 4242 4242 4242")
    page.locator("#card-save").click()
    page.locator("#saved-card").wait_for()
    assert page.locator(".card-last4").inner_text() == "4242"
    assert "12/2030" in page.locator("#saved-card").inner_text()
    profile = PaymentProfile.objects.get(user=alice.member, organisation=alice.organisation)
    assert profile.state == PaymentProfile.State.READY
    assert secrets == [stripe.setup_intents[profile.setup_ref]["client_secret"]]
    assert overflow(page) == 0
    visit.screenshot(page, "payment-card-saved")
    assert page.js_errors == []


def test_a_card_refused_by_stripe_is_said_on_the_form(
    visit: Visit, alice: Tenant, stripe: FakeStripe, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_flotte"
    card_payments(alice)
    page = visit.open(alice.member, viewport=PHONE)
    refusing = FAKE_STRIPE_JS.replace(
        "return fetch(",
        'return Promise.resolve({ error: { message: "Your card was declined." } }); fetch(',
    )
    page.route(
        "https://js.stripe.com/v3/",
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=refusing
        ),
    )
    page.goto(visit.url(f"/c/{alice.community.slug}/payment/"))
    page.locator("#card-save").click()
    error = page.locator("#card-errors")
    error.filter(has_text="Your card was declined.").wait_for()
    assert page.locator("#no-card").is_visible()
    assert page.locator("#card-save").is_enabled()
    profile = PaymentProfile.objects.get(user=alice.member, organisation=alice.organisation)
    assert profile.state == PaymentProfile.State.PENDING


def test_the_invoices_and_profile_pages_fit_a_phone(
    visit: Visit, alice: Tenant, stripe: FakeStripe
) -> None:
    from tests.billing.conftest import exceptional

    card_payments(alice)
    invoice = exceptional(alice, "120.00")
    page = visit.open(alice.member, viewport=PHONE)
    page.goto(visit.url(f"/c/{alice.community.slug}/invoices/"))
    assert invoice.number in page.locator(f"#invoice-{invoice.pk}").inner_text()
    assert overflow(page) == 0
    visit.screenshot(page, "invoices-phone")
    page.goto(visit.url("/profile/"))
    assert alice.badge.uid in page.locator(".badge-uid").inner_text()
    assert overflow(page) == 0
    visit.screenshot(page, "profile-phone")
    assert page.js_errors == []
