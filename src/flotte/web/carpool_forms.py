"""Forms of the member's carpool pages (labels on every field). They check
the shape of what is typed; the carpool services decide the rest (seats,
times within the booking, a destination) and their refusals go on these
forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.fleet.models import Station
from flotte.web.forms import local_time_field


def _optional_time(label: Any) -> forms.DateTimeField:
    field = local_time_field(label)
    field.required = False
    return field


def _coordinate(label: Any, limit: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-limit,
        max_value=limit,
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
    )


class _DestinationMixin(forms.Form):
    """A destination: one of the organisation's stations, or a point given
    by its coordinates."""

    destination_station: forms.ModelChoiceField[Station] = forms.ModelChoiceField(
        label=_("Destination station"), queryset=None, required=False
    )
    destination_latitude = _coordinate(_("Destination latitude"), 90)
    destination_longitude = _coordinate(_("Destination longitude"), 180)

    def _set_destinations(self, destinations: QuerySet[Station]) -> None:
        station = self.fields["destination_station"]
        assert isinstance(station, forms.ModelChoiceField)
        station.queryset = destinations
        station.empty_label = _("Another place (give its coordinates)")

    def _check_coordinates(self, cleaned: dict[str, Any], *, required: bool) -> None:
        if {"destination_latitude", "destination_longitude"} & set(self.errors):
            return  # already told what is wrong with them
        latitude = cleaned.get("destination_latitude")
        longitude = cleaned.get("destination_longitude")
        if (latitude is None) != (longitude is None):
            self.add_error(
                "destination_longitude" if longitude is None else "destination_latitude",
                _("Give both the latitude and the longitude."),
            )
        elif required and cleaned.get("destination_station") is None and latitude is None:
            self.add_error(
                "destination_station",
                _("Choose a destination station, or give the place's coordinates."),
            )


class OfferForm(_DestinationMixin):
    """Offer the free seats of one's booking."""

    seats = forms.IntegerField(label=_("Free seats offered"), min_value=1)
    destination = forms.CharField(
        label=_("Destination"),
        max_length=200,
        required=False,
        help_text=_("Its name: the town hall, a school... (a station gives its own)."),
    )
    departure_at = _optional_time(_("Departure"))
    return_at = _optional_time(_("Return (leave empty for a one-way trip)"))
    note = forms.CharField(
        label=_("Note for the passengers"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = [
        "seats",
        "destination_station",
        "destination",
        "destination_latitude",
        "destination_longitude",
        "departure_at",
        "return_at",
        "note",
    ]

    def __init__(self, *args: Any, destinations: QuerySet[Station], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_destinations(destinations)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_coordinates(cleaned, required=False)
        if (
            cleaned.get("destination_station") is None
            and cleaned.get("destination_latitude") is not None
            and not (cleaned.get("destination") or "").strip()
        ):
            self.add_error("destination", _("Name the place you are going to."))
        departure, back = cleaned.get("departure_at"), cleaned.get("return_at")
        if departure and back and back <= departure:
            self.add_error("return_at", _("The return must come after the departure."))
        return cleaned


class TripSearchForm(_DestinationMixin):
    """Trips from a station near mine to near my destination, at my time."""

    origin_station: forms.ModelChoiceField[Station] = forms.ModelChoiceField(
        label=_("From the station"), queryset=None
    )
    start = local_time_field(_("From"))
    end = local_time_field(_("Until"))

    field_order = [
        "origin_station",
        "destination_station",
        "destination_latitude",
        "destination_longitude",
        "start",
        "end",
    ]

    def __init__(
        self,
        *args: Any,
        origins: QuerySet[Station],
        destinations: QuerySet[Station],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        origin = self.fields["origin_station"]
        assert isinstance(origin, forms.ModelChoiceField)
        origin.queryset = origins
        self._set_destinations(destinations)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_coordinates(cleaned, required=True)
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must come after the start."))
        return cleaned


class AskForm(forms.Form):
    """Ask to join a trip."""

    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=8, initial=1)
    message = forms.CharField(
        label=_("Message to the driver"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
