"""Server-rendered pages: community home, sign-up, verification, invitation
and the driver profile. Views parse, call a service and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.drivers import booking_refusals, profile_of, profile_submit, profile_update
from flotte.accounts.models import DriverApproval, DriverProfile, Membership, User
from flotte.accounts.selectors import community_by_slug
from flotte.accounts.signup import (
    community_join,
    invitation_accept,
    invitation_from_token,
    invitation_signup,
    signup_start,
    signup_verify,
)
from flotte.core.errors import NotFound, ServiceError
from flotte.web.forms import InvitationSignupForm, ProfileForm, SignupForm


def _community(slug: str) -> Any:
    try:
        return community_by_slug(slug)
    except NotFound:
        raise Http404 from None


def _form_error(form: Any, error: ServiceError) -> None:
    for name, text in error.fields.items():
        if name in form.fields:
            form.add_error(name, text)
    form.add_error(None, error.message)


def home(request: HttpRequest) -> HttpResponse:
    memberships = []
    if request.user.is_authenticated:
        memberships = list(
            Membership.objects.filter(user=request.user).select_related("community__organisation")
        )
    return render(request, "web/home.html", {"memberships": memberships})


def community(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    membership = refusals = None
    if request.user.is_authenticated:
        membership = Membership.objects.filter(user=request.user, community=community).first()
        if membership:
            refusals = booking_refusals(request.user, community)  # type: ignore[arg-type]
    return render(
        request,
        "web/community.html",
        {
            "community": community,
            "brand": community.branding,
            "membership": membership,
            "refusals": refusals,
        },
    )


def signup(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_start(community=community, **form.cleaned_data)
        except ServiceError as error:
            _form_error(form, error)
        else:
            return render(
                request,
                "web/signup_sent.html",
                {
                    "community": community,
                    "brand": community.branding,
                    "email": form.cleaned_data["email"],
                },
            )
    return render(
        request,
        "web/signup.html",
        {"community": community, "brand": community.branding, "form": form},
    )


def verify(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    community = _community(slug)
    try:
        membership = signup_verify(token)
    except ServiceError as error:
        return render(
            request,
            "web/message.html",
            {
                "community": community,
                "brand": community.branding,
                "title": _("Link not valid"),
                "text": error.message,
            },
            status=400,
        )
    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Your address is confirmed. Now complete your driver profile."))
    return redirect("web:profile")


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    try:
        community_join(user=request.user, community=community)  # type: ignore[arg-type]
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Welcome to %(name)s.") % {"name": community.name})
    return redirect("web:community", slug=slug)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = invitation_from_token(token)
    except ServiceError as error:
        return render(
            request,
            "web/message.html",
            {"title": _("Invitation not valid"), "text": error.message},
            status=400,
        )
    community = invite.community
    context: dict[str, Any] = {
        "community": community,
        "brand": community.branding,
        "invitation": invite,
    }
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                invitation_accept(token=token, user=request.user)  # type: ignore[arg-type]
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                return redirect("web:community", slug=community.slug)
        return render(request, "web/invitation.html", context)
    form = InvitationSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_signup(token=token, **form.cleaned_data)
        except ServiceError as error:
            _form_error(form, error)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("web:profile")
    context["form"] = form
    return render(request, "web/invitation.html", context)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    current = profile_of(user)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in DriverProfile.DATA_FIELDS}
        files = {
            name: upload
            for name in DriverProfile.DOCUMENT_FIELDS
            if (upload := request.FILES.get(name)) is not None
        }
        try:
            profile_update(user=user, data=data, files=files)
            if "submit" in request.POST:
                profile_submit(user=user)
                messages.success(request, _("Your profile was sent for validation."))
            else:
                messages.success(request, _("Your profile is saved."))
        except ServiceError as error:
            _form_error(form, error)
        else:
            return redirect("web:profile")
    return profile_page(request, form=form)


def profile_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The profile page: the driver profile form, and the badges, private
    mode, notifications, language and personal data (views/profile.py)."""
    from flotte.web.views.profile import profile_context

    user = request.user
    assert isinstance(user, User)
    current = profile_of(user)
    form = extra.pop("form", None) or ProfileForm(instance=current)
    approvals = DriverApproval.objects.filter(user=user).select_related("organisation")
    return render(
        request,
        "web/profile.html",
        profile_context(
            user, form=form, approvals=approvals, missing=current.missing_fields(), **extra
        ),
        status=status,
    )


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A member's bookings as iCalendar, at a secret URL (no login: calendar
    apps cannot log in)."""
    from flotte.booking.ical import calendar
    from flotte.booking.services import calendar_bookings

    found = calendar_bookings(token)
    if found is None:
        raise Http404
    user, bookings = found
    body = calendar(
        bookings,
        host=request.get_host().split(":")[0],
        name=_("Shared cars of %(name)s") % {"name": user.full_name or user.email},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
