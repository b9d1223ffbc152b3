from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import DriverProfile
from flotte.accounts.throttle import login_blocked, login_failed, login_succeeded
from flotte.core.middleware import client_ip


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
