"""Damage marks on the car outline, and what is new between two
inspections.

A mark is ``{view, x, y, kind, note}``: the outline drawn from ``view``
(top, left, right, front, rear), the position as fractions of the drawing's
width and height (0..1 from the top left corner), a kind and a short note.
Two marks are taken for the same damage when they are on the same view and
at most ``SAME_DAMAGE_DISTANCE`` apart (Euclidean distance in those
fractions); the kind is not compared, since two drivers may call one mark a
scratch and a dent."""

from __future__ import annotations

import math
from typing import Any

from flotte.core.errors import ValidationFailed

VIEWS = ("top", "left", "right", "front", "rear")
MARK_KINDS = ("scratch", "dent", "broken", "stain", "other")
MAX_MARKS = 50
SAME_DAMAGE_DISTANCE = 0.08


def marks_clean(raw: Any) -> list[dict[str, Any]]:
    """The marks as stored, or ValidationFailed naming the first bad one."""
    if not isinstance(raw, list):
        raise ValidationFailed("marks must be a list", fields={"marks": "not a list"})
    if len(raw) > MAX_MARKS:
        raise ValidationFailed(f"at most {MAX_MARKS} marks", fields={"marks": "too many"})
    cleaned = []
    for index, mark in enumerate(raw):
        field = f"marks[{index}]"
        if not isinstance(mark, dict):
            raise ValidationFailed(f"{field} must be an object", fields={field: "not an object"})
        view, kind = mark.get("view"), mark.get("kind", "other")
        if view not in VIEWS:
            raise ValidationFailed(
                f"{field}: view is one of {', '.join(VIEWS)}", fields={field: "view"}
            )
        if kind not in MARK_KINDS:
            raise ValidationFailed(
                f"{field}: kind is one of {', '.join(MARK_KINDS)}", fields={field: "kind"}
            )
        position = []
        for axis in ("x", "y"):
            value = mark.get(axis)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationFailed(f"{field}: {axis} must be a number", fields={field: axis})
            if not 0 <= value <= 1 or math.isnan(value):
                raise ValidationFailed(f"{field}: {axis} is between 0 and 1", fields={field: axis})
            position.append(round(float(value), 4))
        note = mark.get("note", "") or ""
        if not isinstance(note, str) or len(note) > 200:
            raise ValidationFailed(
                f"{field}: a note of 200 characters at most", fields={field: "note"}
            )
        cleaned.append(
            {"view": view, "x": position[0], "y": position[1], "kind": kind, "note": note.strip()}
        )
    return cleaned


def same_damage(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(
        a["view"] == b["view"]
        and math.dist((a["x"], a["y"]), (b["x"], b["y"])) <= SAME_DAMAGE_DISTANCE
    )


def new_marks(marks: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[int]:
    """Indexes of the marks with no mark of ``before`` close to them."""
    return [i for i, mark in enumerate(marks) if not any(same_damage(mark, b) for b in before)]
