"""Every billing parameter changes behaviour, and a test shows it."""

from __future__ import annotations

from pathlib import Path

from flotte.accounts.parameters import Parameter
from flotte.billing import params


def test_every_billing_parameter_has_a_behaviour_test() -> None:
    here = Path(__file__).parent
    sources = "".join(
        path.read_text(encoding="utf-8")
        for path in here.rglob("test_*.py")
        if path.name != Path(__file__).name
    )
    keys = [value.key for value in vars(params).values() if isinstance(value, Parameter)]
    assert len(keys) >= 10
    untested = [key for key in keys if key not in sources]
    assert untested == []
