from __future__ import annotations

from types import SimpleNamespace

import pytest

from flotte.benchmarks_stats import _figures, _timings


def test_each_request_is_timed_after_one_warm_up_and_its_preparation() -> None:
    calls, prepared = [], []
    timings = _timings(
        lambda: calls.append(1) or SimpleNamespace(status_code=200),
        4,
        before=lambda: prepared.append(1),
    )
    assert (len(timings), len(calls), len(prepared)) == (4, 5, 4)


def test_a_202_stops_the_benchmark() -> None:
    with pytest.raises(RuntimeError, match="202"):
        _timings(lambda: SimpleNamespace(status_code=202), 2)


def test_median_and_95th_percentile() -> None:
    figures = _figures([float(n) for n in range(1, 101)])
    assert figures["median_ms"] == 50.5
    assert 94 < figures["p95_ms"] <= 96
