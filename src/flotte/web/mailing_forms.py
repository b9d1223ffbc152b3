"""The console's mailing form (labels on every field): the audience, one
community or one user group, and the text in French, English or both. The
notify service decides what a complete mailing is; its refusals go on this
form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from flotte.accounts.models import Community, UserGroup
from flotte.notify.mailings import BODY_MAX, SUBJECT_MAX


class MailingForm(forms.Form):
    audience = forms.ChoiceField(label=_("To"))
    subject_fr = forms.CharField(
        label=_("Subject in French"), max_length=SUBJECT_MAX, required=False
    )
    body_fr = forms.CharField(
        label=_("Message in French"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    subject_en = forms.CharField(
        label=_("Subject in English"), max_length=SUBJECT_MAX, required=False
    )
    body_en = forms.CharField(
        label=_("Message in English"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(
        self,
        *args: Any,
        communities: QuerySet[Community],
        groups: QuerySet[UserGroup],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._communities = {str(c.pk): c for c in communities}
        self._groups = {str(g.pk): g for g in groups}
        choices: list[Any] = [("", _("Choose a community or a group"))]
        choices.append(
            (
                _("Communities"),
                [(f"community:{pk}", c.name) for pk, c in self._communities.items()],
            )
        )
        if self._groups:
            choices.append(
                (_("User groups"), [(f"group:{pk}", g.name) for pk, g in self._groups.items()])
            )
        audience = self.fields["audience"]
        assert isinstance(audience, forms.ChoiceField)
        audience.choices = choices

    def clean_audience(self) -> Community | UserGroup:
        kind, _sep, pk = str(self.cleaned_data["audience"]).partition(":")
        target = (self._communities if kind == "community" else self._groups).get(pk)
        if kind not in ("community", "group") or target is None:
            raise forms.ValidationError(_("Choose a community or a group of yours."))
        return target

    def audience_parts(self) -> dict[str, Any]:
        """``community`` and ``group`` for the service, one of them None."""
        target = self.cleaned_data["audience"]
        return {
            "community": target if isinstance(target, Community) else None,
            "group": target if isinstance(target, UserGroup) else None,
        }
