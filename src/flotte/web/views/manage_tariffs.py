"""Tariffs in the console: the communities' tariffs, a new one, an end."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.models import UserGroup
from flotte.core.errors import ServiceError
from flotte.pricing.models import Tariff
from flotte.pricing.services import tariff_create, tariff_end
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms import TariffEndForm, TariffForm
from flotte.web.views.manage import Console, manager_page


def _form(console: Console, data: Any = None) -> TariffForm:
    return TariffForm(
        data,
        communities=console.communities,
        groups=UserGroup.objects.filter(organisation=console.organisation).order_by("name"),
    )


def _render(
    request: HttpRequest,
    console: Console,
    form: TariffForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    tariffs = (
        Tariff.objects.filter(community_id__in=console.community_ids)
        .select_related("community", "group")
        .order_by("community__name", "group__name", "-valid_from")
    )
    return render(
        request,
        "web/manage/tariffs.html",
        console.context(
            section="tariffs",
            tariffs=tariffs,
            form=form or _form(console),
            end_form=TariffEndForm(),
            error=error,
        ),
        status=status,
    )


@manager_page
def tariffs(request: HttpRequest, console: Console) -> HttpResponse:
    """The tariffs, and a new one (POST)."""
    if request.method != "POST":
        return _render(request, console)
    form = _form(console, request.POST)
    if form.is_valid():
        data = form.tariff_fields()
        community, group = data.pop("community"), data.pop("group")
        try:
            tariff_create(actor=console.user, community=community, group=group, **data)
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Tariff created."))
            return redirect("web:manage_tariffs", console.organisation.pk)
    return _render(request, console, form=form, status=400)


@require_POST
@manager_page
def tariff_end_view(request: HttpRequest, console: Console, tariff_id: int) -> HttpResponse:
    tariff = Tariff.objects.filter(community_id__in=console.community_ids, pk=tariff_id).first()
    if tariff is None:
        raise Http404
    form = TariffEndForm(request.POST)
    if not form.is_valid():
        return _render(request, console, status=400, error=_("Give the day the tariff ends."))
    try:
        tariff_end(actor=console.user, tariff=tariff, valid_until=form.cleaned_data["valid_until"])
    except ServiceError as error:
        return _render(request, console, status=400, error=explain(error))
    messages.success(request, _("Tariff ended."))
    return redirect("web:manage_tariffs", console.organisation.pk)
