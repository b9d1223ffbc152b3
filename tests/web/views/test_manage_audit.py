"""The audit log in the console: newest first, by kind, page by page."""

from __future__ import annotations

from django.test import Client

from flotte.core.models import AuditEntry
from tests.booking.test_services import book, set_param
from tests.conftest import Tenant


def test_the_audit_log_shows_the_organisations_entries_by_kind(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    book(alice, 2, 4)
    set_param(alice, "booking_cancel_fee", "6.00")
    book(bob, 2, 4)
    client.force_login(alice.manager)
    page = client.get(f"/manage/{alice.organisation.pk}/audit/")
    assert page.status_code == 200
    actions = [entry.action for entry in page.context["page"]]
    assert "parameter.set" in actions and "booking.created" in actions
    assert all(e.organisation_id == alice.organisation.pk for e in page.context["page"])
    only = client.get(f"/manage/{alice.organisation.pk}/audit/", {"kind": "parameter"})
    assert {entry.action for entry in only.context["page"]} == {"parameter.set"}


def test_a_bad_page_or_kind_falls_back(alice: Tenant, client: Client) -> None:
    client.force_login(alice.manager)
    page = client.get(f"/manage/{alice.organisation.pk}/audit/", {"kind": "x", "page": "zz"})
    assert page.status_code == 200 and page.context["kind"] == ""


def test_the_audit_log_is_paginated(alice: Tenant, client: Client) -> None:
    for n in range(55):
        set_param(alice, "booking_cancel_fee", f"{n}.00")
    client.force_login(alice.manager)
    first = client.get(f"/manage/{alice.organisation.pk}/audit/")
    assert len(first.context["page"]) == 50 and first.context["page"].has_next()
    assert AuditEntry.objects.filter(organisation=alice.organisation).count() >= 55


def test_another_organisation_and_a_member_are_refused(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    assert client.get(f"/manage/{alice.organisation.pk}/audit/").status_code == 404
    client.force_login(alice.member)
    assert client.get(f"/manage/{alice.organisation.pk}/audit/").status_code == 403
