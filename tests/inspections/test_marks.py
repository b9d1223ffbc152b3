from __future__ import annotations

from typing import Any

import pytest

from flotte.core.errors import ValidationFailed
from flotte.inspections.marks import marks_clean, new_marks


def test_marks_are_kept_with_their_position_kind_and_note() -> None:
    assert marks_clean([{"view": "top", "x": 0, "y": 1, "kind": "dent", "note": " capot "}]) == [
        {"view": "top", "x": 0.0, "y": 1.0, "kind": "dent", "note": "capot"}
    ]


@pytest.mark.parametrize(
    "mark",
    [
        {"view": "under", "x": 0.5, "y": 0.5},
        {"view": "top", "x": 1.2, "y": 0.5},
        {"view": "top", "x": 0.5, "y": -0.1},
        {"view": "top", "x": "0.5", "y": 0.5},
        {"view": "top", "x": True, "y": 0.5},
        {"view": "top", "x": 0.5, "y": 0.5, "kind": "rust"},
        {"view": "top", "x": 0.5, "y": 0.5, "note": "x" * 201},
        "top 0.5 0.5",
    ],
)
def test_a_bad_mark_is_refused(mark: Any) -> None:
    with pytest.raises(ValidationFailed):
        marks_clean([mark])


def test_a_mark_near_one_on_the_same_view_is_the_same_damage() -> None:
    before = marks_clean([{"view": "left", "x": 0.3, "y": 0.5}])
    after = marks_clean(
        [
            {"view": "left", "x": 0.35, "y": 0.52},  # moved a little: same
            {"view": "right", "x": 0.3, "y": 0.5},  # other side: new
            {"view": "left", "x": 0.6, "y": 0.5},  # far: new
        ]
    )
    assert new_marks(after, before) == [1, 2]
