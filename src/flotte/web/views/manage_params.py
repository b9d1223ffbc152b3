"""Every parameter of the registry, at each level it allows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flotte.accounts.models import Community, ParameterValue, UserGroup
from flotte.accounts.parameters import (
    Parameter,
    param_set,
    param_snapshot,
    param_unset,
    registry,
)
from flotte.core.errors import ServiceError, ValidationFailed
from flotte.fleet.models import Vehicle
from flotte.web.errors import add_to_form, explain
from flotte.web.manage_forms import ParameterForm, parameter_targets
from flotte.web.parameter_previews import has_preview, preview
from flotte.web.views.manage import Console, manager_page

MODULES = {
    "accounts": gettext_lazy("Members and accounts"),
    "billing": gettext_lazy("Billing and payments"),
    "booking": gettext_lazy("Bookings"),
    "carpool": gettext_lazy("Carpooling"),
    "notify": gettext_lazy("Notifications"),
    "opendata": gettext_lazy("Open data"),
    "stats": gettext_lazy("Statistics"),
    "telematics": gettext_lazy("Boxes and telematics"),
}


def _targets(console: Console) -> dict[str, list[tuple[str, str]]]:
    org = console.organisation
    return parameter_targets(
        Community.objects.filter(organisation=org).order_by("name"),
        UserGroup.objects.filter(organisation=org).order_by("name"),
        Vehicle.objects.filter(organisation=org).order_by("plate"),
    )


def _target_objects(console: Console, target: str) -> dict[str, Any]:
    """``community:3`` to the community 3 of this organisation (404 otherwise)."""
    if not target:
        return {}
    kind, _sep, pk = target.partition(":")
    models: dict[str, Any] = {"community": Community, "group": UserGroup, "vehicle": Vehicle}
    model = models.get(kind)
    obj = model.objects.filter(organisation=console.organisation, pk=pk).first() if model else None
    if obj is None or not pk.isdigit():
        raise Http404
    return {kind: obj}


def _describe(parameter: Parameter) -> str:
    return parameter.fr if (get_language() or "fr").startswith("fr") else parameter.en


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _render(
    request: HttpRequest,
    console: Console,
    forms: dict[str, ParameterForm] | None = None,
    status: int = 200,
    query: str | None = None,
) -> HttpResponse:
    forms = forms or {}
    targets = _targets(console)
    labels = {key: label for choices in targets.values() for key, label in choices}
    values: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ParameterValue.objects.filter(organisation=console.organisation).order_by(
        "key", "level"
    ):
        target = ""
        for kind in ("community", "group", "vehicle"):
            pk = getattr(row, f"{kind}_id")
            if pk is not None:
                target = f"{kind}:{pk}"
        values[row.key].append(
            {
                "level": row.level,
                "target": target,
                "target_label": labels.get(target, ""),
                "value": _shown(row.value),
            }
        )
    if query is None:
        query = request.GET.get("q", "").strip().lower()
    with param_snapshot():  # the previews read the organisation's values once
        effects = {
            key: preview(key, console.organisation) for key in registry() if has_preview(key)
        }
    modules: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, parameter in sorted(registry().items()):
        description = _describe(parameter)
        if query and query not in key and query not in description.lower():
            continue
        module = parameter.module.split(".")[1] if parameter.module.count(".") >= 2 else ""
        form = forms.get(key) or ParameterForm(parameter=parameter, targets=targets, prefix=key)
        effect = effects.get(key)
        if effect is not None:
            form.fields["value"].widget.attrs.update(
                {
                    "hx-get": reverse(
                        "web:manage_parameter_preview", args=[console.organisation.pk, key]
                    ),
                    "hx-trigger": "input changed delay:300ms, change",
                    "hx-target": f"#preview-{key}",
                    "hx-swap": "outerHTML",
                    "aria-describedby": f"preview-{key}",
                }
            )
        modules[str(MODULES.get(module, module))].append(
            {
                "key": key,
                "parameter": parameter,
                "description": description,
                "default": _shown(parameter.default),
                "values": values.get(key, []),
                "form": form,
                "preview": effect,
            }
        )
    return render(
        request,
        "web/manage/parameters.html",
        console.context(section="parameters", modules=sorted(modules.items()), query=query),
        status=status,
    )


@manager_page
def parameters(request: HttpRequest, console: Console) -> HttpResponse:
    return _render(request, console)


@require_POST
@manager_page
def parameter_update(request: HttpRequest, console: Console, key: str) -> HttpResponse:
    """Set (or, with ``reset``, remove) a value at one level."""
    parameter = registry().get(key)
    if parameter is None:
        raise Http404
    form = ParameterForm(request.POST, parameter=parameter, targets=_targets(console), prefix=key)
    if form.is_valid():
        targets = _target_objects(console, form.cleaned_data["target"])
        try:
            if "reset" in request.POST:
                param_unset(
                    actor=console.user, key=key, organisation=console.organisation, **targets
                )
            else:
                param_set(
                    actor=console.user,
                    key=key,
                    value=form.typed_value(),
                    organisation=console.organisation,
                    **targets,
                )
        except ServiceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Parameter %(key)s saved.") % {"key": key})
            url = reverse("web:manage_parameters", args=[console.organisation.pk])
            return redirect(f"{url}?q={key}#{key}")
    return _render(request, console, forms={key: form}, status=400, query=key)


@manager_page
def parameter_preview(request: HttpRequest, console: Console, key: str) -> HttpResponse:
    """The effect of the value being typed (htmx), or why it is refused."""
    parameter = registry().get(key)
    if parameter is None or not has_preview(key):
        raise Http404
    form = ParameterForm(request.GET, parameter=parameter, targets={}, prefix=key)
    form.is_valid()  # the level and target do not matter here, only the value
    refused = ""
    effect = None
    if "value" in form.cleaned_data:
        try:
            effect = preview(key, console.organisation, parameter.clean(form.typed_value()))
        except ValidationFailed as error:
            refused = explain(error)
    else:
        refused = _("Choose one of the values offered.")
    return render(
        request,
        "web/manage/partials/parameter_preview.html",
        {"key": key, "preview": effect, "refused": refused},
    )
