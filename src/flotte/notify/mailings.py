"""Mailings: a manager writes to a community or a user group; the
background workers send it in batches (``MAILING_BATCH_SIZE`` e-mails per
task). Every e-mail carries an unsubscribe link and the List-Unsubscribe
headers (RFC 2369, one-click per RFC 8058); a member who unsubscribed gets
no more mailings from that organisation, and still gets the notifications
of their bookings, invoices and payments."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from flotte.accounts.models import Community, Organisation, User, UserGroup
from flotte.accounts.selectors import manages_community, manages_organisation
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.notify.models import Mailing, MailingOptOut, MailingRecipient
from flotte.notify.rendering import language_of, render_part
from flotte.notify.senders import Message, Receipt, SendFailed, sender_for
from flotte.notify.tokens import unsubscribe_token

SUBJECT_MAX = 200
BODY_MAX = 20_000


def _require_sender(actor: User, organisation: Organisation, community: Community | None) -> None:
    """A community's managers write to it; a group spans the organisation,
    so only its managers write to a group."""
    allowed = (
        manages_community(actor, community)
        if community is not None
        else manages_organisation(actor, organisation.pk)
    )
    if not allowed:
        raise PermissionDenied("only a manager of this audience may write to it")


def _texts(subject_fr: str, body_fr: str, subject_en: str, body_en: str) -> dict[str, str]:
    texts = {
        "subject_fr": subject_fr.strip(),
        "body_fr": body_fr.strip(),
        "subject_en": subject_en.strip(),
        "body_en": body_en.strip(),
    }
    fields = {}
    for language in ("fr", "en"):
        subject, body = texts[f"subject_{language}"], texts[f"body_{language}"]
        if bool(subject) != bool(body):
            fields[f"subject_{language}" if not subject else f"body_{language}"] = "missing"
        if len(subject) > SUBJECT_MAX or "\n" in subject:
            fields[f"subject_{language}"] = f"one line of at most {SUBJECT_MAX} characters"
        if len(body) > BODY_MAX:
            fields[f"body_{language}"] = f"at most {BODY_MAX} characters"
    if not fields and not (texts["subject_fr"] or texts["subject_en"]):
        fields["subject_fr"] = "write the mailing in French, English or both"
    if fields:
        raise ValidationFailed(
            "a mailing has a subject and a body in French, English or both", fields=fields
        )
    return texts


@transaction.atomic
def mailing_create(
    *,
    actor: User,
    organisation: Organisation,
    community: Community | None = None,
    group: UserGroup | None = None,
    subject_fr: str = "",
    body_fr: str = "",
    subject_en: str = "",
    body_en: str = "",
) -> Mailing:
    """A draft mailing to one community or one user group of the
    organisation."""
    if (community is None) == (group is None):
        raise ValidationFailed(
            "a mailing goes to one community or one group",
            fields={"community_id": "one of community_id and group_id"},
        )
    target = community or group
    assert target is not None
    if target.organisation_id != organisation.pk:
        raise NotFound("no such community or group in this organisation")
    _require_sender(actor, organisation, community)
    mailing = Mailing.objects.create(
        organisation=organisation,
        community=community,
        group=group,
        created_by=actor,
        created_at=clock.now(),
        **_texts(subject_fr, body_fr, subject_en, body_en),
    )
    audit(
        "mailing.created",
        mailing,
        actor=actor,
        data={"community": mailing.community_id, "group": mailing.group_id},
    )
    return mailing


def mailing_audience(mailing: Mailing) -> QuerySet[User]:
    """Active members of the community or group, less those who
    unsubscribed from the organisation's mailings."""
    if mailing.community_id is not None:
        members = Q(memberships__community_id=mailing.community_id)
    else:
        members = Q(memberships__group_id=mailing.group_id)
    opted_out = MailingOptOut.objects.filter(organisation_id=mailing.organisation_id).values(
        "user_id"
    )
    return (
        User.objects.filter(members, is_active=True)
        .exclude(pk__in=opted_out)
        .distinct()
        .order_by("pk")
    )


def mailing_visible(actor: User, mailing_id: int) -> Mailing:
    mailing = (
        Mailing.objects.select_related("organisation", "community", "group")
        .filter(pk=mailing_id)
        .first()
    )
    if mailing is None:
        raise NotFound("no such mailing")
    try:
        _require_sender(actor, mailing.organisation, mailing.community)
    except PermissionDenied:
        raise NotFound("no such mailing") from None
    return mailing


def mailings_of(actor: User, organisation: Organisation) -> QuerySet[Mailing]:
    if not manages_organisation(actor, organisation.pk):
        from flotte.accounts.selectors import managed_community_ids

        communities = managed_community_ids(actor, organisation.pk)
        if not communities:
            raise PermissionDenied("only a manager of this organisation may see its mailings")
        return Mailing.objects.filter(organisation=organisation, community_id__in=communities)
    return Mailing.objects.filter(organisation=organisation)


def mailing_counts(mailing: Mailing) -> dict[str, int]:
    counts = dict(
        MailingRecipient.objects.filter(mailing=mailing)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in MailingRecipient.State.values}


def mailing_unsubscribed_since(mailing: Mailing) -> int:
    """Recipients of a sent mailing who have unsubscribed from the
    organisation's mailings since it was sent (through its link or another
    way): what the console shows beside its sent count."""
    if mailing.sent_at is None:
        return 0
    return MailingOptOut.objects.filter(
        organisation_id=mailing.organisation_id,
        created_at__gte=mailing.sent_at,
        user_id__in=MailingRecipient.objects.filter(mailing=mailing).values("user_id"),
    ).count()


@transaction.atomic
def mailing_send(*, actor: User, mailing: Mailing) -> Mailing:
    """Freeze the audience into batches and queue one task per batch."""
    from flotte.notify.tasks import send_mailing_batch

    mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
    _require_sender(actor, mailing.organisation, mailing.community)
    if mailing.state != Mailing.State.DRAFT:
        raise Conflict("this mailing was already sent", code="already_sent")
    size = settings.MAILING_BATCH_SIZE
    audience = list(mailing_audience(mailing).values_list("pk", flat=True))
    MailingRecipient.objects.bulk_create(
        MailingRecipient(mailing=mailing, user_id=user_id, batch=index // size)
        for index, user_id in enumerate(audience)
    )
    now = clock.now()
    mailing.batches = math.ceil(len(audience) / size)
    mailing.state = Mailing.State.SENDING if audience else Mailing.State.SENT
    mailing.sent_by, mailing.sent_at = actor, now
    mailing.finished_at = None if audience else now
    mailing.save(update_fields=["batches", "state", "sent_by", "sent_at", "finished_at"])
    audit(
        "mailing.sent",
        mailing,
        actor=actor,
        data={"recipients": len(audience), "batches": mailing.batches},
    )
    for batch in range(mailing.batches):
        send_mailing_batch.enqueue(mailing.pk, batch)
    return mailing


def unsubscribe_url(user_id: int, organisation_id: int) -> str:
    return settings.PUBLIC_URL + reverse(
        "notify:unsubscribe", kwargs={"token": unsubscribe_token(user_id, organisation_id)}
    )


def mailing_message(mailing: Mailing, user: User) -> Message:
    """The e-mail of one recipient: their language if the mailing has it,
    the unsubscribe footer, and the List-Unsubscribe headers."""
    language = language_of(user.language)
    if not getattr(mailing, f"subject_{language}"):
        language = "en" if language == "fr" else "fr"
    link = unsubscribe_url(user.pk, mailing.organisation_id)
    audience = mailing.community.name if mailing.community else mailing.organisation.name
    footer = render_part(
        "mailing",
        "footer",
        language,
        {"organisation": mailing.organisation.name, "audience": audience, "unsubscribe_url": link},
    ).strip()
    return Message(
        channel="email",
        to=user.email,
        subject=getattr(mailing, f"subject_{language}"),
        body=f"{getattr(mailing, f'body_{language}')}\n\n-- \n{footer}\n",
        short="",
        tag="mailing",
        reply_to=mailing.organisation.support_email,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{mailing.organisation.slug}.flotte",
        },
    )


def _send_all(messages: list[Message]) -> list[Receipt | SendFailed]:
    sender = sender_for("email")
    assert sender is not None
    send_many = getattr(sender, "send_many", None)
    if send_many is not None:
        outcomes: list[Receipt | SendFailed] = send_many(messages)
        return outcomes
    results: list[Receipt | SendFailed] = []
    for message in messages:
        try:
            results.append(sender.send(message))
        except SendFailed as failure:
            results.append(failure)
    return results


def mailing_batch_send(mailing_id: int, batch: int) -> int:
    """Send the batch's e-mails still waiting (a batch run twice sends each
    once); skip those who unsubscribed since. The mailing is sent once no
    recipient waits. Returns how many e-mails went."""
    mailing = Mailing.objects.select_related("organisation", "community").get(pk=mailing_id)
    recipients = list(
        MailingRecipient.objects.filter(
            mailing=mailing, batch=batch, state=MailingRecipient.State.PENDING
        ).select_related("user")
    )
    opted_out = set(
        MailingOptOut.objects.filter(
            organisation_id=mailing.organisation_id,
            user_id__in=[r.user_id for r in recipients],
        ).values_list("user_id", flat=True)
    )
    skipped = [r for r in recipients if r.user_id in opted_out or not r.user.is_active]
    MailingRecipient.objects.filter(pk__in=[r.pk for r in skipped]).update(
        state=MailingRecipient.State.SKIPPED
    )
    to_send = [r for r in recipients if r not in skipped]
    outcomes = _send_all([mailing_message(mailing, r.user) for r in to_send])
    now = clock.now()
    sent = 0
    for recipient, outcome in zip(to_send, outcomes, strict=True):
        if isinstance(outcome, SendFailed):
            recipient.state, recipient.error = MailingRecipient.State.FAILED, str(outcome)[:2000]
        else:
            recipient.state, recipient.sent_at = MailingRecipient.State.SENT, now
            sent += 1
    MailingRecipient.objects.bulk_update(to_send, ["state", "error", "sent_at"])
    if not MailingRecipient.objects.filter(
        mailing=mailing, state=MailingRecipient.State.PENDING
    ).exists():
        Mailing.objects.filter(pk=mailing.pk, state=Mailing.State.SENDING).update(
            state=Mailing.State.SENT, finished_at=now
        )
    return sent
