from __future__ import annotations

import pytest

from flotte.billing.selectors import invoice_visible, invoices_visible_to
from flotte.billing.services import invoice_for_ended_booking
from flotte.core.errors import NotFound
from flotte.core.tenancy import tenant_scope
from tests import factories as f
from tests.billing.conftest import ended, exceptional, priced, set_param
from tests.conftest import Tenant


def test_members_see_their_issued_invoices_and_managers_their_organisations(
    alice: Tenant, bob: Tenant
) -> None:
    mine = exceptional(alice)
    neighbour = f.UserFactory()
    f.MembershipFactory(user=neighbour, community=alice.community)
    theirs = exceptional(alice, buyer=neighbour)
    priced(alice)
    set_param(alice, "billing_manager_validation", True)
    pending = invoice_for_ended_booking(ended(alice))
    assert pending is not None and pending.state == "pending_validation"
    bobs = exceptional(bob)

    assert set(invoices_visible_to(alice.member)) == {mine}  # not the pending one
    assert set(invoices_visible_to(neighbour)) == {theirs}
    assert set(invoices_visible_to(alice.manager)) == {mine, theirs, pending}
    assert set(invoices_visible_to(bob.manager)) == {bobs}
    assert invoice_visible(alice.member, mine.pk) == mine
    for user, invoice in [
        (alice.member, theirs),
        (alice.member, pending),
        (bob.manager, mine),
        (alice.manager, bobs),
    ]:
        with pytest.raises(NotFound):
            invoice_visible(user, invoice.pk)


def test_a_request_scoped_to_bobs_organisation_sees_none_of_alices(
    alice: Tenant, bob: Tenant
) -> None:
    mine = exceptional(alice)
    with tenant_scope([bob.organisation.pk]), pytest.raises(NotFound):
        invoice_visible(alice.member, mine.pk)
