"""Incidents in the console: the list (by vehicle, state, kind), an
incident with its photos, acknowledge and resolve it, and charge its
damage excess to the booking's driver."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.selectors import manages_organisation
from flotte.api.routers.inspections import photo_response
from flotte.core.errors import NotFound, ServiceError
from flotte.fleet.models import Vehicle
from flotte.inspections.incidents import (
    incident_acknowledge,
    incident_charge_excess,
    incident_photo_of,
    incident_resolve,
)
from flotte.inspections.models import Incident
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms_fleet import ExcessForm, IncidentFilterForm, ResolveForm
from flotte.web.views.manage import Console, charge_excess, manager_page, refusal_status


def _incidents(console: Console) -> QuerySet[Incident]:
    """The incidents of the bookings of the communities this manager
    manages; those with no booking (reported by a manager) to the
    organisation's managers."""
    scope = Q(booking__community_id__in=console.community_ids)
    if manages_organisation(console.user, console.organisation.pk):
        scope |= Q(booking__isnull=True)
    return (
        Incident.objects.filter(organisation=console.organisation)
        .filter(scope)
        .select_related("vehicle", "reporter", "booking", "invoice", "handled_by")
    )


def _incident(console: Console, incident_id: int) -> Incident:
    incident = _incidents(console).filter(pk=incident_id).first()
    if incident is None:
        raise Http404
    return incident


@manager_page
def incidents(request: HttpRequest, console: Console) -> HttpResponse:
    vehicles = Vehicle.objects.filter(organisation=console.organisation).order_by("plate")
    form = IncidentFilterForm(request.GET or None, vehicles=vehicles)
    rows = _incidents(console)
    status = 200
    if form.is_bound:
        if form.is_valid():
            if form.cleaned_data["vehicle"]:
                rows = rows.filter(vehicle=form.cleaned_data["vehicle"])
            for name in ("state", "kind"):
                if form.cleaned_data[name]:
                    rows = rows.filter(**{name: form.cleaned_data[name]})
        else:
            status = 400
            rows = rows.none()
    page = Paginator(rows.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/manage/incidents.html",
        console.context(section="incidents", form=form, page=page, query=query.urlencode()),
        status=status,
    )


def _render_incident(
    request: HttpRequest,
    console: Console,
    incident: Incident,
    status: int = 200,
    error: str = "",
    excess_form: ExcessForm | None = None,
    resolve_form: ResolveForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/manage/incident.html",
        console.context(
            section="incidents",
            incident=incident,
            photos=incident.photos.all(),
            chargeable=incident.invoice_id is None and incident.booking_id is not None,
            excess_form=excess_form or ExcessForm(),
            resolve_form=resolve_form or ResolveForm(),
            error=error,
        ),
        status=status,
    )


@manager_page
def incident_view(request: HttpRequest, console: Console, incident_id: int) -> HttpResponse:
    return _render_incident(request, console, _incident(console, incident_id))


@manager_page
def incident_photo(
    request: HttpRequest, console: Console, incident_id: int, photo_id: int
) -> FileResponse:
    try:
        return photo_response(incident_photo_of(_incident(console, incident_id), photo_id))
    except NotFound:
        raise Http404 from None


@require_POST
@manager_page
def incident_acknowledge_view(
    request: HttpRequest, console: Console, incident_id: int
) -> HttpResponse:
    incident = _incident(console, incident_id)
    try:
        incident_acknowledge(actor=console.user, incident=incident)
    except ServiceError as error:
        return _render_incident(
            request, console, incident, status=refusal_status(error), error=explain(error)
        )
    messages.success(request, _("Incident acknowledged."))
    return redirect("web:manage_incident", console.organisation.pk, incident.pk)


@require_POST
@manager_page
def incident_resolve_view(request: HttpRequest, console: Console, incident_id: int) -> HttpResponse:
    incident = _incident(console, incident_id)
    form = ResolveForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            incident_resolve(
                actor=console.user, incident=incident, resolution=form.cleaned_data["resolution"]
            )
        except ServiceError as error:
            add_to_form(form, error)
            status = refusal_status(error)
        else:
            messages.success(request, _("Incident resolved."))
            return redirect("web:manage_incident", console.organisation.pk, incident.pk)
    return _render_incident(request, console, incident, status=status, resolve_form=form)


@require_POST
@manager_page
def incident_charge(request: HttpRequest, console: Console, incident_id: int) -> HttpResponse:
    """Bill the incident's damage excess to its booking's driver, once
    (``incident_charge_excess``: an issued invoice, audited)."""
    incident = _incident(console, incident_id)
    form = ExcessForm(request.POST)
    charge = functools.partial(incident_charge_excess, actor=console.user, incident=incident)
    status = charge_excess(request, form, charge)
    if status is None:
        return redirect("web:manage_incident", console.organisation.pk, incident.pk)
    return _render_incident(
        request, console, _incident(console, incident_id), status=status, excess_form=form
    )
