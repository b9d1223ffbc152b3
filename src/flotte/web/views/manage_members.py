"""Members in the console: the validation queue with the documents,
validate or reject a driver profile, suspend and lift, hand out and revoke
badges."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.drivers import (
    driver_reject,
    driver_validate,
    member_suspend,
    profile_or_blank,
    suspension_lift,
)
from flotte.accounts.models import DriverApproval, DriverProfile, Suspension, User
from flotte.accounts.selectors import manages_member_in_person, members_of
from flotte.api.routers.me import document_response
from flotte.core.errors import NotFound, ServiceError
from flotte.fleet.models import Badge
from flotte.fleet.services import badge_deactivate, badge_issue
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms import RejectForm, SuspendForm
from flotte.web.manage_forms_people import BadgeForm, BadgeRevokeForm
from flotte.web.views.manage import Console, manager_page, refusal_status

STATUSES = ("submitted", "validated", "rejected", "none")


@manager_page
def members(request: HttpRequest, console: Console) -> HttpResponse:
    """The validation queue by default; the other statuses on request."""
    status = request.GET.get("status", "submitted")
    if status not in STATUSES:
        status = "submitted"
    org = console.organisation
    queryset = members_of(org, console.user)
    if status == "none":
        queryset = queryset.exclude(approvals__organisation=org)
    else:
        queryset = queryset.filter(approvals__organisation=org, approvals__status=status)
    people = list(queryset.distinct().order_by("last_name", "first_name", "email")[:200])
    return render(
        request,
        "web/manage/members.html",
        console.context(
            section="members",
            people=people,
            status=status,
            statuses=[
                ("submitted", _("Waiting for validation")),
                ("validated", _("Validated")),
                ("rejected", _("Rejected")),
                ("none", _("Not submitted")),
            ],
        ),
    )


def _person(console: Console, user_id: int) -> User:
    person = members_of(console.organisation, console.user).filter(pk=user_id).first()
    if person is None:
        raise Http404
    return person


def _render_member(
    request: HttpRequest, console: Console, person: User, status: int = 200, **forms: Any
) -> HttpResponse:
    org = console.organisation
    profile = profile_or_blank(person)
    documents = [
        (kind, getattr(DriverProfile._meta.get_field(kind), "verbose_name", kind))
        for kind in DriverProfile.DOCUMENT_FIELDS
        if getattr(profile, kind)
    ]
    return render(
        request,
        "web/manage/member.html",
        console.context(
            section="members",
            person=person,
            profile=profile,
            approval=DriverApproval.objects.filter(organisation=org, user=person).first(),
            documents=documents if manages_member_in_person(console.user, org.pk, person) else [],
            suspensions=Suspension.objects.filter(organisation=org, user=person).order_by("-pk"),
            reject_form=forms.get("reject_form") or RejectForm(),
            suspend_form=forms.get("suspend_form") or SuspendForm(),
            badges=Badge.objects.filter(organisation=org, user=person).order_by(
                "-active", "-issued_at"
            ),
            badge_form=forms.get("badge_form") or BadgeForm(),
            error=forms.get("error", ""),
        ),
        status=status,
    )


@manager_page
def member(request: HttpRequest, console: Console, user_id: int) -> HttpResponse:
    return _render_member(request, console, _person(console, user_id))


@manager_page
def member_document(
    request: HttpRequest, console: Console, user_id: int, kind: str
) -> HttpResponseBase:
    """A document for checking it, to the member's managers only; audited."""
    person = _person(console, user_id)
    org = console.organisation
    if kind not in DriverProfile.DOCUMENT_FIELDS or not manages_member_in_person(
        console.user, org.pk, person
    ):
        raise Http404
    try:
        return document_response(profile_or_blank(person), kind, console.user, org.pk)
    except NotFound:
        raise Http404 from None


def _approval(console: Console, person: User) -> DriverApproval:
    approval = DriverApproval.objects.filter(organisation=console.organisation, user=person).first()
    if approval is None:
        raise Http404
    return approval


@require_POST
@manager_page
def member_validate(request: HttpRequest, console: Console, user_id: int) -> HttpResponse:
    person = _person(console, user_id)
    try:
        driver_validate(actor=console.user, approval=_approval(console, person))
    except ServiceError as error:
        return _render_member(request, console, person, status=400, error=explain(error))
    messages.success(request, _("Driver profile validated."))
    return redirect("web:manage_members", console.organisation.pk)


@require_POST
@manager_page
def member_reject(request: HttpRequest, console: Console, user_id: int) -> HttpResponse:
    person = _person(console, user_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            driver_reject(
                actor=console.user,
                approval=_approval(console, person),
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Driver profile rejected."))
            return redirect("web:manage_members", console.organisation.pk)
    return _render_member(request, console, person, status=400, reject_form=form)


@require_POST
@manager_page
def member_suspend_view(request: HttpRequest, console: Console, user_id: int) -> HttpResponse:
    person = _person(console, user_id)
    form = SuspendForm(request.POST)
    if form.is_valid():
        try:
            member_suspend(
                actor=console.user,
                organisation=console.organisation,
                user=person,
                reason=form.cleaned_data["reason"],
                ends_at=form.cleaned_data["ends_at"],
            )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Member suspended."))
            return redirect("web:manage_member", console.organisation.pk, person.pk)
    return _render_member(request, console, person, status=400, suspend_form=form)


@require_POST
@manager_page
def suspension_lift_view(
    request: HttpRequest, console: Console, suspension_id: int
) -> HttpResponse:
    suspension = Suspension.objects.filter(
        organisation=console.organisation, pk=suspension_id
    ).first()
    if suspension is None:
        raise Http404
    person = _person(console, suspension.user_id)
    try:
        suspension_lift(actor=console.user, suspension=suspension)
    except ServiceError as error:
        return _render_member(request, console, person, status=400, error=explain(error))
    messages.success(request, _("Suspension lifted."))
    return redirect("web:manage_member", console.organisation.pk, person.pk)


@require_POST
@manager_page
def member_badge_issue(request: HttpRequest, console: Console, user_id: int) -> HttpResponse:
    """Hand a badge to the member (``badge_issue``: audited, and the boxes
    of their booked vehicles get a new access list)."""
    person = _person(console, user_id)
    form = BadgeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            badge_issue(
                actor=console.user,
                organisation=console.organisation,
                uid=form.cleaned_data["uid"],
                user=person,
                label=form.cleaned_data["label"],
            )
        except ServiceError as error:
            add_to_form(form, error)
            status = refusal_status(error)
        else:
            messages.success(request, _("Badge %(uid)s assigned.") % form.cleaned_data)
            return redirect("web:manage_member", console.organisation.pk, person.pk)
    return _render_member(request, console, person, status=status, badge_form=form)


@require_POST
@manager_page
def badge_revoke(request: HttpRequest, console: Console, badge_id: int) -> HttpResponse:
    """Revoke a member's badge (``badge_deactivate``): it stops opening cars
    once the boxes have their new access list."""
    badge = Badge.objects.filter(
        organisation=console.organisation, pk=badge_id, user__isnull=False
    ).first()
    if badge is None or badge.user_id is None:
        raise Http404
    person = _person(console, badge.user_id)
    form = BadgeRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        badge_deactivate(actor=console.user, badge=badge, reason=reason)
    except ServiceError as error:
        status = refusal_status(error)
        return _render_member(request, console, person, status=status, error=explain(error))
    messages.success(request, _("Badge %(uid)s revoked.") % {"uid": badge.uid})
    return redirect("web:manage_member", console.organisation.pk, person.pk)
