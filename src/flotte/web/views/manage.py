"""The manager console at /manage/: the organisation to manage, the
dashboard, and what every console page shares."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from flotte.accounts.models import Community, Organisation, User
from flotte.accounts.selectors import managed_community_ids, managed_organisations
from flotte.core import clock
from flotte.core.errors import PermissionDenied, ServiceError
from flotte.inspections.models import Incident, Inspection
from flotte.web import dashboard
from flotte.web.errors import add_to_form

P = ParamSpec("P")


@dataclass(frozen=True)
class Console:
    """The signed-in manager and the organisation of the URL."""

    user: User
    organisation: Organisation
    community_ids: frozenset[int]

    @property
    def communities(self) -> QuerySet[Community]:
        return Community.objects.filter(pk__in=self.community_ids).order_by("name")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.organisation.time_zone)

    def today(self) -> dt.datetime:
        """The start of today in the organisation's time zone."""
        local = clock.now().astimezone(self.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)

    def context(self, **extra: Any) -> dict[str, Any]:
        org = self.organisation
        brand = {
            "name": org.name,
            "organisation": org.name,
            "logo_url": org.logo.url if org.logo else "",
            "primary_colour": org.primary_colour,
            "secondary_colour": org.secondary_colour,
        }
        return {"console": self, "organisation": org, "brand": brand, **extra}


def manager_page(
    view: Callable[Concatenate[HttpRequest, Console, P], HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A page of the console: signed in, manager of the organisation of the
    URL (or of some of its communities). Another organisation's address is
    a 404; a member of this one who manages nothing gets a 403. Dates are
    read and shown in the organisation's time zone."""

    @login_required
    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, org_id: int, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponseBase:
        user = request.user
        assert isinstance(user, User)
        organisation = Organisation.objects.filter(pk=org_id).first()
        if organisation is None:
            raise Http404
        managed = managed_community_ids(user, organisation.pk)
        if not managed and not managed_organisations(user).filter(pk=organisation.pk).exists():
            raise DjangoPermissionDenied
        console = Console(user, organisation, frozenset(managed))
        with timezone.override(console.zone):
            return view(request, console, *args, **kwargs)

    return wrapper


def refusal_status(error: ServiceError) -> int:
    """The status of a console page that shows a service's refusal: 403
    when the manager may not do it, 400 otherwise."""
    return 403 if isinstance(error, PermissionDenied) else 400


T = TypeVar("T")


def submit(form: forms.Form, save: Callable[[], T]) -> tuple[T | None, int]:
    """Check a console form, then run ``save`` (which calls the service with
    its cleaned data): (what it returned, 200), or (None, the status of the
    page that shows the form again) with the refusal on the form."""
    if not form.is_valid():
        return None, 400
    try:
        return save(), 200
    except ServiceError as error:
        add_to_form(form, error)
        return None, refusal_status(error)


def charge_excess(
    request: HttpRequest,
    form: forms.Form,
    charge: Callable[..., Incident | Inspection],
) -> int | None:
    """Bill a damage excess from the console's excess form with
    ``charge(amount=..., label=...)`` (the service of an incident or of an
    inspection). None once charged, with the invoice's number in a success
    message; otherwise the status of the page that shows the form again,
    the refusal on it."""
    charged, status = submit(
        form,
        lambda: charge(amount=form.cleaned_data["amount"], label=form.cleaned_data["label"]),
    )
    if charged is None:
        return status
    assert charged.invoice is not None
    messages.success(
        request,
        _("Damage excess charged: invoice %(number)s.")
        % {"number": charged.invoice.number or charged.invoice.pk},
    )
    return None


@login_required
def choose(request: HttpRequest) -> HttpResponse:
    """The organisations this person manages: straight to the only one."""
    user = request.user
    assert isinstance(user, User)
    organisations = list(managed_organisations(user).order_by("name"))
    if not organisations:
        raise DjangoPermissionDenied
    if len(organisations) == 1:
        return redirect("web:manage_dashboard", organisations[0].pk)
    return render(request, "web/manage/choose.html", {"organisations": organisations})


@manager_page
def dashboard_view(request: HttpRequest, console: Console) -> HttpResponse:
    today = console.today()
    now = clock.now()
    week_start = today - dt.timedelta(days=today.weekday())
    ids = set(console.community_ids)
    figures = dashboard.week_figures(
        console.organisation, ids, week_start, week_start + dt.timedelta(days=7)
    )
    return render(
        request,
        "web/manage/dashboard.html",
        console.context(
            section="dashboard",
            today=today,
            departures=dashboard.departures(ids, today),
            returns=dashboard.returns(ids, today),
            late=dashboard.late(ids, now),
            alerts=dashboard.open_alerts(console.organisation)[:50],
            failed_payments=dashboard.failed_payments(
                console.organisation, now - dt.timedelta(days=30)
            )[:50],
            figures=figures,
            week_start=week_start,
        ),
    )
