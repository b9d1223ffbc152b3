"""Payouts and exports in the console: statements with CSV and PDF, the
accounting export of a period; errors on the form; others refused."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from flotte.billing.payouts import payout_statement_create
from tests.billing.conftest import exceptional
from tests.conftest import Tenant


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/payouts/{rest}"


def test_the_statements_link_their_csv_and_pdf(alice: Tenant, client: Client) -> None:
    statement = payout_statement_create(
        actor=alice.manager, organisation=alice.organisation, period_start=dt.date(2026, 11, 1)
    )
    client.force_login(alice.manager)
    page = client.get(url(alice))
    assert page.status_code == 200
    csv_link = url(alice, f"{statement.pk}.csv")
    assert f'href="{csv_link}"' in page.content.decode()
    csv = client.get(csv_link)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    pdf = client.get(url(alice, f"{statement.pk}.pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(url(alice, f"{statement.pk}.xls")).status_code == 404


def test_the_accounting_export_downloads_a_csv(alice: Tenant, client: Client) -> None:
    exceptional(alice, "120.00")
    client.force_login(alice.manager)
    response = client.get(url(alice), {"start": "2026-11-01", "end": "2026-12-31"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "120,00" in response.content.decode("utf-8-sig")


def test_a_bad_period_shows_on_the_form(alice: Tenant, client: Client) -> None:
    client.force_login(alice.manager)
    page = client.get(url(alice), {"start": "2026-12-31", "end": "2026-11-01"})
    assert page.status_code == 400 and "end" in page.context["form"].errors
    page = client.get(url(alice), {"start": "hier", "end": ""})
    assert page.status_code == 400


def test_another_organisation_and_a_member_are_refused(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    statement = payout_statement_create(
        actor=bob.manager, organisation=bob.organisation, period_start=dt.date(2026, 11, 1)
    )
    client.force_login(alice.manager)
    assert client.get(url(alice, f"{statement.pk}.csv")).status_code == 404
    client.force_login(bob.manager)
    assert client.get(url(alice)).status_code == 404
    client.force_login(alice.member)
    assert client.get(url(alice)).status_code == 403
