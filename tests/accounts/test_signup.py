from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail, signing

from flotte.accounts import params
from flotte.accounts.models import Invitation, Membership, User
from flotte.accounts.parameters import param_set
from flotte.accounts.signup import (
    VERIFY_SALT,
    community_join,
    invitation_accept,
    invitation_create,
    invitation_signup,
    invitation_token,
    signup_start,
    signup_verify,
    verification_token,
)
from flotte.core import clock
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Api, Tenant

PASSWORD = "a-rather-unusual-passphrase"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def link_token(message: Any, kind: str) -> str:
    """The signed token at the end of the link in an e-mail."""
    match = re.search(rf"/{kind}/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(tenant: Tenant, email: str = "newcomer@example.net", **extra: Any) -> User:
    return signup_start(community=tenant.community, email=email, password=PASSWORD, **extra)


def invite(tenant: Tenant, email: str = "guest@example.net", **extra: Any) -> Invitation:
    return invitation_create(actor=tenant.manager, community=tenant.community, email=email, **extra)


# Sign-up on a community page


def test_signup_creates_an_unverified_account_without_membership(alice: Tenant) -> None:
    user = sign_up(alice, "  NewComer@Example.NET ", first_name=" Léa ")
    assert user.email == "newcomer@example.net"
    assert user.first_name == "Léa"
    assert user.check_password(PASSWORD)
    assert user.email_verified_at is None
    assert not Membership.objects.filter(user=user).exists()


def test_signup_is_audited_in_the_communitys_organisation(alice: Tenant) -> None:
    user = sign_up(alice)
    entry = AuditEntry.objects.get(action="user.signed_up", object_id=str(user.pk))
    assert entry.organisation == alice.organisation
    assert entry.actor == user
    assert entry.data == {"community": alice.community.slug}


def test_signup_sends_a_verification_link_that_joins_the_default_group(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = sign_up(alice)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.net"]
    assert alice.community.name in mail.outbox[0].subject

    membership = signup_verify(link_token(mail.outbox[0], "verify"))

    assert membership.user == user
    assert membership.community == alice.community
    assert membership.role == Membership.Role.MEMBER
    assert membership.group == alice.community.default_group
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_verification_email_is_sent_only_after_commit(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign_up(alice)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_verification_link_works_for_48_hours_by_default(alice: Tenant) -> None:
    user = sign_up(alice)
    with clock.frozen(NOW):
        token = verification_token(user, alice.community)
    with clock.frozen(NOW + dt.timedelta(hours=47)):
        assert signup_verify(token).user == user


def test_verification_link_is_refused_after_48_hours_by_default(alice: Tenant) -> None:
    user = sign_up(alice)
    with clock.frozen(NOW):
        token = verification_token(user, alice.community)
    with clock.frozen(NOW + dt.timedelta(hours=49)), pytest.raises(ValidationFailed) as error:
        signup_verify(token)
    assert error.value.code == "token_expired"
    assert not Membership.objects.filter(user=user).exists()


def test_verification_validity_hours_parameter_shortens_the_link(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.VERIFICATION_VALIDITY.key,
        value=2,
        organisation=alice.organisation,
        community=alice.community,
    )
    user = sign_up(alice)
    with clock.frozen(NOW):
        token = verification_token(user, alice.community)
    with clock.frozen(NOW + dt.timedelta(hours=3)), pytest.raises(ValidationFailed) as error:
        signup_verify(token)
    assert error.value.code == "token_expired"
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        assert signup_verify(token).community == alice.community


@pytest.mark.parametrize("token", ["", "not-a-token", "eyJ1IjoxfQ:1tXyZ:forged"])
def test_a_malformed_verification_link_is_refused(alice: Tenant, token: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        signup_verify(token)
    assert error.value.code == "bad_token"


def test_a_tampered_verification_link_is_refused(alice: Tenant) -> None:
    user = sign_up(alice)
    token = verification_token(user, alice.community)
    with pytest.raises(ValidationFailed) as error:
        signup_verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert error.value.code == "bad_token"


def test_a_verification_link_without_its_issue_time_is_refused(alice: Tenant) -> None:
    user = sign_up(alice)
    token = signing.dumps({"u": user.pk, "c": alice.community.pk}, salt=VERIFY_SALT)
    with pytest.raises(ValidationFailed) as error:
        signup_verify(token)
    assert error.value.code == "bad_token"


def test_an_invitation_link_is_not_a_verification_link(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        signup_verify(invitation_token(invite(alice)))
    assert error.value.code == "bad_token"


def test_verification_link_of_a_deactivated_account_is_refused(alice: Tenant) -> None:
    user = sign_up(alice)
    token = verification_token(user, alice.community)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(ValidationFailed):
        signup_verify(token)


def test_signup_with_a_verified_address_tells_its_owner_and_creates_nothing(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    users = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        returned = sign_up(alice, alice.member.email.upper())
    assert returned == alice.member
    assert User.objects.count() == users
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.member.email]
    assert "qui a déjà un compte" in mail.outbox[0].body  # French by default
    assert f"/c/{alice.community.slug}/" in mail.outbox[0].body


def test_signup_again_before_verifying_sends_a_new_link(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    user = sign_up(alice)
    with django_capture_on_commit_callbacks(execute=True):
        again = sign_up(alice)
    assert again == user
    membership = signup_verify(link_token(mail.outbox[-1], "verify"))
    assert membership.user == user


def test_signup_with_a_weak_password_fails_on_the_password_field(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        signup_start(community=alice.community, email="weak@example.net", password="1234")
    assert set(error.value.fields) == {"password"}
    assert not User.objects.filter(email="weak@example.net").exists()


def test_signup_refuses_a_password_like_the_email(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        signup_start(
            community=alice.community, email="jeanmichel@example.net", password="jeanmichel1"
        )
    assert "password" in error.value.fields


def test_signup_with_an_invalid_email_fails_on_the_email_field(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        sign_up(alice, "not-an-address")
    assert error.value.fields == {"email": "invalid address"}


def test_signup_is_refused_when_the_community_is_closed(alice: Tenant) -> None:
    alice.community.signup_open = False
    alice.community.save()
    with pytest.raises(PermissionDenied) as error:
        sign_up(alice)
    assert error.value.code == "invitation_only"
    assert not User.objects.filter(email="newcomer@example.net").exists()


def test_invitation_only_parameter_refuses_signup(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.INVITATION_ONLY.key,
        value=True,
        organisation=alice.organisation,
    )
    with pytest.raises(PermissionDenied) as error:
        sign_up(alice)
    assert error.value.code == "invitation_only"


def test_a_community_can_reopen_signup_its_organisation_keeps_to_invitations(
    alice: Tenant,
) -> None:
    key = params.INVITATION_ONLY.key
    param_set(actor=alice.manager, key=key, value=True, organisation=alice.organisation)
    param_set(
        actor=alice.manager,
        key=key,
        value=False,
        organisation=alice.organisation,
        community=alice.community,
    )
    assert sign_up(alice).pk is not None


def test_invitation_only_in_one_organisation_does_not_close_another(
    alice: Tenant, bob: Tenant
) -> None:
    param_set(
        actor=bob.manager, key=params.INVITATION_ONLY.key, value=True, organisation=bob.organisation
    )
    assert sign_up(alice).pk is not None


def test_email_domains_parameter_refuses_other_domains(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["ville-alice.fr"],
        organisation=alice.organisation,
        community=alice.community,
    )
    with pytest.raises(PermissionDenied) as error:
        sign_up(alice, "someone@gmail.com")
    assert error.value.code == "email_domain_refused"
    assert "@ville-alice.fr" in error.value.message
    assert error.value.fields == {"email": "address not accepted by this community"}


def test_email_domains_parameter_accepts_a_listed_domain_whatever_its_case(
    alice: Tenant,
) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["Ville-Alice.fr", "cc-alice.fr"],
        organisation=alice.organisation,
    )
    assert sign_up(alice, "Agent@VILLE-ALICE.FR").email == "agent@ville-alice.fr"


def test_email_domains_do_not_accept_a_lookalike_subdomain(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["ville-alice.fr"],
        organisation=alice.organisation,
    )
    with pytest.raises(PermissionDenied):
        sign_up(alice, "someone@ville-alice.fr.evil.example")


# Joining one more community


def test_a_verified_user_joins_another_community_in_its_default_group(
    alice: Tenant, bob: Tenant
) -> None:
    membership = community_join(user=bob.member, community=alice.community)
    assert membership.community == alice.community
    assert membership.group == alice.community.default_group
    assert membership.role == Membership.Role.MEMBER


def test_an_unverified_user_cannot_join_a_community(alice: Tenant) -> None:
    user = sign_up(alice)
    other = f.CommunityFactory(organisation=alice.organisation)
    with pytest.raises(PermissionDenied) as error:
        community_join(user=user, community=other)
    assert error.value.code == "email_not_verified"


def test_joining_a_community_twice_conflicts(alice: Tenant) -> None:
    with pytest.raises(Conflict) as error:
        community_join(user=alice.member, community=alice.community)
    assert error.value.code == "already_member"


def test_joining_an_invitation_only_community_is_refused(alice: Tenant, bob: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.INVITATION_ONLY.key,
        value=True,
        organisation=alice.organisation,
    )
    with pytest.raises(PermissionDenied):
        community_join(user=bob.member, community=alice.community)
    assert not Membership.objects.filter(user=bob.member, community=alice.community).exists()


def test_joining_applies_the_email_domains_of_the_community(alice: Tenant, bob: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["ville-alice.fr"],
        organisation=alice.organisation,
    )
    with pytest.raises(PermissionDenied) as error:
        community_join(user=bob.member, community=alice.community)
    assert error.value.code == "email_domain_refused"


# Invitations


def test_a_manager_invites_someone_for_14_days_by_default(alice: Tenant) -> None:
    with clock.frozen(NOW):
        invitation = invite(alice, "Guest@Example.NET", role="manager")
    assert invitation.email == "guest@example.net"
    assert invitation.role == "manager"
    assert invitation.invited_by == alice.manager
    assert invitation.expires_at == NOW + dt.timedelta(days=14)


def test_invitation_validity_days_parameter_sets_the_expiry(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.INVITATION_VALIDITY.key,
        value=3,
        organisation=alice.organisation,
        community=alice.community,
    )
    with clock.frozen(NOW):
        invitation = invite(alice)
    assert invitation.expires_at == NOW + dt.timedelta(days=3)


def test_a_community_manager_may_invite_to_their_community(alice: Tenant) -> None:
    lead = f.UserFactory()
    f.MembershipFactory(user=lead, community=alice.community, role=Membership.Role.MANAGER)
    invitation = invitation_create(actor=lead, community=alice.community, email="x@example.net")
    assert invitation.invited_by == lead


def test_a_member_may_not_invite(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        invitation_create(actor=alice.member, community=alice.community, email="x@example.net")
    assert not Invitation.objects.exists()


def test_a_manager_of_another_organisation_may_not_invite(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        invitation_create(actor=bob.manager, community=alice.community, email="x@example.net")
    assert not Invitation.objects.exists()


def test_an_invitation_into_another_organisations_group_is_refused(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        invite(alice, group=bob.community.default_group)


def test_inviting_a_current_member_conflicts(alice: Tenant) -> None:
    with pytest.raises(Conflict) as error:
        invite(alice, alice.member.email)
    assert error.value.code == "already_member"


def test_inviting_with_an_unknown_role_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        invite(alice, role="owner")
    assert error.value.fields == {"role": "unknown role"}


def test_inviting_the_same_address_again_renews_the_pending_invitation(alice: Tenant) -> None:
    with clock.frozen(NOW):
        first = invite(alice)
    with clock.frozen(NOW + dt.timedelta(days=10)):
        again = invite(alice, role="manager")
    assert again.pk == first.pk
    assert again.role == "manager"
    assert again.expires_at == NOW + dt.timedelta(days=24)
    assert Invitation.objects.count() == 1


def test_the_invitation_email_carries_a_link_that_can_be_accepted(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    user = f.UserFactory(email="guest@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        invite(alice, user.email)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["guest@example.net"]
    membership = invitation_accept(token=link_token(mail.outbox[0], "invitation"), user=user)
    assert membership.community == alice.community


def test_accepting_an_invitation_gives_its_role_and_group(alice: Tenant) -> None:
    group = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    user = f.UserFactory(email="guest@example.net")
    invitation = invite(alice, role="manager", group=group)
    membership = invitation_accept(token=invitation_token(invitation), user=user)
    assert (membership.role, membership.group) == ("manager", group)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_accepting_an_invitation_without_a_group_uses_the_default_group(alice: Tenant) -> None:
    user = f.UserFactory(email="guest@example.net")
    membership = invitation_accept(token=invitation_token(invite(alice)), user=user)
    assert membership.group == alice.community.default_group


def test_accepting_an_invitation_verifies_the_address(alice: Tenant) -> None:
    user = f.UserFactory(email="guest@example.net", email_verified_at=None)
    invitation_accept(token=invitation_token(invite(alice)), user=user)
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_an_invitation_is_refused_to_another_address(alice: Tenant, bob: Tenant) -> None:
    token = invitation_token(invite(alice))
    with pytest.raises(PermissionDenied) as error:
        invitation_accept(token=token, user=bob.member)
    assert error.value.code == "invitation_other_email"
    assert not Membership.objects.filter(user=bob.member, community=alice.community).exists()


def test_an_invitation_cannot_be_used_twice(alice: Tenant) -> None:
    user = f.UserFactory(email="guest@example.net")
    token = invitation_token(invite(alice))
    invitation_accept(token=token, user=user)
    with pytest.raises(Conflict) as error:
        invitation_accept(token=token, user=user)
    assert error.value.code == "invitation_used"


def test_an_invitation_is_refused_after_its_configured_validity(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.INVITATION_VALIDITY.key,
        value=3,
        organisation=alice.organisation,
    )
    user = f.UserFactory(email="guest@example.net")
    with clock.frozen(NOW):
        token = invitation_token(invite(alice))
    with (
        clock.frozen(NOW + dt.timedelta(days=3, seconds=1)),
        pytest.raises(ValidationFailed) as error,
    ):
        invitation_accept(token=token, user=user)
    assert error.value.code == "invitation_expired"
    with clock.frozen(NOW + dt.timedelta(days=2)):
        assert invitation_accept(token=token, user=user).community == alice.community


def test_a_tampered_invitation_link_is_refused(alice: Tenant) -> None:
    user = f.UserFactory(email="guest@example.net")
    token = invitation_token(invite(alice))
    with pytest.raises(ValidationFailed) as error:
        invitation_accept(token=token + "x", user=user)
    assert error.value.code == "bad_token"


def test_invitation_signup_creates_a_verified_account_and_membership(alice: Tenant) -> None:
    token = invitation_token(invite(alice, "Guest@Example.net", role="manager"))
    membership = invitation_signup(
        token=token, password=PASSWORD, first_name=" Jeanne ", last_name="Martin"
    )
    user = membership.user
    assert user.email == "guest@example.net"
    assert user.first_name == "Jeanne"
    assert user.check_password(PASSWORD)
    assert user.email_verified_at is not None
    assert (membership.community, membership.role) == (alice.community, "manager")


def test_invitation_signup_ignores_closed_signup(alice: Tenant) -> None:
    alice.community.signup_open = False
    alice.community.save()
    token = invitation_token(invite(alice))
    assert invitation_signup(token=token, password=PASSWORD).community == alice.community


def test_invitation_signup_for_a_registered_address_conflicts(alice: Tenant, bob: Tenant) -> None:
    token = invitation_token(invite(alice, bob.member.email))
    with pytest.raises(Conflict) as error:
        invitation_signup(token=token, password=PASSWORD)
    assert error.value.code == "account_exists"


def test_invitation_signup_with_a_weak_password_creates_nothing(alice: Tenant) -> None:
    invitation = invite(alice)
    with pytest.raises(ValidationFailed) as error:
        invitation_signup(token=invitation_token(invitation), password="password")
    assert "password" in error.value.fields
    assert not User.objects.filter(email="guest@example.net").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# Through the API


def signup_url(tenant: Tenant) -> str:
    return f"communities/public/{tenant.community.slug}/signup"


def assert_error_body(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]


def test_api_signup_answers_201_and_sends_the_verification_email(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Api().post(
            signup_url(alice), {"email": "newcomer@example.net", "password": PASSWORD}
        )
    assert response.status_code == 201, response.content
    assert "e-mail" in response.json()["message"]
    assert User.objects.filter(email="newcomer@example.net", email_verified_at=None).exists()
    assert mail.outbox[0].to == ["newcomer@example.net"]


def test_api_signup_on_a_closed_community_is_403(alice: Tenant) -> None:
    alice.community.signup_open = False
    alice.community.save()
    response = Api().post(signup_url(alice), {"email": "x@example.net", "password": PASSWORD})
    assert response.status_code == 403
    assert_error_body(response.json(), "invitation_only")


def test_api_signup_outside_the_email_domains_is_403_with_the_email_field(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["ville-alice.fr"],
        organisation=alice.organisation,
    )
    response = Api().post(signup_url(alice), {"email": "x@example.net", "password": PASSWORD})
    assert response.status_code == 403
    assert_error_body(response.json(), "email_domain_refused")
    assert set(response.json()["fields"]) == {"email"}


def test_api_signup_answers_the_same_for_a_registered_address(alice: Tenant) -> None:
    """The form must not tell who has an account."""
    new = Api().post(signup_url(alice), {"email": "new@example.net", "password": PASSWORD})
    known = Api().post(signup_url(alice), {"email": alice.member.email, "password": PASSWORD})
    assert new.status_code == known.status_code == 201
    assert new.json() == known.json()


def test_api_signup_without_a_password_is_422(alice: Tenant) -> None:
    response = Api().post(signup_url(alice), {"email": "x@example.net"})
    assert response.status_code == 422
    assert_error_body(response.json(), "invalid")
    assert "password" in response.json()["fields"]


def test_api_signup_with_an_unknown_field_is_422(alice: Tenant) -> None:
    response = Api().post(
        signup_url(alice),
        {"email": "x@example.net", "password": PASSWORD, "is_operator": True},
    )
    assert response.status_code == 422
    assert "is_operator" in response.json()["fields"]
    assert not User.objects.filter(email="x@example.net").exists()


def test_api_signup_with_a_weak_password_is_400_with_the_password_field(alice: Tenant) -> None:
    response = Api().post(signup_url(alice), {"email": "x@example.net", "password": "1234"})
    assert response.status_code == 400
    assert_error_body(response.json(), "invalid")
    assert set(response.json()["fields"]) == {"password"}


def test_api_signup_to_an_unknown_community_is_404(db: Any) -> None:
    response = Api().post(
        "communities/public/nowhere/signup", {"email": "x@example.net", "password": PASSWORD}
    )
    assert response.status_code == 404
    assert_error_body(response.json(), "not_found")


def test_api_verify_joins_the_community(alice: Tenant) -> None:
    user = sign_up(alice)
    response = Api().post(
        "communities/verify", {"token": verification_token(user, alice.community)}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["community_slug"] == alice.community.slug
    assert body["group_id"] == alice.community.default_group_id
    assert Membership.objects.filter(user=user, community=alice.community).exists()


def test_api_verify_with_a_bad_token_is_400(alice: Tenant) -> None:
    response = Api().post("communities/verify", {"token": "forged"})
    assert response.status_code == 400
    assert_error_body(response.json(), "bad_token")


def test_api_verify_with_an_expired_token_is_400(alice: Tenant) -> None:
    user = sign_up(alice)
    with clock.frozen(NOW):
        token = verification_token(user, alice.community)
    with clock.frozen(NOW + dt.timedelta(days=3)):
        response = Api().post("communities/verify", {"token": token})
    assert response.status_code == 400
    assert_error_body(response.json(), "token_expired")


def test_an_invitation_to_an_existing_member_brings_its_group_and_manager_role(
    alice: Tenant,
) -> None:
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    invitation = Invitation.objects.create(
        community=alice.community,
        email=alice.member.email,
        role="manager",
        group=elected,
        invited_by=alice.manager,
        created_at=clock.now(),
        expires_at=clock.now() + dt.timedelta(days=3),
    )
    membership = invitation_accept(token=invitation_token(invitation), user=alice.member)
    assert (membership.role, membership.group) == ("manager", elected)


def test_email_domains_may_be_written_with_an_at_sign(alice: Tenant) -> None:
    param_set(
        actor=alice.manager,
        key=params.EMAIL_DOMAINS.key,
        value=["@ville-alice.fr"],
        organisation=alice.organisation,
        community=alice.community,
    )
    assert sign_up(alice, "agent@ville-alice.fr").email == "agent@ville-alice.fr"
    with pytest.raises(PermissionDenied):
        sign_up(alice, "someone@example.net")
