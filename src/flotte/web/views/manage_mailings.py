"""Mailings in the console: write to a community or a user group, see how
many members it will reach, send it (the notify service freezes the audience
and queues its batches), and the past mailings with what they became."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from flotte.accounts.models import UserGroup
from flotte.accounts.selectors import manages_organisation
from flotte.core.errors import NotFound, PermissionDenied, ServiceError
from flotte.notify.mailings import (
    mailing_audience,
    mailing_counts,
    mailing_create,
    mailing_send,
    mailing_unsubscribed_since,
    mailing_visible,
    mailings_of,
)
from flotte.notify.models import Mailing, MailingOptOut
from flotte.web.errors import add_to_form, explain
from flotte.web.mailing_forms import MailingForm
from flotte.web.views.manage import Console, manager_page

TEXT_FIELDS = ("subject_fr", "body_fr", "subject_en", "body_en")


@dataclass(frozen=True)
class Sent:
    """A mailing as the list shows it."""

    mailing: Mailing
    counts: dict[str, int]
    recipients: int
    unsubscribed: int


def _groups(console: Console) -> Any:
    """A group spans the organisation: only its managers write to one."""
    if not manages_organisation(console.user, console.organisation.pk):
        return UserGroup.objects.none()
    return UserGroup.objects.filter(organisation=console.organisation).order_by("name")


def _form(console: Console, data: Any = None) -> MailingForm:
    return MailingForm(data, communities=console.communities, groups=_groups(console))


def _refuse_on_form(form: MailingForm, error: ServiceError) -> None:
    if error.code == "invalid" and set(error.fields) & set(TEXT_FIELDS):
        for name in TEXT_FIELDS:
            if name in error.fields:
                form.add_error(
                    name,
                    _(
                        "Write the subject (one line) and the message of each language you use: "
                        "French, English or both."
                    ),
                )
        return
    add_to_form(form, error)


def _render(
    request: HttpRequest, console: Console, form: MailingForm | None = None, status: int = 200
) -> HttpResponse:
    past = [
        Sent(
            mailing=m,
            counts=(counts := mailing_counts(m)),
            recipients=sum(counts.values()),
            unsubscribed=mailing_unsubscribed_since(m),
        )
        for m in mailings_of(console.user, console.organisation).select_related(
            "community", "group", "sent_by"
        )[:50]
    ]
    return render(
        request,
        "web/manage/mailings.html",
        console.context(
            section="mailings",
            form=form or _form(console),
            mailings=past,
            opted_out=MailingOptOut.objects.filter(organisation=console.organisation).count(),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@manager_page
def mailings(request: HttpRequest, console: Console) -> HttpResponse:
    """The past mailings, and a new one (POST: a draft, to check and send)."""
    if request.method != "POST":
        return _render(request, console)
    form = _form(console, request.POST)
    if form.is_valid():
        try:
            mailing = mailing_create(
                actor=console.user,
                organisation=console.organisation,
                **form.audience_parts(),
                **{name: form.cleaned_data[name] for name in TEXT_FIELDS},
            )
        except ServiceError as error:
            _refuse_on_form(form, error)
        else:
            return redirect("web:manage_mailing", console.organisation.pk, mailing.pk)
    return _render(request, console, form=form, status=400)


def _mailing(console: Console, mailing_id: int) -> Mailing:
    """A mailing of this organisation this manager may see (a 404 otherwise)."""
    try:
        mailing = mailing_visible(console.user, mailing_id)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    if mailing.organisation_id != console.organisation.pk:
        raise Http404
    return mailing


@require_http_methods(["GET"])
@manager_page
def mailing_view(request: HttpRequest, console: Console, mailing_id: int) -> HttpResponse:
    """A draft with the number of members it will reach now, to send; or a
    sent mailing with its recipients per state."""
    mailing = _mailing(console, mailing_id)
    counts = mailing_counts(mailing)
    draft = mailing.state == Mailing.State.DRAFT
    return render(
        request,
        "web/manage/mailing.html",
        console.context(
            section="mailings",
            mailing=mailing,
            draft=draft,
            audience=mailing_audience(mailing).count() if draft else sum(counts.values()),
            counts=counts,
            unsubscribed=mailing_unsubscribed_since(mailing),
        ),
    )


@require_POST
@manager_page
def mailing_send_view(request: HttpRequest, console: Console, mailing_id: int) -> HttpResponse:
    mailing = _mailing(console, mailing_id)
    try:
        sent = mailing_send(actor=console.user, mailing=mailing)
    except ServiceError as error:
        messages.error(
            request,
            _("This mailing was sent already.") if error.code == "already_sent" else explain(error),
        )
    else:
        recipients = sum(mailing_counts(sent).values())
        messages.success(
            request,
            ngettext(
                "The mailing is on its way to %(count)s member.",
                "The mailing is on its way to %(count)s members.",
                recipients,
            )
            % {"count": recipients},
        )
    return redirect("web:manage_mailing", console.organisation.pk, mailing.pk)
