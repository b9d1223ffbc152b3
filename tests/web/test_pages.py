from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from flotte.accounts.models import DriverApproval, Membership, User
from flotte.accounts.parameters import param_set
from tests.conftest import Tenant


def test_community_page_wears_its_branding(alice: Tenant, client: Client) -> None:
    alice.community.primary_colour = "#123456"
    alice.community.save()
    response = client.get(f"/c/{alice.community.slug}/")
    assert response.status_code == 200
    assert b"#123456" in response.content
    assert alice.community.name.encode() in response.content
    assert client.get("/c/nowhere/").status_code == 404


def test_branding_falls_back_on_the_organisation(alice: Tenant, client: Client) -> None:
    alice.organisation.primary_colour = "#abcdef"
    alice.organisation.save()
    assert b"#abcdef" in client.get(f"/c/{alice.community.slug}/").content


def test_sign_up_verify_and_fill_the_profile_on_the_web(
    alice: Tenant, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/c/{alice.community.slug}/signup/",
            {
                "first_name": "Lou",
                "last_name": "Vial",
                "email": "lou@example.org",
                "password": "un-long-mot-de-passe",
            },
        )
    assert response.status_code == 200
    assert b"lou@example.org" in response.content
    link = next(line for line in mail.outbox[0].body.splitlines() if "/verify/" in line)
    response = client.get(link.split("8000", 1)[1])
    assert response.status_code == 302
    user = User.objects.get(email="lou@example.org")
    assert Membership.objects.filter(user=user, community=alice.community).exists()
    page = client.get("/profile/")
    assert page.status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/profile/",
        {
            "birth_date": "1990-04-02",
            "licence_number": "123456",
            "licence_issued_on": "2010-05-01",
            "licence_expires_on": "2035-05-01",
            "submit": "1",
            "licence_document": SimpleUploadedFile(
                "p.pdf", b"%PDF", content_type="application/pdf"
            ),
            "identity_document": SimpleUploadedFile(
                "i.pdf", b"%PDF", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 302
    approval = DriverApproval.objects.get(user=user)
    assert approval.status == "submitted"


def test_sign_up_refused_shows_a_form_error_and_creates_nothing(
    alice: Tenant, client: Client
) -> None:
    param_set(
        actor=None,
        key="signup_email_domains",
        value=["mairie.example"],
        organisation=alice.organisation,
        community=alice.community,
    )
    response = client.post(
        f"/c/{alice.community.slug}/signup/",
        {
            "first_name": "Lou",
            "last_name": "Vial",
            "email": "lou@example.org",
            "password": "un-long-mot-de-passe",
        },
    )
    assert response.status_code == 200
    assert b"@mairie.example" in response.content
    assert not User.objects.filter(email="lou@example.org").exists()


def test_a_bad_verification_link_says_so(alice: Tenant, client: Client) -> None:
    response = client.get(f"/c/{alice.community.slug}/verify/forged/")
    assert response.status_code == 400


def test_a_validated_member_is_told_they_can_book(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    response = client.get(f"/c/{alice.community.slug}/")
    assert response.context["membership"] is not None
    assert response.context["refusals"] == []


def test_an_unvalidated_member_is_told_why_not(alice: Tenant, client: Client) -> None:
    DriverApproval.objects.filter(user=alice.member).update(status="submitted")
    client.force_login(alice.member)
    response = client.get(f"/c/{alice.community.slug}/")
    assert [r.code for r in response.context["refusals"]] == ["not_validated"]


def test_login_by_email(alice: Tenant, client: Client) -> None:
    from tests.factories import PASSWORD

    response = client.post("/login/", {"username": alice.member.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post("/login/", {"username": alice.member.email, "password": "wrong"})
    assert response.status_code == 200


def test_admin_is_for_operators_only(alice: Tenant, operator: User, client: Client) -> None:
    alice.manager.is_staff = True
    alice.manager.save()
    client.force_login(alice.manager)
    assert client.get("/admin/").status_code == 302
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/fleet/vehicle/").status_code == 200
