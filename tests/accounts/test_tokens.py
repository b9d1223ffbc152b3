from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from flotte.accounts.models import ApiToken, User
from flotte.accounts.tokens import api_token_authenticate, api_token_create, api_token_revoke
from flotte.core import clock
from flotte.core.errors import NotFound, ValidationFailed
from flotte.core.models import AuditEntry
from tests import factories as f
from tests.conftest import Api, Tenant

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def new_token(user: User, **extra: Any) -> tuple[ApiToken, str]:
    return api_token_create(user=user, name="Téléphone de Léa", **extra)


def bearer(raw: str) -> Client:
    """A plain client, without any session: only the token authenticates."""
    return Client(headers={"Authorization": f"Bearer {raw}"})


# The service


def test_a_token_is_returned_in_full_once_and_stored_as_prefix_and_hash(db: Any) -> None:
    token, raw = new_token(f.UserFactory())
    assert raw.startswith(f"flt_{token.prefix}_")
    assert len(token.prefix) == 10
    secret = raw.split("_", 2)[2]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    columns = [str(value) for value in model_to_dict(stored).values()]
    assert not any(secret in value or raw in value for value in columns)


def test_two_tokens_have_different_secrets(db: Any) -> None:
    user = f.UserFactory()
    (first, raw_1), (second, raw_2) = new_token(user), new_token(user)
    assert first.prefix != second.prefix
    assert raw_1 != raw_2


def test_a_token_authenticates_its_user(db: Any) -> None:
    user = f.UserFactory()
    _, raw = new_token(user)
    assert api_token_authenticate(raw) == user


def test_using_a_token_records_when_at_most_every_five_minutes(db: Any) -> None:
    token, raw = new_token(f.UserFactory())
    with clock.frozen(NOW):
        api_token_authenticate(raw)
    with clock.frozen(NOW + dt.timedelta(minutes=4)):
        api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == NOW
    with clock.frozen(NOW + dt.timedelta(minutes=6)):
        api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == NOW + dt.timedelta(minutes=6)


def test_a_token_with_a_wrong_secret_is_refused(db: Any) -> None:
    token, raw = new_token(f.UserFactory())
    forged = f"flt_{token.prefix}_{'A' * 43}"
    assert forged != raw
    assert api_token_authenticate(forged) is None


@pytest.mark.parametrize("raw", ["", "flt_", "flt_short_secret", "abc_0123456789_secret", "x"])
def test_a_malformed_token_is_refused(db: Any, raw: str) -> None:
    assert api_token_authenticate(raw) is None


def test_a_revoked_token_is_refused(db: Any) -> None:
    user = f.UserFactory()
    token, raw = new_token(user)
    api_token_revoke(user=user, token_id=token.pk)
    assert api_token_authenticate(raw) is None


def test_a_token_cannot_be_revoked_by_someone_else(db: Any) -> None:
    token, raw = new_token(f.UserFactory())
    with pytest.raises(NotFound):
        api_token_revoke(user=f.UserFactory(), token_id=token.pk)
    assert api_token_authenticate(raw) is not None


def test_revoking_is_audited(db: Any) -> None:
    user = f.UserFactory()
    token, _ = new_token(user)
    api_token_revoke(user=user, token_id=token.pk)
    assert AuditEntry.objects.filter(
        action="api_token.revoked", object_id=str(token.pk), actor=user
    ).exists()


def test_a_token_is_refused_once_expired(db: Any) -> None:
    user = f.UserFactory()
    with clock.frozen(NOW):
        token, raw = new_token(user, valid_days=30)
    assert token.expires_at == NOW + dt.timedelta(days=30)
    with clock.frozen(NOW + dt.timedelta(days=30, seconds=-1)):
        assert api_token_authenticate(raw) == user
    with clock.frozen(NOW + dt.timedelta(days=30)):
        assert api_token_authenticate(raw) is None


def test_a_token_without_validity_does_not_expire(db: Any) -> None:
    user = f.UserFactory()
    with clock.frozen(NOW):
        token, raw = new_token(user)
    assert token.expires_at is None
    with clock.frozen(NOW + dt.timedelta(days=3650)):
        assert api_token_authenticate(raw) == user


def test_the_token_of_a_deactivated_user_is_refused(db: Any) -> None:
    user = f.UserFactory()
    _, raw = new_token(user)
    user.is_active = False
    user.save()
    assert api_token_authenticate(raw) is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "root"}, "kind"),
        ({"valid_days": 0}, "valid_days"),
        ({"valid_days": 3651}, "valid_days"),
    ],
)
def test_a_token_request_with_bad_data_is_refused(
    db: Any, extra: dict[str, Any], field: str
) -> None:
    arguments = {"name": "Phone", **extra}
    with pytest.raises(ValidationFailed) as error:
        api_token_create(user=f.UserFactory(), **arguments)
    assert field in error.value.fields
    assert not ApiToken.objects.exists()


# Through the API


def ask_token(email: str, password: str = f.PASSWORD, **extra: Any) -> Any:
    return Api().post(
        "auth/token", {"email": email, "password": password, "name": "Phone", **extra}
    )


def test_the_api_gives_a_token_for_a_good_password(alice: Tenant) -> None:
    response = ask_token(alice.member.email.upper())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith(f"flt_{body['prefix']}_")
    assert (body["kind"], body["name"], body["expires_at"]) == ("app", "Phone", None)
    assert ApiToken.objects.get(pk=body["id"]).user == alice.member


def test_the_api_refuses_a_token_for_a_bad_password(alice: Tenant) -> None:
    response = ask_token(alice.member.email, "not-the-password")
    assert response.status_code == 401
    assert response.json() == {
        "code": "bad_credentials",
        "message": "wrong e-mail or password",
        "fields": {},
    }
    assert not ApiToken.objects.exists()


def test_the_api_refuses_a_token_for_an_unknown_email(db: Any) -> None:
    response = ask_token("nobody@example.net")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


def test_the_api_refuses_a_token_to_a_deactivated_user(alice: Tenant) -> None:
    User.objects.filter(pk=alice.member.pk).update(is_active=False)
    assert ask_token(alice.member.email).status_code == 401


def test_the_token_never_appears_in_the_token_list(alice: Tenant) -> None:
    raw = ask_token(alice.member.email).json()["token"]
    response = bearer(raw).get("/api/v1/auth/tokens")
    assert response.status_code == 200
    assert raw.split("_", 2)[2] not in response.content.decode()
    assert [t["name"] for t in response.json()] == ["Phone"]


def test_a_bearer_token_authenticates_an_api_call_without_session(alice: Tenant) -> None:
    raw = ask_token(alice.member.email).json()["token"]
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 200, response.content
    assert response.json()["email"] == alice.member.email
    assert "sessionid" not in response.cookies


def test_an_api_call_without_credentials_is_401(db: Any) -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_an_api_call_with_a_revoked_token_is_401(alice: Tenant) -> None:
    body = ask_token(alice.member.email).json()
    client = bearer(body["token"])
    assert client.delete(f"/api/v1/auth/tokens/{body['id']}").status_code == 204
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_token_sees_its_own_organisation(alice: Tenant) -> None:
    raw = ask_token(alice.manager.email).json()["token"]
    response = bearer(raw).get(f"/api/v1/organisations/{alice.organisation.pk}")
    assert response.status_code == 200
    assert response.json()["slug"] == alice.organisation.slug


def test_a_token_of_another_organisation_gets_404(alice: Tenant, bob: Tenant) -> None:
    raw = ask_token(bob.manager.email).json()["token"]
    response = bearer(raw).get(f"/api/v1/organisations/{alice.organisation.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_member_token_of_another_organisation_gets_404(alice: Tenant, bob: Tenant) -> None:
    raw = ask_token(bob.member.email).json()["token"]
    response = bearer(raw).get(f"/api/v1/organisations/{alice.organisation.pk}")
    assert response.status_code == 404
