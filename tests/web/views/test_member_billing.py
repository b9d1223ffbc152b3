"""The member's invoices, their PDF, paying again, the saved card (set up
against the fake Stripe) and the payments made, through the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from flotte.billing.models import Invoice, Payment, PaymentProfile
from flotte.billing.payments.selectors import invoice_balance
from tests import factories as f
from tests.billing.conftest import exceptional, set_param
from tests.billing.fake_stripe import CARD_DECLINED, FakeStripe
from tests.billing.payments.conftest import card, card_payments
from tests.conftest import Tenant


@pytest.fixture
def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def url(tenant: Tenant, rest: str = "invoices/") -> str:
    return f"/c/{tenant.community.slug}/{rest}"


def test_the_invoices_page_lists_the_members_issued_invoices_with_their_paid_state(
    alice: Tenant, member: Client
) -> None:
    unpaid = exceptional(alice, "120.00")
    other = f.UserFactory(email="someone-else@example.org")
    f.MembershipFactory(user=other, community=alice.community)
    someone_elses = exceptional(alice, "80.00", buyer=other)
    page = member.get(url(alice))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row.invoice.pk for row in rows] == [unpaid.pk]
    assert rows[0].balance.status == "unpaid" and rows[0].balance.due == Decimal("120.00")
    html = page.content.decode()
    assert unpaid.number in html and someone_elses.number not in html
    assert f'href="/c/{alice.community.slug}/invoices/{unpaid.pk}.pdf"' in html
    assert 'data-status="unpaid"' in html


def test_credit_notes_show_beside_their_invoice_and_settle_it(
    alice: Tenant, member: Client
) -> None:
    from flotte.billing.corrections import credit_note_issue

    invoice = exceptional(alice, "50.00")
    credit = credit_note_issue(actor=alice.manager, invoice=invoice, reason="Erreur")
    rows = member.get(url(alice)).context["rows"]
    kinds = {row.invoice.pk: (row.invoice.kind, row.balance.status) for row in rows}
    assert kinds == {
        invoice.pk: (Invoice.Kind.INVOICE, "credited"),
        credit.pk: (Invoice.Kind.CREDIT_NOTE, "credited"),
    }
    assert not any(row.payable for row in rows)


def test_drafts_are_not_shown_to_the_member(alice: Tenant, member: Client) -> None:
    invoice = exceptional(alice, "50.00")
    Invoice.objects.filter(pk=invoice.pk).update(
        state=Invoice.State.DRAFT, sequence=None, number=None
    )
    assert member.get(url(alice)).context["rows"] == []
    assert member.get(url(alice, f"invoices/{invoice.pk}.pdf")).status_code == 404


def test_the_member_downloads_their_invoice_as_pdf(alice: Tenant, member: Client) -> None:
    invoice = exceptional(alice, "120.00")
    response = member.get(url(alice, f"invoices/{invoice.pk}.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert invoice.number.replace("/", "-") in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_another_members_invoice_is_a_404(alice: Tenant, member: Client) -> None:
    other = f.UserFactory(email="someone-else@example.org")
    f.MembershipFactory(user=other, community=alice.community)
    theirs = exceptional(alice, "80.00", buyer=other)
    assert member.get(url(alice, f"invoices/{theirs.pk}.pdf")).status_code == 404
    assert member.post(url(alice, f"invoices/{theirs.pk}/pay/")).status_code == 404


def test_a_manager_of_the_organisation_downloads_a_members_invoice(
    alice: Tenant, client: Client
) -> None:
    invoice = exceptional(alice, "120.00")
    f.MembershipFactory(user=alice.manager, community=alice.community)
    client.force_login(alice.manager)
    assert client.get(url(alice, f"invoices/{invoice.pk}.pdf")).status_code == 200
    # ...but does not pay it, nor see it among their own.
    assert client.post(url(alice, f"invoices/{invoice.pk}/pay/")).status_code == 404
    assert client.get(url(alice)).context["rows"] == []


def test_another_organisations_invoice_and_pages_are_a_404(
    alice: Tenant, bob: Tenant, member: Client
) -> None:
    bobs = exceptional(bob, "60.00")
    assert member.get(url(alice, f"invoices/{bobs.pk}.pdf")).status_code == 404
    assert member.post(url(alice, f"invoices/{bobs.pk}/pay/")).status_code == 404
    for rest in ("invoices/", "payment/", f"invoices/{bobs.pk}.pdf"):
        assert member.get(url(bob, rest)).status_code == 404
    for rest in ("payment/setup/", "payment/refresh/", f"invoices/{bobs.pk}/pay/"):
        assert member.post(url(bob, rest)).status_code == 404
    assert Payment.objects.count() == 0


def test_a_visitor_goes_to_the_login_page(alice: Tenant, client: Client) -> None:
    response = client.get(url(alice))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_paying_an_unpaid_invoice_again_charges_the_saved_card(
    alice: Tenant, stripe: FakeStripe, member: Client
) -> None:
    card_payments(alice)
    card(alice, stripe)
    invoice = exceptional(alice, "120.00")
    page = member.get(url(alice))
    assert f'action="/c/{alice.community.slug}/invoices/{invoice.pk}/pay/"' in page.content.decode()
    response = member.post(url(alice, f"invoices/{invoice.pk}/pay/"), follow=True)
    assert response.redirect_chain[-1][0] == url(alice)
    assert invoice_balance(invoice).status == "paid"
    assert stripe.charges_made() == 1
    (message,) = [str(m) for m in response.context["messages"]]
    assert invoice.number in message
    # Paid: no button, and paying again charges nothing.
    assert "/pay/" not in response.content.decode()
    member.post(url(alice, f"invoices/{invoice.pk}/pay/"))
    assert stripe.charges_made() == 1


def test_a_refused_card_is_said_with_the_reason(
    alice: Tenant, stripe: FakeStripe, english: Client, member: Client
) -> None:
    card_payments(alice)
    card(alice, stripe, CARD_DECLINED)
    invoice = exceptional(alice, "120.00")
    response = member.post(url(alice, f"invoices/{invoice.pk}/pay/"), follow=True)
    failed = Payment.objects.get(invoice=invoice)
    assert failed.state == Payment.State.FAILED
    text = [str(m) for m in response.context["messages"]]
    assert text == [f"The payment failed: {failed.failure_message}"]
    assert invoice_balance(invoice).status == "unpaid"


def test_paying_without_a_saved_card_says_to_add_one(
    alice: Tenant, stripe: FakeStripe, english: Client, member: Client
) -> None:
    card_payments(alice)
    invoice = exceptional(alice, "120.00")
    response = member.post(url(alice, f"invoices/{invoice.pk}/pay/"), follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert "no card is saved" in message


def test_paying_where_cards_are_not_taken_changes_nothing(
    alice: Tenant, english: Client, member: Client
) -> None:
    invoice = exceptional(alice, "120.00")
    page = member.get(url(alice))
    assert "/pay/" not in page.content.decode()
    response = member.post(url(alice, f"invoices/{invoice.pk}/pay/"), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Card payment is not available."]
    assert Payment.objects.count() == 0


def test_paying_is_a_post(alice: Tenant, member: Client) -> None:
    invoice = exceptional(alice, "120.00")
    assert member.get(url(alice, f"invoices/{invoice.pk}/pay/")).status_code == 405


# -- the card --------------------------------------------------------------


@pytest.fixture
def with_key(settings: Any) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_flotte"


def test_without_a_publishable_key_the_page_says_card_payment_is_not_available(
    alice: Tenant, stripe: FakeStripe, member: Client, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = ""
    card_payments(alice)
    page = member.get(url(alice, "payment/"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="no-card-payment"' in html
    assert "js.stripe.com" not in html
    assert member.post(url(alice, "payment/setup/")).status_code == 409
    assert not PaymentProfile.objects.exists()


def test_where_cards_are_not_taken_no_card_form_shows(
    alice: Tenant, with_key: None, member: Client
) -> None:
    html = member.get(url(alice, "payment/")).content.decode()
    assert 'id="no-card-payment"' in html and "js.stripe.com" not in html
    assert member.post(url(alice, "payment/setup/")).status_code == 409


def test_stripe_js_is_loaded_on_the_card_page_only(
    alice: Tenant, stripe: FakeStripe, with_key: None, member: Client
) -> None:
    card_payments(alice)
    html = member.get(url(alice, "payment/")).content.decode()
    assert '<script src="https://js.stripe.com/v3/" defer></script>' in html
    assert 'data-publishable-key="pk_test_flotte"' in html
    for other in ("invoices/", "bookings/", "book/"):
        assert "js.stripe.com" not in member.get(url(alice, other)).content.decode()


def test_saving_a_card_through_the_page(
    alice: Tenant, stripe: FakeStripe, with_key: None, member: Client
) -> None:
    card_payments(alice)
    setup = member.post(url(alice, "payment/setup/"))
    assert setup.status_code == 200
    secret = setup.json()["client_secret"]
    profile = PaymentProfile.objects.get(user=alice.member, organisation=alice.organisation)
    assert secret == stripe.setup_intents[profile.setup_ref]["client_secret"]
    # What Stripe's card form does in the browser, then the page's post.
    stripe.confirm_setup(profile.setup_ref)
    response = member.post(url(alice, "payment/refresh/"), follow=True)
    assert response.redirect_chain[-1][0] == url(alice, "payment/")
    profile.refresh_from_db()
    assert profile.state == PaymentProfile.State.READY
    html = response.content.decode()
    assert '<span class="card-last4">4242</span>' in html and "12/2030" in html


def test_refreshing_before_stripe_confirmed_keeps_no_card(
    alice: Tenant, stripe: FakeStripe, with_key: None, english: Client, member: Client
) -> None:
    card_payments(alice)
    member.post(url(alice, "payment/setup/"))
    response = member.post(url(alice, "payment/refresh/"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Your card is not confirmed yet. Try again."
    ]
    assert response.context["profile"] is None


def test_refreshing_without_any_setup_says_so(
    alice: Tenant, stripe: FakeStripe, with_key: None, english: Client, member: Client
) -> None:
    card_payments(alice)
    response = member.post(url(alice, "payment/refresh/"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "No card is being saved: add one first."
    ]


def test_an_unreachable_provider_is_said_not_a_500(
    alice: Tenant, stripe: FakeStripe, with_key: None, member: Client
) -> None:
    card_payments(alice)
    stripe.failures_to_come = 10
    response = member.post(url(alice, "payment/setup/"))
    assert response.status_code == 503
    assert response.json()["error"]


def test_the_payments_show_with_amount_state_and_failure_reason(
    alice: Tenant, stripe: FakeStripe, with_key: None, member: Client
) -> None:
    card_payments(alice)
    card(alice, stripe, CARD_DECLINED)
    invoice = exceptional(alice, "120.00")
    member.post(url(alice, f"invoices/{invoice.pk}/pay/"))
    page = member.get(url(alice, "payment/"))
    payments = list(page.context["payments"])
    assert [(p.invoice_id, p.state, p.amount) for p in payments] == [
        (invoice.pk, Payment.State.FAILED, Decimal("120.00"))
    ]
    html = page.content.decode()
    assert 'class="booking payment-failed"' in html
    assert payments[0].failure_message and payments[0].failure_message in html


def test_a_bobs_payment_never_shows_on_alices_page(
    alice: Tenant, bob: Tenant, stripe: FakeStripe, member: Client
) -> None:
    set_param(bob, "payment_card_enabled", True)
    card(bob, stripe)
    from flotte.billing.payments.services import invoice_collect

    invoice_collect(exceptional(bob, "60.00").pk)
    assert Payment.objects.filter(organisation=bob.organisation).count() == 1
    assert list(member.get(url(alice, "payment/")).context["payments"]) == []
