"""Forms of the manager console (labels on every field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import Community, User, UserGroup
from flotte.accounts.parameters import Kind, Level, Parameter
from flotte.billing.models import InvoiceLine
from flotte.booking.models import Transfer
from flotte.fleet.models import Vehicle
from flotte.web.forms import local_time_field


class PlanningBookForm(forms.Form):
    """A booking made by a manager for a member."""

    member: forms.ModelChoiceField[User] = forms.ModelChoiceField(label=_("Member"), queryset=None)
    community: forms.ModelChoiceField[Community] = forms.ModelChoiceField(
        label=_("Community"), queryset=None
    )
    vehicle: forms.ModelChoiceField[Vehicle] = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=None
    )
    start = local_time_field(_("From"))
    end = local_time_field(_("Until"))
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        members: QuerySet[User],
        communities: QuerySet[Community],
        vehicles: QuerySet[Vehicle],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["vehicle"].queryset = vehicles  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = lambda user: user.email  # type: ignore[attr-defined]
        self.fields["vehicle"].label_from_instance = (  # type: ignore[attr-defined]
            lambda vehicle: f"{vehicle.plate} · {vehicle.make} {vehicle.model}"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must come after the start."))
        return cleaned


class ManageChangeForm(forms.Form):
    """Change a booking's end, or move it to another vehicle."""

    end = local_time_field(_("Until"))
    vehicle: forms.ModelChoiceField[Vehicle] = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=None, required=False
    )

    def __init__(self, *args: Any, vehicles: QuerySet[Vehicle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles  # type: ignore[attr-defined]
        self.fields["vehicle"].label_from_instance = (  # type: ignore[attr-defined]
            lambda vehicle: f"{vehicle.plate} · {vehicle.make} {vehicle.model}"
        )


class TransferForm(forms.Form):
    """Let the platform move a booking to an equivalent free vehicle."""

    reason = forms.ChoiceField(label=_("Reason"), choices=Transfer.Reason.choices)


LEVEL_LABELS = {
    Level.ORGANISATION: _("Organisation"),
    Level.COMMUNITY: _("Community"),
    Level.GROUP: _("User group"),
    Level.VEHICLE: _("Vehicle"),
}


class ParameterForm(forms.Form):
    """A parameter's value at one of its allowed levels."""

    level = forms.ChoiceField(label=_("Level"))
    target = forms.CharField(label=_("Applies to"), required=False)
    value = forms.CharField(label=_("Value"), required=False)

    def __init__(
        self,
        *args: Any,
        parameter: Parameter,
        targets: dict[str, list[tuple[str, str]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.parameter = parameter
        self.fields["level"].choices = [  # type: ignore[attr-defined]
            (level.value, LEVEL_LABELS[level]) for level in parameter.levels
        ]
        choices: list[tuple[str, Any]] = [("", _("(the organisation)"))]
        for level in parameter.levels:
            choices += targets.get(level.value, [])
        self.fields["target"] = forms.ChoiceField(
            label=_("Applies to"), choices=choices, required=False
        )
        if parameter.kind is Kind.BOOL:
            self.fields["value"] = forms.ChoiceField(
                label=_("Value"), choices=[("true", _("yes")), ("false", _("no"))]
            )
        elif parameter.kind is Kind.CHOICE:
            self.fields["value"] = forms.ChoiceField(
                label=_("Value"), choices=[(c, c) for c in parameter.choices]
            )
        elif parameter.kind is Kind.TEXT_LIST:
            self.fields["value"].help_text = _("Separated by commas.")
        for name in self.fields:
            self.fields[name].widget.attrs["id"] = f"id_{parameter.key}_{name}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        level, target = cleaned.get("level"), cleaned.get("target") or ""
        if level and level != Level.ORGANISATION.value and not target.startswith(f"{level}:"):
            self.add_error("target", _("Choose what this level applies to."))
        if level == Level.ORGANISATION.value and target:
            self.add_error("target", _("The organisation level applies to the whole organisation."))
        return cleaned

    def typed_value(self) -> Any:
        """The text of the form as the registry expects it (it checks it)."""
        raw = self.cleaned_data.get("value") or ""
        if self.parameter.kind is Kind.BOOL:
            return raw == "true"
        if self.parameter.kind is Kind.TEXT_LIST:
            return [item for item in raw.split(",")]
        return raw


def parameter_targets(
    communities: QuerySet[Community], groups: QuerySet[UserGroup], vehicles: QuerySet[Vehicle]
) -> dict[str, list[tuple[str, str]]]:
    return {
        Level.COMMUNITY.value: [(f"community:{c.pk}", str(c)) for c in communities],
        Level.GROUP.value: [(f"group:{g.pk}", str(g)) for g in groups],
        Level.VEHICLE.value: [(f"vehicle:{v.pk}", v.plate) for v in vehicles],
    }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the profile is rejected"), widget=forms.Textarea(attrs={"rows": 2})
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the suspension"), max_length=500)
    ends_at = local_time_field(_("Until (empty: until lifted)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ends_at"].required = False


class InvoiceLineForm(forms.Form):
    """A penalty or another line added to an invoice not yet issued."""

    kind = forms.ChoiceField(label=_("Kind of line"), choices=InvoiceLine.Kind.choices)
    label = forms.CharField(label=_("Label"), max_length=200)
    unit_price_incl_vat = forms.DecimalField(
        label=_("Unit price incl. VAT (€)"), max_digits=10, decimal_places=2
    )
    quantity = forms.DecimalField(label=_("Quantity"), initial=1, max_digits=8, decimal_places=2)


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Why the invoice is credited"), max_length=500)


class TariffForm(forms.Form):
    """A new tariff for a community, or for one of its user groups."""

    community: forms.ModelChoiceField[Community] = forms.ModelChoiceField(
        label=_("Community"), queryset=None
    )
    group: forms.ModelChoiceField[UserGroup] = forms.ModelChoiceField(
        label=_("User group (empty: everyone)"), queryset=None, required=False
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until (excluded)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    hourly_rate = forms.DecimalField(
        label=_("Hourly rate incl. VAT (€)"), max_digits=9, decimal_places=2
    )
    km_rate = forms.DecimalField(
        label=_("Rate per km incl. VAT (€)"), max_digits=9, decimal_places=2, initial=0
    )
    day_cap = forms.DecimalField(
        label=_("Daily cap (€)"), max_digits=9, decimal_places=2, required=False
    )
    included_km_per_day = forms.IntegerField(label=_("Km included per day"), min_value=0, initial=0)
    free_business_use = forms.BooleanField(label=_("Internal business use is free"), required=False)

    def __init__(
        self,
        *args: Any,
        communities: QuerySet[Community],
        groups: QuerySet[UserGroup],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class TariffEndForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Last day excluded"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ExportForm(forms.Form):
    """The accounting export of a period (both days included)."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end must come after the start."))
        return cleaned
