"""Mailings to a community or a group: written by a manager, sent in
batches by the workers, each with its unsubscribe link and headers;
unsubscribing stops mailings, never the mandatory notifications."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.notify.mailings import mailing_batch_send, mailing_create, mailing_send
from flotte.notify.models import Mailing, MailingOptOut, MailingRecipient
from flotte.notify.services import notify
from tests import factories as f
from tests.conftest import Tenant
from tests.notify.conftest import emails_to


def members(tenant: Tenant, count: int, group: Any = None, language: str = "fr") -> list[Any]:
    people = []
    for _ in range(count):
        person = f.UserFactory(language=language)
        f.MembershipFactory(user=person, community=tenant.community, group=group)
        people.append(person)
    return people


def draft(tenant: Tenant, **fields: Any) -> Mailing:
    values = {"subject_fr": "Nouvelle station", "body_fr": "Une station ouvre rue Haute."}
    return mailing_create(
        actor=tenant.manager,
        organisation=tenant.organisation,
        community=fields.pop("community", tenant.community),
        **(values | fields),
    )


def unsubscribe_link(message: Any) -> str:
    found = re.search(r"https?://\S+/n/unsubscribe/\S+/", message.body)
    assert found is not None
    return found.group(0)


def test_a_mailing_reaches_the_community_in_batches(
    alice: Tenant, delivered: Any, settings: Any
) -> None:
    settings.MAILING_BATCH_SIZE = 2
    members(alice, 3)  # with the manager's member: 4 people
    mailing = draft(alice)
    with delivered() as queued:
        mailing = mailing_send(actor=alice.manager, mailing=mailing)
    assert mailing.batches == 2
    assert len(queued) == 2  # one task per batch
    assert sorted(MailingRecipient.objects.values_list("batch", flat=True)) == [0, 0, 1, 1]
    assert len(mail.outbox) == 4
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.SENT and mailing.finished_at is not None


def test_the_batch_size_is_a_setting(alice: Tenant, settings: Any) -> None:
    settings.MAILING_BATCH_SIZE = 1
    members(alice, 2)
    assert mailing_send(actor=alice.manager, mailing=draft(alice)).batches == 3


def test_each_mail_has_an_unsubscribe_link_and_the_list_headers(
    alice: Tenant, delivered: Any
) -> None:
    with delivered():
        mailing_send(actor=alice.manager, mailing=draft(alice))
    [message] = emails_to(alice.member)
    link = unsubscribe_link(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.subject == "Nouvelle station"
    assert message.body.startswith("Une station ouvre rue Haute.")


def test_each_member_reads_their_language_or_the_other_one(alice: Tenant, delivered: Any) -> None:
    [english] = members(alice, 1, language="en")
    with delivered():
        mailing_send(
            actor=alice.manager,
            mailing=draft(alice, subject_en="New station", body_en="A station opens."),
        )
    assert emails_to(english)[0].subject == "New station"
    assert "To stop receiving the mailings" in emails_to(english)[0].body
    assert emails_to(alice.member)[0].subject == "Nouvelle station"
    french_only = draft(alice)
    with delivered():
        mailing_send(actor=alice.manager, mailing=french_only)
    assert emails_to(english)[-1].subject == "Nouvelle station"


def test_a_mailing_to_a_group_reaches_its_members_only(alice: Tenant, delivered: Any) -> None:
    elected = f.UserGroupFactory(organisation=alice.organisation, name="Élus")
    [official] = members(alice, 1, group=elected)
    members(alice, 2)
    with delivered():
        mailing_send(actor=alice.manager, mailing=draft(alice, community=None, group=elected))
    assert [m.to for m in mail.outbox] == [[official.email]]


def test_the_unsubscribe_page_asks_first_then_unsubscribes(alice: Tenant, delivered: Any) -> None:
    with delivered():
        mailing_send(actor=alice.manager, mailing=draft(alice))
    link = unsubscribe_link(emails_to(alice.member)[0]).split("://", 1)[1].split("/", 1)[1]
    client = Client()
    page = client.get(f"/{link}")
    assert page.status_code == 200 and alice.organisation.name in page.content.decode()
    assert not MailingOptOut.objects.exists()  # a link scanner unsubscribes no one
    done = client.post(f"/{link}")
    assert done.status_code == 200
    assert MailingOptOut.objects.get().source == "link"


def test_one_click_unsubscribes_from_the_mail_client(alice: Tenant, delivered: Any) -> None:
    with delivered():
        mailing_send(actor=alice.manager, mailing=draft(alice))
    link = unsubscribe_link(emails_to(alice.member)[0]).split("/", 3)[3]
    response = Client(enforce_csrf_checks=True).post(f"/{link}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert MailingOptOut.objects.get(user=alice.member).source == "one_click"


def test_a_forged_unsubscribe_link_is_refused(alice: Tenant) -> None:
    response = Client().post("/n/unsubscribe/forged:token/")
    assert response.status_code == 404
    assert not MailingOptOut.objects.exists()


def test_an_unsubscribed_member_gets_no_mailing_but_still_mandatory_notifications(
    alice: Tenant, delivered: Any
) -> None:
    MailingOptOut.objects.create(
        organisation=alice.organisation,
        user=alice.member,
        created_at=alice.member.date_joined,
        source="link",
    )
    with delivered():
        mailing_send(actor=alice.manager, mailing=draft(alice))
        notify(
            "payment_failed",
            alice.member,
            alice.organisation,
            {"payment_id": 1, "amount": "150.00", "number": "F-1", "reason": ""},
        )
    assert [m.subject for m in emails_to(alice.member)] == ["Votre paiement a échoué"]


def test_a_member_who_unsubscribed_during_the_sending_is_skipped(
    alice: Tenant, settings: Any
) -> None:
    mailing = mailing_send(actor=alice.manager, mailing=draft(alice))
    MailingOptOut.objects.create(
        organisation=alice.organisation,
        user=alice.member,
        created_at=mailing.created_at,
        source="link",
    )
    assert mailing_batch_send(mailing.pk, 0) == 0
    assert MailingRecipient.objects.get().state == MailingRecipient.State.SKIPPED


def test_a_batch_run_twice_sends_each_mail_once(alice: Tenant) -> None:
    mailing = mailing_send(actor=alice.manager, mailing=draft(alice))
    assert mailing_batch_send(mailing.pk, 0) == 1
    assert mailing_batch_send(mailing.pk, 0) == 0
    assert len(mail.outbox) == 1


def test_a_mailing_is_sent_once(alice: Tenant) -> None:
    mailing = mailing_send(actor=alice.manager, mailing=draft(alice))
    with pytest.raises(Conflict):
        mailing_send(actor=alice.manager, mailing=mailing)


@pytest.mark.parametrize(
    "texts",
    [
        {"subject_fr": "", "body_fr": ""},
        {"subject_fr": "Sujet", "body_fr": ""},
        {"subject_fr": "Deux\nlignes", "body_fr": "x"},
        {"subject_fr": "", "body_fr": "", "subject_en": "Subject", "body_en": ""},
    ],
)
def test_a_mailing_needs_a_complete_language(alice: Tenant, texts: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed):
        draft(alice, **texts)


def test_a_mailing_goes_to_one_audience(alice: Tenant) -> None:
    group = f.UserGroupFactory(organisation=alice.organisation)
    with pytest.raises(ValidationFailed):
        draft(alice, group=group)


def test_a_member_cannot_send_a_mailing(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        mailing_create(
            actor=alice.member,
            organisation=alice.organisation,
            community=alice.community,
            subject_fr="x",
            body_fr="y",
        )


def test_a_community_manager_writes_to_the_community_not_to_a_group(alice: Tenant) -> None:
    leader = f.UserFactory()
    f.MembershipFactory(user=leader, community=alice.community, role="manager")
    draft_ok = mailing_create(
        actor=leader,
        organisation=alice.organisation,
        community=alice.community,
        subject_fr="x",
        body_fr="y",
    )
    assert draft_ok.pk
    with pytest.raises(PermissionDenied):
        mailing_create(
            actor=leader,
            organisation=alice.organisation,
            group=f.UserGroupFactory(organisation=alice.organisation),
            subject_fr="x",
            body_fr="y",
        )


def test_another_organisations_community_is_refused(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(NotFound):
        mailing_create(
            actor=alice.manager,
            organisation=alice.organisation,
            community=bob.community,
            subject_fr="x",
            body_fr="y",
        )
    with pytest.raises(PermissionDenied):
        mailing_create(
            actor=bob.manager,
            organisation=alice.organisation,
            community=alice.community,
            subject_fr="x",
            body_fr="y",
        )
    assert not Mailing.objects.exists()
