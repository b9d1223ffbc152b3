from __future__ import annotations

from types import SimpleNamespace

import pytest

from flotte.benchmarks import _measure


def test_measure_times_each_request_after_one_warm_up() -> None:
    calls = []

    def call() -> SimpleNamespace:
        calls.append(1)
        return SimpleNamespace(status_code=200)

    timings = _measure(call, 5)
    assert len(timings) == 5
    assert len(calls) == 6
    assert all(t >= 0 for t in timings)


def test_a_failing_request_stops_the_benchmark() -> None:
    with pytest.raises(RuntimeError, match="403"):
        _measure(lambda: SimpleNamespace(status_code=403), 3)
