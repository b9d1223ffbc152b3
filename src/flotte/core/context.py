"""Where the current action comes from (manager console, API, box, scheduler),
for the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    source: str  # web, api, admin, box, scheduler, task, cli, system
    ip: str | None = None


_origin: ContextVar[Origin] = ContextVar("flotte_origin", default=Origin("system"))  # noqa: B039 - frozen


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(source: str, ip: str | None = None) -> Iterator[Origin]:
    value = Origin(source, ip)
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)
