"""The forms of the profile page beyond the driver profile (labels on
every field)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """The language of the pages and of the messages Flotte sends."""

    language = forms.ChoiceField(label=_("My language"), choices=settings.LANGUAGES)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be erased for good."),
        required=True,
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )
