"""Forms of the console's vehicle, inspections and incidents pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.fleet.models import Vehicle
from flotte.inspections.models import Incident, Inspection
from flotte.telematics.models import Command


class CommandForm(forms.Form):
    """A command to the vehicle's box, sent from the console."""

    kind = forms.ChoiceField(label=_("Command"), choices=Command.Kind.choices)


class BulkTransferForm(forms.Form):
    """Move every upcoming booking of the vehicle to an equivalent free one."""

    confirm = forms.BooleanField(
        label=_("Yes, move every upcoming booking of this vehicle"), required=True
    )


DAMAGE_CHOICES = [("", _("all")), ("yes", _("with damage marks")), ("no", _("without"))]


class InspectionFilterForm(forms.Form):
    vehicle: forms.ModelChoiceField[Vehicle] = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=None, required=False, empty_label=_("all")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("all")), *Inspection.Kind.choices], required=False
    )
    damage = forms.ChoiceField(label=_("Damage"), choices=DAMAGE_CHOICES, required=False)

    def __init__(self, *args: Any, vehicles: QuerySet[Vehicle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles  # type: ignore[attr-defined]
        self.fields["vehicle"].label_from_instance = lambda v: v.plate  # type: ignore[attr-defined]


class IncidentFilterForm(forms.Form):
    vehicle: forms.ModelChoiceField[Vehicle] = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=None, required=False, empty_label=_("all")
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("all")), *Incident.State.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("all")), *Incident.Kind.choices], required=False
    )

    def __init__(self, *args: Any, vehicles: QuerySet[Vehicle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles  # type: ignore[attr-defined]
        self.fields["vehicle"].label_from_instance = lambda v: v.plate  # type: ignore[attr-defined]


class ExcessForm(forms.Form):
    """The damage excess billed to the driver, incl. VAT."""

    amount = forms.DecimalField(
        label=_("Damage excess incl. VAT (€)"),
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    label = forms.CharField(label=_("Invoice line (optional)"), max_length=200, required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
