"""The forms of the member's inspections and incident reports, the zones of
the car outline (the keyboard's way to place a damage mark), and the words
for the angles, mark kinds and photo refusals."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from flotte.core.errors import ServiceError
from flotte.inspections.marks import MARK_KINDS
from flotte.inspections.models import Incident
from flotte.web.damage_drawing import OUTLINE_VIEW, VIEW_LABELS

# The outline is the car seen from above, its front at the top: the marks
# placed on it are of the "top" view, x and y fractions of the drawing from
# its top left corner (flotte.inspections.marks; the view and the views'
# words are flotte.web.damage_drawing's, which draws them for the console).
# Each zone is a point of that drawing, for placing a mark without tapping it.
ZONES: dict[str, tuple[Any, float, float]] = {
    "front_bumper": (_("front bumper"), 0.5, 0.04),
    "bonnet": (_("bonnet"), 0.5, 0.17),
    "windscreen": (_("windscreen"), 0.5, 0.3),
    "roof": (_("roof"), 0.5, 0.5),
    "rear_window": (_("rear window"), 0.5, 0.73),
    "boot": (_("boot"), 0.5, 0.86),
    "rear_bumper": (_("rear bumper"), 0.5, 0.96),
    "front_left_wing": (_("front left wing"), 0.12, 0.18),
    "front_left_door": (_("front left door"), 0.09, 0.42),
    "rear_left_door": (_("rear left door"), 0.09, 0.6),
    "rear_left_wing": (_("rear left wing"), 0.12, 0.82),
    "front_right_wing": (_("front right wing"), 0.88, 0.18),
    "front_right_door": (_("front right door"), 0.91, 0.42),
    "rear_right_door": (_("rear right door"), 0.91, 0.6),
    "rear_right_wing": (_("rear right wing"), 0.88, 0.82),
}
MARK_KIND_LABELS = {
    "scratch": _("scratch"),
    "dent": _("dent"),
    "broken": _("broken part"),
    "stain": _("stain"),
    "other": _("other damage"),
}
ANGLE_LABELS = {
    "front": _("front"),
    "rear": _("rear"),
    "left": _("left side"),
    "right": _("right side"),
    "interior": _("interior"),
    "dashboard": _("dashboard"),
    "other": _("other"),
}
CLEANLINESS = [
    (1, _("1 – dirty")),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, _("5 – spotless")),
]


def angle_label(angle: str) -> str:
    """An angle of the parameter in words (the organisation's own name otherwise)."""
    return str(ANGLE_LABELS.get(angle, angle))


def nearest_zone(mark: dict[str, Any]) -> str:
    """Where a mark of the outline is, in words, for its list and for screen readers."""
    if mark.get("view") != OUTLINE_VIEW:
        return str(VIEW_LABELS.get(mark.get("view", ""), ""))
    name = min(ZONES, key=lambda z: math.dist((ZONES[z][1], ZONES[z][2]), (mark["x"], mark["y"])))
    return str(ZONES[name][0])


PHOTO_PROBLEMS = {
    "too large": _("A photo may weigh 5 MB at most."),
    "file type refused": _("Send a JPEG, PNG or WebP photo."),
    "too many pixels": _("This photo has too many pixels."),
    "not an image": _("This file is not a readable image."),
}


def photo_problem(error: ServiceError) -> str:
    """A photo refused by flotte.inspections.photos, in the reader's language."""
    problem = PHOTO_PROBLEMS.get(error.fields.get("file", ""))
    return str(problem) if problem is not None else error.message


class ReadingsForm(forms.Form):
    """What the driver reads in the car; each may be saved on its own in the
    draft, all three are needed to submit."""

    energy_pct = forms.IntegerField(
        label=_("Fuel or battery level (%)"), min_value=0, max_value=100, required=False
    )
    odometer_km = forms.IntegerField(
        label=_("Odometer (km)"), min_value=0, max_value=9_999_999, required=False
    )
    cleanliness = forms.TypedChoiceField(
        label=_("Cleanliness"),
        choices=CLEANLINESS,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["energy_pct"].widget.attrs["inputmode"] = "numeric"
        self.fields["odometer_km"].widget.attrs["inputmode"] = "numeric"


class MarkForm(forms.Form):
    """A damage mark: tapped on the outline (x, y) or, from the keyboard, a zone."""

    x = forms.FloatField(min_value=0, max_value=1, required=False, widget=forms.HiddenInput)
    y = forms.FloatField(min_value=0, max_value=1, required=False, widget=forms.HiddenInput)
    zone = forms.ChoiceField(label=_("Where"), required=False)
    kind = forms.ChoiceField(
        label=_("Damage"), choices=[(k, MARK_KIND_LABELS[k]) for k in MARK_KINDS]
    )
    note = forms.CharField(label=_("Short description"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.fields["zone"]
        assert isinstance(zone, forms.ChoiceField)
        zone.choices = [
            ("", _("the place tapped on the drawing")),
            *((name, label) for name, (label, _x, _y) in ZONES.items()),
        ]
        zone.help_text = _("Tap the drawing, or choose a part of the car.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        zone = cleaned.get("zone")
        if zone:
            cleaned["x"], cleaned["y"] = ZONES[zone][1], ZONES[zone][2]
        elif cleaned.get("x") is None or cleaned.get("y") is None:
            raise forms.ValidationError(
                gettext("Tap the drawing where the damage is, or choose a part of the car.")
            )
        return cleaned

    def mark(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "view": OUTLINE_VIEW,
            "x": data["x"],
            "y": data["y"],
            "kind": data["kind"],
            "note": data["note"],
        }


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=Incident.Kind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
