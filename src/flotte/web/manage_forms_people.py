"""Forms of the console's groups and badges pages (labels on every field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import Membership
from flotte.fleet.models import BADGE_UID


class GroupForm(forms.Form):
    """A new user group, or a group's new name."""

    name = forms.CharField(label=_("Name of the group"), max_length=100)
    private_use_allowed = forms.BooleanField(label=_("Private use allowed"), required=False)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the group a name."))
        return name


class GroupMemberForm(forms.Form):
    """Put a member (their place in one community) into the group."""

    membership: forms.ModelChoiceField[Membership] = forms.ModelChoiceField(
        label=_("Member"), queryset=None
    )

    def __init__(self, *args: Any, memberships: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        field.queryset = memberships  # type: ignore[attr-defined]
        field.label_from_instance = (  # type: ignore[attr-defined]
            lambda membership: (
                f"{membership.user.email} · {membership.community.name}"
                + (f" ({membership.group.name})" if membership.group else "")
            )
        )


class BadgeForm(forms.Form):
    """An RFID badge handed to the member."""

    uid = forms.CharField(
        label=_("Badge UID (hexadecimal, as the reader shows it)"),
        max_length=40,
        help_text=_("8 to 20 hexadecimal digits; spaces and colons are ignored."),
    )
    label = forms.CharField(label=_("Label (optional)"), max_length=60, required=False)

    def clean_uid(self) -> str:
        uid = self.cleaned_data["uid"].replace(":", "").replace(" ", "").upper()
        BADGE_UID(uid)
        return str(uid)


class BadgeRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Why the badge is revoked"), max_length=200, required=False)
