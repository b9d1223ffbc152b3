from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import DriverProfile
from flotte.accounts.throttle import login_blocked, login_failed, login_succeeded
from flotte.booking.models import Booking
from flotte.core.middleware import client_ip
from flotte.fleet.models import Station, Vehicle

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail, with failed attempts counted against guessing."""

    def clean(self) -> dict[str, Any]:
        email = self.data.get("username", "")
        ip = client_ip(self.request) if self.request is not None else None
        if login_blocked(email, ip):
            raise forms.ValidationError(
                _("Too many failed attempts: try again in 15 minutes."), code="throttled"
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(email, ip)
            raise
        login_succeeded(email, ip)
        return cleaned

    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True})
    )


class SignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)


class InvitationSignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = DriverProfile
        fields = [*DriverProfile.DATA_FIELDS, *DriverProfile.DOCUMENT_FIELDS]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "licence_issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "licence_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


# The member app. Times come from <input type="datetime-local">, in the
# community's time zone (the views make it the current one).
LOCAL_TIME = "%Y-%m-%dT%H:%M"


def local_time_field(label: StrOrPromise) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_TIME, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
    )


class SearchForm(forms.Form):
    """When, where, what and why: the search of free vehicles."""

    start = local_time_field(_("From"))
    end = local_time_field(_("Until"))
    station: forms.ModelChoiceField[Station] = forms.ModelChoiceField(
        label=_("Station"), queryset=None, required=False
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    km = forms.IntegerField(
        label=_("Kilometres you expect to drive"),
        min_value=0,
        max_value=5000,
        required=False,
        initial=0,
    )
    use = forms.ChoiceField(
        label=_("Use"), choices=Booking.Use.choices, initial=Booking.Use.BUSINESS
    )
    purpose = forms.CharField(label=_("Purpose of the trip"), max_length=200, required=False)
    cost_centre = forms.CharField(label=_("Cost centre"), max_length=50, required=False)

    def __init__(
        self,
        *args: Any,
        stations: QuerySet[Station],
        private_allowed: bool,
        purpose_required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        station = self.fields["station"]
        assert isinstance(station, forms.ModelChoiceField)
        station.queryset = stations
        station.empty_label = _("Any station")
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("Any category")), *Vehicle.Category.choices]
        use = self.fields["use"]
        assert isinstance(use, forms.ChoiceField)
        if not private_allowed:
            use.choices = [(Booking.Use.BUSINESS, Booking.Use.BUSINESS.label)]
            use.widget = forms.HiddenInput()
        else:
            use.widget = forms.RadioSelect(choices=Booking.Use.choices)
        if purpose_required:
            self.fields["purpose"].help_text = _(
                "A purpose or a cost centre is required for a business trip."
            )


class BookForm(SearchForm):
    """A search's answer chosen: book this vehicle for these times."""

    vehicle = forms.IntegerField(widget=forms.HiddenInput)


class ChangeForm(forms.Form):
    end = local_time_field(_("New end"))


class TripEndForm(forms.Form):
    """Only for a vehicle without a box: the driver says the km driven."""

    km = forms.IntegerField(label=_("Kilometres driven"), min_value=0, max_value=5000)


class CommandForm(forms.Form):
    kind = forms.ChoiceField(choices=[("unlock", "unlock"), ("lock", "lock")])
