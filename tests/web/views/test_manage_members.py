"""Members in the console: the validation queue, documents, validate,
reject, suspend and lift."""

from __future__ import annotations

import pytest
from django.test import Client

from flotte.accounts.models import DriverApproval, Membership, Suspension, User
from tests import factories as f
from tests.conftest import Tenant
from tests.web.views.conftest import local


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    return client


@pytest.fixture
def applicant(alice: Tenant) -> User:
    """A member of Alice's community whose driver profile waits."""
    user = f.UserFactory(email="applicant@example.org")
    f.MembershipFactory(user=user, community=alice.community)
    f.DriverProfileFactory(user=user)
    f.DriverApprovalFactory(organisation=alice.organisation, user=user)
    return user


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/members/{rest}"


def test_the_queue_lists_the_profiles_waiting(
    alice: Tenant, applicant: User, manager: Client
) -> None:
    page = manager.get(url(alice))
    assert page.status_code == 200
    assert page.context["people"] == [applicant]
    validated = manager.get(url(alice), {"status": "validated"})
    assert validated.context["people"] == [alice.member]


def test_a_member_page_links_the_documents_and_they_open(
    alice: Tenant, applicant: User, manager: Client
) -> None:
    page = manager.get(url(alice, f"{applicant.pk}/"))
    html = page.content.decode()
    link = url(alice, f"{applicant.pk}/documents/licence_document/")
    assert f'href="{link}"' in html
    document = manager.get(link)
    assert document.status_code == 200
    assert b"".join(document.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_an_unknown_document_kind_is_a_404(alice: Tenant, applicant: User, manager: Client) -> None:
    assert manager.get(url(alice, f"{applicant.pk}/documents/password/")).status_code == 404


def test_a_manager_validates_a_profile(alice: Tenant, applicant: User, manager: Client) -> None:
    response = manager.post(url(alice, f"{applicant.pk}/validate/"))
    assert response.status_code == 302
    approval = DriverApproval.objects.get(user=applicant)
    assert approval.status == DriverApproval.Status.VALIDATED


def test_a_rejection_needs_a_reason_shown_on_the_form(
    alice: Tenant, applicant: User, manager: Client
) -> None:
    page = manager.post(url(alice, f"{applicant.pk}/reject/"), {"reason": ""})
    assert page.status_code == 400
    assert "reason" in page.context["reject_form"].errors
    response = manager.post(url(alice, f"{applicant.pk}/reject/"), {"reason": "Permis illisible"})
    assert response.status_code == 302
    approval = DriverApproval.objects.get(user=applicant)
    assert approval.status == DriverApproval.Status.REJECTED
    assert approval.reason == "Permis illisible"


def test_a_manager_suspends_then_lifts(alice: Tenant, manager: Client) -> None:
    response = manager.post(
        url(alice, f"{alice.member.pk}/suspend/"), {"reason": "Retards", "ends_at": local(48)}
    )
    assert response.status_code == 302
    suspension = Suspension.objects.get(user=alice.member)
    lift = f"/manage/{alice.organisation.pk}/suspensions/{suspension.pk}/lift/"
    assert manager.post(lift).status_code == 302
    suspension.refresh_from_db()
    assert suspension.lifted_at is not None
    again = manager.post(lift)
    assert again.status_code == 400


def test_a_suspension_without_reason_shows_on_the_form(alice: Tenant, manager: Client) -> None:
    page = manager.post(url(alice, f"{alice.member.pk}/suspend/"), {"reason": ""})
    assert page.status_code == 400
    assert "reason" in page.context["suspend_form"].errors


def test_another_organisations_member_is_a_404(alice: Tenant, bob: Tenant, manager: Client) -> None:
    assert manager.get(url(alice, f"{bob.member.pk}/")).status_code == 404
    assert manager.post(url(alice, f"{bob.member.pk}/validate/")).status_code == 404
    documents = url(alice, f"{bob.member.pk}/documents/licence_document/")
    assert manager.get(documents).status_code == 404
    assert manager.get(f"/manage/{bob.organisation.pk}/members/").status_code == 404


def test_a_member_is_refused_the_members(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(url(alice)).status_code == 403
    assert (
        client.post(url(alice, f"{alice.member.pk}/suspend/"), {"reason": "x"}).status_code == 403
    )
    assert not Suspension.objects.exists()
    assert Membership.objects.filter(user=alice.member).exists()
