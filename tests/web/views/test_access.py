"""Every page of the console and of the member app, found from the URL
patterns rather than listed by hand, refuses whoever it is not for: in the
console a member is refused (403) and another organisation's manager finds
nothing (404); in the member app a visitor logs in first and anyone of
another community finds nothing (404), whatever the object named."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from flotte.web.urls import urlpatterns
from tests.conftest import Tenant

CONSOLE = [p for p in urlpatterns if str(p.pattern).startswith("manage/<int:org_id>/")]


def address(pattern: URLPattern, org_id: int) -> str:
    """The page's address in this organisation, naming object 1 (or "x")."""
    filler = {"IntConverter": 1, "UUIDConverter": uuid.uuid4()}
    kwargs = {
        name: org_id if name == "org_id" else filler.get(type(converter).__name__, "x")
        for name, converter in pattern.pattern.converters.items()
    }
    return reverse(f"web:{pattern.name}", kwargs=kwargs)


def answer(client: Client, path: str) -> int:
    status = client.get(path).status_code
    if status == 405:
        status = client.post(path).status_code
    return status


def test_the_console_has_its_pages() -> None:
    assert len(CONSOLE) > 40


@pytest.mark.parametrize("pattern", CONSOLE, ids=lambda p: p.name)
def test_a_visitor_logs_in_a_member_is_refused_and_another_organisation_finds_nothing(
    alice: Tenant, bob: Tenant, client: Client, pattern: URLPattern
) -> None:
    path = address(pattern, alice.organisation.pk)
    visitor = client.get(path)
    if visitor.status_code == 405:
        visitor = client.post(path)
    assert visitor.status_code == 302 and "/login/" in visitor["Location"], path
    client.force_login(alice.member)
    assert answer(client, path) == 403, path
    client.force_login(bob.manager)
    assert answer(client, path) == 404, path


# The member app: every page of a community but its public ones (its page,
# sign-up, e-mail confirmation, joining, its manifest) is for its members.
PUBLIC = {"community", "signup", "verify", "join", "community_manifest"}
MEMBER_APP = [
    p for p in urlpatterns if str(p.pattern).startswith("c/<slug:slug>/") and p.name not in PUBLIC
]


def member_address(pattern: URLPattern, slug: str) -> str:
    filler = {"IntConverter": 1, "UUIDConverter": uuid.uuid4()}
    kwargs = {
        name: slug if name == "slug" else filler.get(type(converter).__name__, "x")
        for name, converter in pattern.pattern.converters.items()
    }
    return reverse(f"web:{pattern.name}", kwargs=kwargs)


def test_the_member_app_has_its_pages() -> None:
    assert len(MEMBER_APP) > 30


@pytest.mark.parametrize("pattern", MEMBER_APP, ids=lambda p: p.name)
def test_someone_of_another_community_finds_nothing_and_a_visitor_logs_in(
    alice: Tenant, bob: Tenant, client: Client, pattern: URLPattern
) -> None:
    path = member_address(pattern, alice.community.slug)
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path)
    assert response.status_code == 302 and "/login/" in response["Location"], path
    client.force_login(bob.member)
    assert answer(client, path) == 404, path
    client.force_login(bob.manager)
    assert answer(client, path) == 404, path
