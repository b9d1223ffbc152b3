"""Mailings in the console: write to a community or a group, see how many
members it reaches, send it in batches, and the past mailings with their
sent counts and unsubscribes; refusals on the form, nothing changed; another
organisation's managers reach nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from flotte.core import clock
from flotte.notify.models import Mailing, MailingOptOut, MailingRecipient
from tests import factories as f
from tests.conftest import Tenant


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.force_login(alice.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/mailings/{rest}"


def mailing_data(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {
        "audience": f"community:{tenant.community.pk}",
        "subject_fr": "Nouvelle station à la gare",
        "body_fr": "Une nouvelle station ouvre lundi.",
        "subject_en": "",
        "body_en": "",
        **extra,
    }


def more_members(tenant: Tenant, count: int) -> list[Any]:
    people = []
    for index in range(count):
        person = f.UserFactory(email=f"reader-{index}@example.org")
        f.MembershipFactory(
            user=person, community=tenant.community, group=tenant.community.default_group
        )
        people.append(person)
    return people


def test_the_console_menu_leads_to_the_mailings(alice: Tenant, manager: Client) -> None:
    page = manager.get(f"/manage/{alice.organisation.pk}/")
    assert f'href="{url(alice)}"' in page.content.decode()
    assert manager.get(url(alice)).status_code == 200


def test_a_manager_writes_previews_and_sends_a_mailing_in_batches(
    alice: Tenant, manager: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAILING_BATCH_SIZE = 2
    more_members(alice, 2)  # with Alice's member: 3 readers
    response = manager.post(url(alice), mailing_data(alice))
    mailing = Mailing.objects.get()
    assert response.status_code == 302 and response["Location"] == url(alice, f"{mailing.pk}/")
    assert mailing.state == "draft" and mailing.community == alice.community
    preview = manager.get(response["Location"])
    assert preview.context["audience"] == 3
    assert "3 members will receive it" in preview.content.decode()
    assert "Nouvelle station à la gare" in preview.content.decode()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        sent = manager.post(url(alice, f"{mailing.pk}/send/"))
    assert sent.status_code == 302
    mailing.refresh_from_db()
    assert (mailing.state, mailing.batches) == ("sent", 2)
    assert sorted(set(MailingRecipient.objects.values_list("batch", flat=True))) == [0, 1]
    assert len(mail.outbox) == 3
    assert all(
        "unsubscribe" in message.extra_headers["List-Unsubscribe"] for message in mail.outbox
    )

    listing = manager.get(url(alice))
    [item] = listing.context["mailings"]
    assert (item.counts["sent"], item.recipients, item.unsubscribed) == (3, 3, 0)


def test_the_list_counts_those_who_unsubscribed_since(
    alice: Tenant, manager: Client, django_capture_on_commit_callbacks: Any
) -> None:
    [reader] = more_members(alice, 1)
    manager.post(url(alice), mailing_data(alice))
    mailing = Mailing.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(url(alice, f"{mailing.pk}/send/"))
    MailingOptOut.objects.create(
        organisation=alice.organisation, user=reader, created_at=clock.now(), source="link"
    )
    [item] = manager.get(url(alice)).context["mailings"]
    assert item.unsubscribed == 1
    page = manager.get(url(alice, f"{mailing.pk}/"))
    assert page.context["unsubscribed"] == 1
    assert manager.get(url(alice)).context["opted_out"] == 1


def test_a_group_is_an_audience_and_its_preview_leaves_out_who_unsubscribed(
    alice: Tenant, manager: Client
) -> None:
    [_reader, gone] = more_members(alice, 2)
    MailingOptOut.objects.create(
        organisation=alice.organisation, user=gone, created_at=clock.now(), source="link"
    )
    group = alice.community.default_group
    response = manager.post(url(alice), mailing_data(alice, audience=f"group:{group.pk}"))
    mailing = Mailing.objects.get()
    assert response.status_code == 302 and mailing.group == group
    assert manager.get(url(alice, f"{mailing.pk}/")).context["audience"] == 2


def test_sending_twice_is_refused_and_sends_nothing_more(
    alice: Tenant, manager: Client, django_capture_on_commit_callbacks: Any
) -> None:
    manager.post(url(alice), mailing_data(alice))
    mailing = Mailing.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(url(alice, f"{mailing.pk}/send/"))
        again = manager.post(url(alice, f"{mailing.pk}/send/"), follow=True)
    assert "This mailing was sent already." in again.content.decode()
    assert len(mail.outbox) == 1
    assert MailingRecipient.objects.count() == 1


def test_a_subject_without_its_message_is_refused_on_the_form(
    alice: Tenant, manager: Client
) -> None:
    page = manager.post(url(alice), mailing_data(alice, body_fr=""))
    assert page.status_code == 400
    assert "body_fr" in page.context["form"].errors
    assert not Mailing.objects.exists()


def test_a_mailing_without_any_text_or_audience_is_refused(alice: Tenant, manager: Client) -> None:
    empty = manager.post(url(alice), mailing_data(alice, subject_fr="", body_fr=""))
    assert empty.status_code == 400 and empty.context["form"].errors
    nowhere = manager.post(url(alice), mailing_data(alice, audience="somewhere"))
    assert nowhere.status_code == 400 and "audience" in nowhere.context["form"].errors
    long_subject = manager.post(url(alice), mailing_data(alice, subject_fr="x" * 201))
    assert long_subject.status_code == 400 and "subject_fr" in long_subject.context["form"].errors
    assert not Mailing.objects.exists()


def test_a_community_manager_writes_to_their_community_but_not_to_a_group(
    alice: Tenant, client: Client
) -> None:
    community_manager = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=community_manager, community=alice.community, role="manager")
    client.force_login(community_manager)
    group = alice.community.default_group
    page = client.post(url(alice), mailing_data(alice, audience=f"group:{group.pk}"))
    assert page.status_code == 400 and "audience" in page.context["form"].errors
    assert client.post(url(alice), mailing_data(alice)).status_code == 302
    assert Mailing.objects.get().community == alice.community


def test_a_member_is_refused(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(url(alice)).status_code == 403
    assert client.post(url(alice), mailing_data(alice)).status_code == 403
    assert not Mailing.objects.exists()


def test_another_organisation_reaches_none_of_it(
    alice: Tenant, bob: Tenant, manager: Client, client: Client
) -> None:
    # Alice's manager cannot write to Bob's community or group.
    for audience in (f"community:{bob.community.pk}", f"group:{bob.community.default_group.pk}"):
        page = manager.post(url(alice), mailing_data(alice, audience=audience))
        assert page.status_code == 400 and "audience" in page.context["form"].errors
    manager.post(url(alice), mailing_data(alice))
    mailing = Mailing.objects.get()
    client.force_login(bob.manager)
    assert client.get(url(alice)).status_code == 404
    assert client.post(url(alice), mailing_data(alice)).status_code == 404
    assert client.get(url(bob, f"{mailing.pk}/")).status_code == 404
    assert client.post(url(bob, f"{mailing.pk}/send/")).status_code == 404
    assert [m.mailing for m in client.get(url(bob)).context["mailings"]] == []
    mailing.refresh_from_db()
    assert mailing.state == "draft" and Mailing.objects.count() == 1
    assert mail.outbox == []
