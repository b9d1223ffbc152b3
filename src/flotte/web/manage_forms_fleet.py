"""Forms of the console's vehicle, inspections and incidents pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import Community, Organisation
from flotte.fleet.models import Box, Station, Vehicle
from flotte.inspections.models import Incident, Inspection
from flotte.telematics.models import Command


class CommandForm(forms.Form):
    """A command to the vehicle's box, sent from the console."""

    kind = forms.ChoiceField(label=_("Command"), choices=Command.Kind.choices)


class VehicleStatusForm(forms.Form):
    """Take a vehicle into maintenance or out of service, or back into service."""

    status = forms.ChoiceField(label=_("Status"), choices=Vehicle.Status.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=200, required=False)


def _communities(organisation: Organisation) -> QuerySet[Community]:
    return Community.objects.filter(organisation=organisation).order_by("name")


class VehicleForm(forms.Form):
    """A vehicle of the organisation: the fields of the REST ``VehicleIn``
    (but the user groups); the service checks the rest."""

    plate = forms.CharField(label=_("Plate"), max_length=12)
    vin = forms.CharField(label=_("VIN (optional)"), max_length=17, required=False)
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), max_length=60)
    category = forms.ChoiceField(label=_("Category"), choices=Vehicle.Category.choices)
    energy = forms.ChoiceField(label=_("Energy"), choices=Vehicle.Energy.choices)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=9, initial=5)
    range_km = forms.IntegerField(label=_("Range (km)"), min_value=1, max_value=5000)
    battery_kwh = forms.DecimalField(
        label=_("Battery (kWh, optional)"),
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0"),
        required=False,
    )
    consumption_per_100km = forms.DecimalField(
        label=_("Consumption per 100 km (kWh or litres)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )
    co2_g_km = forms.IntegerField(
        label=_("CO2 (g/km)"), min_value=0, max_value=1000, initial=0, required=False
    )
    home_station: forms.ModelChoiceField[Station] = forms.ModelChoiceField(
        label=_("Home station"), queryset=None
    )
    communities: forms.ModelMultipleChoiceField[Community] = forms.ModelMultipleChoiceField(
        label=_("Communities"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accessories = forms.MultipleChoiceField(
        label=_("Accessories"),
        choices=Vehicle.Accessory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    carpool_friendly = forms.BooleanField(label=_("Open to carpooling"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_station"].queryset = Station.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")
        self.fields["communities"].queryset = _communities(organisation)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(vehicle: Vehicle) -> dict[str, Any]:
        names = [name for name in VehicleForm.base_fields if name != "communities"]
        initial = {name: getattr(vehicle, name) for name in names}
        initial["communities"] = list(vehicle.communities.all())
        return initial

    def service_fields(self) -> dict[str, Any]:
        """The cleaned fields as the services take them."""
        fields = dict(self.cleaned_data)
        fields["co2_g_km"] = fields["co2_g_km"] or 0
        fields["communities"] = list(fields["communities"])
        return fields


class StationForm(forms.Form):
    """A station of the organisation: the fields of the REST ``StationIn``."""

    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
    )
    capacity = forms.IntegerField(
        label=_("Parking spaces"), min_value=1, max_value=10000, initial=1
    )
    charging_points = forms.IntegerField(
        label=_("Charging points"), min_value=0, max_value=10000, initial=0
    )
    one_way_returns = forms.BooleanField(label=_("Accepts one-way returns"), required=False)
    access_notes = forms.CharField(
        label=_("How to find the cars"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    communities: forms.ModelMultipleChoiceField[Community] = forms.ModelMultipleChoiceField(
        label=_("Communities"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = _communities(organisation)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(station: Station) -> dict[str, Any]:
        names = [name for name in StationForm.base_fields if name != "communities"]
        initial = {name: getattr(station, name) for name in names}
        initial["communities"] = list(station.communities.all())
        return initial

    def service_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        fields["communities"] = list(fields["communities"])
        return fields


class BoxFitForm(forms.Form):
    """Fit one of the organisation's unfitted boxes to the vehicle."""

    box: forms.ModelChoiceField[Box] = forms.ModelChoiceField(
        label=_("Box"), queryset=None, empty_label=None
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["box"].queryset = Box.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, vehicle__isnull=True
        ).order_by("box_id")
        self.fields["box"].label_from_instance = lambda box: box.box_id  # type: ignore[attr-defined]


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
