"""A thin task layer: a task takes ids, calls a service, and is enqueued after
the current transaction commits.

With ``CELERY_BROKER_URL`` set, tasks go to Celery workers and periodic jobs to
Celery beat. Without it, a task runs in this process right after commit, and
periodic jobs run in the scheduler loop of ``flotte run``: the embedded
default needs no other service.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

from flotte.core import clock
from flotte.core.context import origin
from flotte.core.tenancy import cross_tenant

log = logging.getLogger(__name__)

TaskArg = int | str


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., Any]
    every: dt.timedelta | None = None

    def enqueue(self, *args: TaskArg) -> None:
        """Run after the current transaction commits (at once outside one)."""
        for arg in args:
            if not isinstance(arg, int | str):
                raise TypeError(f"task {self.name} takes ids, not {type(arg).__name__}")
        transaction.on_commit(lambda: _dispatch(self.name, args))

    def run(self, *args: TaskArg) -> Any:
        return run_task(self.name, args)


_registry: dict[str, Task] = {}


def task(name: str, *, every: dt.timedelta | None = None) -> Callable[[Callable[..., Any]], Task]:
    """Register a task; ``every`` makes it a periodic job as well."""

    def register(func: Callable[..., Any]) -> Task:
        if name in _registry and _registry[name].func is not func:
            raise ValueError(f"task {name} is registered twice")
        registered = Task(name, func, every)
        _registry[name] = registered
        from flotte.celery import app

        app.task(name=name, acks_late=True)(_celery_entry(name))
        return registered

    return register


def _celery_entry(name: str) -> Callable[..., Any]:
    def entry(*args: TaskArg) -> Any:
        return run_task(name, args)

    entry.__name__ = name.replace(".", "_")
    return entry


def registered_tasks() -> dict[str, Task]:
    return dict(_registry)


def periodic_jobs() -> list[Task]:
    return [t for t in _registry.values() if t.every is not None]


def run_task(name: str, args: tuple[TaskArg, ...]) -> Any:
    """Run one task. Tasks work across organisations by nature (a scheduled
    sweep, a job queued by any tenant), and say so."""
    with cross_tenant(f"task {name}"), origin("task"):
        return _registry[name].func(*args)


def _dispatch(name: str, args: tuple[TaskArg, ...]) -> None:
    if settings.CELERY_BROKER_URL:
        from flotte.celery import app

        app.send_task(name, args=list(args))
        return
    try:
        run_task(name, args)
    except Exception:
        # The request that enqueued the task has committed; a failing task
        # must not turn it into an error page. It is logged for the operator.
        log.exception("task %s%r failed", name, args)


@dataclass
class Scheduler:
    """Runs periodic jobs when they are due (the embedded stand-in for beat)."""

    jobs: list[Task] = field(default_factory=periodic_jobs)
    last_run: dict[str, dt.datetime] = field(default_factory=dict)

    def due(self, at: dt.datetime) -> list[Task]:
        due = []
        for job in self.jobs:
            assert job.every is not None
            last = self.last_run.get(job.name)
            if last is None or at - last >= job.every:
                due.append(job)
        return due

    def tick(self) -> list[str]:
        at = clock.now()
        ran = []
        for job in self.due(at):
            self.last_run[job.name] = at
            try:
                with origin("scheduler"):
                    run_task(job.name, ())
                ran.append(job.name)
            except Exception:
                log.exception("periodic job %s failed", job.name)
        return ran

    def run_forever(self, stop: threading.Event, tick_seconds: float) -> None:
        while not stop.is_set():
            close_old_connections()
            self.tick()
            stop.wait(tick_seconds)
