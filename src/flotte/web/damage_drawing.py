"""Damage marks for the console, drawn on the car outline the drivers mark
them on (``web/partials/car_outline.html``: the car from above, 200 × 400,
the marks' ``x`` and ``y`` fractions of its width and height). Marks drawn
on another view (see :mod:`flotte.inspections.marks`) are listed only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

OUTLINE_VIEW = "top"
OUTLINE_WIDTH, OUTLINE_HEIGHT = 200, 400
VIEW_LABELS = {
    "top": _("from above"),
    "left": _("left side"),
    "right": _("right side"),
    "front": _("front"),
    "rear": _("rear"),
}
KIND_LABELS = {
    "scratch": _("scratch"),
    "dent": _("dent"),
    "broken": _("broken"),
    "stain": _("stain"),
    "other": _("other"),
}


def outline_marks(marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The marks numbered as on the drawing, with their place on the
    outline and words for their view and kind. A mark without ``new`` (no
    comparison made, as for a draft) counts as new."""
    return [
        {
            "number": index + 1,
            "on_outline": mark.get("view") == OUTLINE_VIEW,
            "cx": round(float(mark.get("x", 0)) * OUTLINE_WIDTH, 1),
            "cy": round(float(mark.get("y", 0)) * OUTLINE_HEIGHT, 1),
            "view_label": VIEW_LABELS.get(mark.get("view", ""), mark.get("view", "")),
            "kind_label": KIND_LABELS.get(mark.get("kind", "other"), mark.get("kind", "")),
            "note": mark.get("note", ""),
            "new": mark.get("new", True),
        }
        for index, mark in enumerate(marks)
    ]
