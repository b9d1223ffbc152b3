from __future__ import annotations

from django.test import Client

from flotte.accounts.throttle import (
    MAX_FAILURES_PER_EMAIL,
    MAX_FAILURES_PER_IP,
    login_blocked,
    login_failed,
    login_succeeded,
)
from tests.conftest import Api, Tenant
from tests.factories import PASSWORD


def test_an_address_is_blocked_after_too_many_failures() -> None:
    for _ in range(MAX_FAILURES_PER_EMAIL - 1):
        login_failed("a@example.org", None)
    assert not login_blocked("a@example.org", None)
    login_failed("A@Example.org ", None)
    assert login_blocked("a@example.org", None)
    assert not login_blocked("b@example.org", None)


def test_an_ip_address_is_blocked_after_failures_on_many_addresses() -> None:
    for number in range(MAX_FAILURES_PER_IP):
        login_failed(f"user{number}@example.org", "192.0.2.7")
    assert login_blocked("fresh@example.org", "192.0.2.7")
    assert not login_blocked("fresh@example.org", "192.0.2.8")


def test_a_success_clears_the_address_count() -> None:
    for _ in range(MAX_FAILURES_PER_EMAIL - 1):
        login_failed("a@example.org", None)
    login_succeeded("a@example.org", None)
    login_failed("a@example.org", None)
    assert not login_blocked("a@example.org", None)


def test_the_token_endpoint_answers_429_once_an_address_is_blocked(alice: Tenant) -> None:
    body = {"email": alice.member.email, "password": "wrong", "name": "phone"}
    for _ in range(MAX_FAILURES_PER_EMAIL):
        assert Api().post("auth/token", body).status_code == 401
    response = Api().post("auth/token", {**body, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"


def test_the_web_login_is_throttled_too(alice: Tenant) -> None:
    client = Client()
    for _ in range(MAX_FAILURES_PER_EMAIL):
        client.post("/login/", {"username": alice.member.email, "password": "wrong"})
    response = client.post("/login/", {"username": alice.member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
