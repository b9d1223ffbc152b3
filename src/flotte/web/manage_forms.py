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
    # The other components, folded on the page.
    first_block_minutes = forms.IntegerField(
        label=_("First block billed in full (minutes)"), min_value=0, initial=60, required=False
    )
    step_minutes = forms.IntegerField(
        label=_("Then billed by steps of (minutes)"), min_value=1, initial=15, required=False
    )
    night_rate = forms.DecimalField(
        label=_("Night hourly rate (€)"), max_digits=9, decimal_places=2, required=False
    )
    night_start = forms.TimeField(
        label=_("Night from"),
        initial="21:00",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    night_end = forms.TimeField(
        label=_("Night until"),
        initial="07:00",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    weekend_rate = forms.DecimalField(
        label=_("Weekend hourly rate (€)"), max_digits=9, decimal_places=2, required=False
    )
    week_cap = forms.DecimalField(
        label=_("Weekly cap (€)"), max_digits=9, decimal_places=2, required=False
    )
    minimum_charge = forms.DecimalField(
        label=_("Minimum charge (€)"), max_digits=9, decimal_places=2, initial=0, required=False
    )
    tier_after_hours = forms.IntegerField(
        label=_("Long bookings: from hour"), min_value=1, required=False
    )
    tier_discount_pct = forms.DecimalField(
        label=_("Long bookings: discount (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
    )
    package_label = forms.CharField(label=_("Package: name"), max_length=60, required=False)
    package_minutes = forms.IntegerField(
        label=_("Package: up to (minutes)"), min_value=1, required=False
    )
    package_price = forms.DecimalField(
        label=_("Package: price (€)"), max_digits=9, decimal_places=2, required=False
    )
    package_km = forms.IntegerField(
        label=_("Package: km included"), min_value=0, initial=0, required=False
    )
    package_from = forms.TimeField(
        label=_("Package: only from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    package_until = forms.TimeField(
        label=_("Package: only until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )

    TIER = ("tier_after_hours", "tier_discount_pct")
    # Left empty, these take the tariff's defaults.
    DEFAULTED = (
        "first_block_minutes",
        "step_minutes",
        "night_start",
        "night_end",
        "minimum_charge",
    )
    PACKAGE = ("package_label", "package_minutes", "package_price")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for names, message in (
            (self.TIER, _("Give both the hour and the discount, or neither.")),
            (self.PACKAGE, _("Give the package's name, duration and price, or none.")),
        ):
            given = [cleaned.get(name) not in (None, "") for name in names]
            if any(given) and not all(given):
                for name, present in zip(names, given, strict=True):
                    if not present:
                        self.add_error(name, message)
        if (cleaned.get("package_from") is None) != (cleaned.get("package_until") is None):
            self.add_error("package_until", _("Give both times of the package, or neither."))
        return cleaned

    def tariff_fields(self) -> dict[str, Any]:
        """The cleaned data as the tariff service takes it: the long-booking
        tier and the package as the lists the tariff stores."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not (name in self.DEFAULTED and value is None)
        }
        tier = [data.pop(name) for name in self.TIER]
        package = {name: data.pop(name) for name in (*self.PACKAGE, "package_km")}
        window = data.pop("package_from"), data.pop("package_until")
        data["tiers"] = [{"after_hours": tier[0], "discount_pct": str(tier[1])}] if tier[0] else []
        data["flat_rates"] = []
        if package["package_label"]:
            flat: dict[str, Any] = {
                "label": package["package_label"],
                "max_minutes": package["package_minutes"],
                "price": str(package["package_price"]),
                "included_km": package["package_km"] or 0,
            }
            if window[0] is not None and window[1] is not None:
                flat["from_time"] = window[0].strftime("%H:%M")
                flat["until_time"] = window[1].strftime("%H:%M")
            data["flat_rates"] = [flat]
        return data

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
