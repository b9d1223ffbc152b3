"""Payouts, chargeback statements and the accounting export through the
API: managers of the organisation only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from flotte.billing.models import Invoice, PayoutStatement
from flotte.core import clock
from tests.billing.conftest import NOW, exceptional, set_param
from tests.billing.fake_stripe import FakeStripe
from tests.billing.movements import paid, paris
from tests.conftest import Api, Tenant


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):  # 1 December 2026: November has ended
        yield


@pytest.fixture
def november(alice: Tenant) -> Invoice:
    with clock.frozen(paris(2026, 11, 3)):
        invoice = exceptional(alice, "120.00", business=True, cost_centre="Voirie")
    paid(invoice, at=paris(2026, 11, 4), fee="2.05")
    return invoice


def payouts(tenant: Tenant) -> str:
    return f"organisations/{tenant.organisation.pk}/payouts"


def test_a_manager_makes_reads_and_downloads_a_statement(alice: Tenant, november: Invoice) -> None:
    api = Api(alice.manager)
    made = api.post(payouts(alice), {"period_start": "2026-11-01"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["gross"], body["refunds"], body["fees"], body["net"]) == (
        "120.00",
        "0.00",
        "2.05",
        "117.95",
    )
    assert body["period_end"] == "2026-11-30"
    assert body["invoices"] == [
        {
            "invoice_id": november.pk,
            "number": november.number,
            "buyer": alice.member.full_name,
            "credit_notes": [],
            "collected": "120.00",
            "refunded": "0.00",
            "fees": "2.05",
            "net": "117.95",
        }
    ]
    again = api.post(payouts(alice), {"period_start": "2026-11-01"})
    assert again.json()["id"] == body["id"]

    listed = api.get(payouts(alice)).json()["items"]
    assert [s["id"] for s in listed] == [body["id"]]
    detail = api.get(f"{payouts(alice)}/{body['id']}").json()
    assert detail["invoices"][0]["number"] == november.number

    csv = api.get(f"{payouts(alice)}/{body['id']}/csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert 'filename="reversement-2026-11-01-2026-11-30.csv"' in csv["Content-Disposition"]
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert f"{november.number};03/11/2026".encode() in csv.content
    pdf = api.get(f"{payouts(alice)}/{body['id']}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_period_not_ended_or_not_a_period_start_is_refused(alice: Tenant) -> None:
    api = Api(alice.manager)
    running = api.post(payouts(alice), {"period_start": "2026-12-01"})
    assert (running.status_code, running.json()["code"]) == (409, "period_not_ended")
    odd = api.post(payouts(alice), {"period_start": "2026-11-16"})
    assert (odd.status_code, odd.json()["code"]) == (400, "not_a_period_start")
    set_param(alice, "payout_period", "fortnight")
    assert api.post(payouts(alice), {"period_start": "2026-11-16"}).status_code == 201


def test_members_and_other_organisations_are_refused(
    alice: Tenant, bob: Tenant, november: Invoice
) -> None:
    statement = Api(alice.manager).post(payouts(alice), {"period_start": "2026-11-01"}).json()
    member = Api(alice.member)
    assert member.get(payouts(alice)).status_code == 403
    assert member.post(payouts(alice), {"period_start": "2026-10-01"}).status_code == 403
    assert member.get(f"{payouts(alice)}/{statement['id']}/csv").status_code == 403
    intruder = Api(bob.manager)
    assert intruder.get(payouts(alice)).status_code == 404
    assert intruder.get(f"{payouts(alice)}/{statement['id']}").status_code == 404
    # Bob's own organisation in the path, Alice's statement id.
    assert intruder.get(f"{payouts(bob)}/{statement['id']}").status_code == 404
    assert intruder.post(f"{payouts(bob)}/{statement['id']}/transfer").status_code == 404
    assert intruder.get(f"{payouts(bob)}/{statement['id']}/pdf").status_code == 404


def test_a_manager_transfers_the_net_once(
    alice: Tenant, november: Invoice, stripe: FakeStripe
) -> None:
    api = Api(alice.manager)
    statement = api.post(payouts(alice), {"period_start": "2026-11-01"}).json()
    transfer = f"{payouts(alice)}/{statement['id']}/transfer"
    refused = api.post(transfer)
    assert (refused.status_code, refused.json()["code"]) == (409, "no_connect_account")
    set_param(alice, "payout_connect_account", "acct_1AliceTown")

    first, second = api.post(transfer), api.post(transfer)

    assert first.status_code == second.status_code == 200, first.content
    assert first.json()["transfer_state"] == "succeeded"
    assert first.json()["transfer_ref"] == second.json()["transfer_ref"]
    assert [t["amount"] for t in stripe.transfers.values()] == [11795]


def test_an_unreachable_provider_is_a_503(
    alice: Tenant, november: Invoice, stripe: FakeStripe
) -> None:
    set_param(alice, "payout_connect_account", "acct_1AliceTown")
    api = Api(alice.manager)
    statement = api.post(payouts(alice), {"period_start": "2026-11-01"}).json()
    stripe.failures_to_come = 10
    response = api.post(f"{payouts(alice)}/{statement['id']}/transfer")
    assert response.status_code == 503
    assert PayoutStatement.objects.get(pk=statement["id"]).transfer_state == "failed"


def test_the_chargeback_statement_of_a_month(alice: Tenant, bob: Tenant, november: Invoice) -> None:
    url = f"organisations/{alice.organisation.pk}/chargeback"
    api = Api(alice.manager)
    off = api.get(f"{url}/csv?month=2026-11")
    assert (off.status_code, off.json()["code"]) == (409, "chargeback_off")
    set_param(alice, "billing_internal_chargeback", True)

    csv = api.get(f"{url}/csv?month=2026-11")
    pdf = api.get(f"{url}/pdf?month=2026-11")

    assert csv.status_code == 200
    assert 'filename="refacturation-2026-11.csv"' in csv["Content-Disposition"]
    assert "Voirie;03/11/2026;Facture" in csv.content.decode("utf-8-sig")
    assert pdf.content.startswith(b"%PDF")
    assert api.get(f"{url}/csv?month=novembre").status_code == 400
    assert Api(alice.member).get(f"{url}/pdf?month=2026-11").status_code == 403
    assert Api(bob.manager).get(f"{url}/csv?month=2026-11").status_code == 404


def test_the_accounting_export_of_a_period(alice: Tenant, bob: Tenant, november: Invoice) -> None:
    url = f"organisations/{alice.organisation.pk}/exports/accounting"
    api = Api(alice.manager)
    response = api.get(f"{url}?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    assert (
        'filename="export-comptable-2026-11-01-2026-11-30.csv"' in (response["Content-Disposition"])
    )
    text = response.content.decode("utf-8-sig")
    assert f"03/11/2026;Facture;{november.number}" in text
    assert "04/11/2026;Paiement;P" in text
    assert api.get(f"{url}?start=2026-11-30&end=2026-11-01").status_code == 400
    assert api.get(url).status_code == 422
    assert Api(alice.member).get(f"{url}?start=2026-11-01&end=2026-11-30").status_code == 403
    assert Api(bob.manager).get(f"{url}?start=2026-11-01&end=2026-11-30").status_code == 404
    assert Decimal("120.00") == november.total_incl_vat
    assert dt.date(2026, 11, 3) == november.issue_date
