from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection, transaction

from flotte.accounts.models import Suspension
from flotte.core import clock
from flotte.core.tasks import Scheduler, Task, registered_tasks, run_task, task
from tests import factories as f

calls: list[tuple[Any, ...]] = []


@task("tests.record")
def record(*args: Any) -> None:
    calls.append(args)


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_enqueued_task_runs_only_after_commit(transactional_db: Any) -> None:
    with transaction.atomic():
        record.enqueue(1, "a")
        assert calls == []
    assert calls == [(1, "a")]


def test_enqueued_task_is_dropped_when_the_transaction_rolls_back(transactional_db: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record.enqueue(2)
        raise RuntimeError("rollback")
    assert calls == []


def test_a_task_refuses_objects_instead_of_ids(db: Any) -> None:
    with pytest.raises(TypeError, match="takes ids"):
        record.enqueue(object())  # type: ignore[arg-type]


def test_a_failing_in_process_task_does_not_break_the_caller(
    transactional_db: Any, caplog: Any
) -> None:
    @task("tests.explode")
    def explode() -> None:
        raise ValueError("boom")

    with transaction.atomic():
        explode.enqueue()
    assert "tests.explode" in caplog.text


def test_tasks_run_in_a_visible_cross_tenant_scope(db: Any) -> None:
    from flotte.core.tenancy import current_scope

    seen = []

    @task("tests.scope")
    def look() -> None:
        scope = current_scope()
        assert scope is not None
        seen.append((scope.organisation_ids, scope.reason))

    run_task("tests.scope", ())
    assert seen == [(None, "task tests.scope")]


def test_scheduler_runs_a_job_when_due_and_not_before(db: Any) -> None:
    job = Task("tests.record", record.func, every=dt.timedelta(minutes=10))
    scheduler = Scheduler(jobs=[job])
    start = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        assert scheduler.tick() == ["tests.record"]
    with clock.frozen(start + dt.timedelta(minutes=9)):
        assert scheduler.tick() == []
    with clock.frozen(start + dt.timedelta(minutes=10)):
        assert scheduler.tick() == ["tests.record"]
    assert len(calls) == 2


def test_licence_sweep_is_a_registered_periodic_job() -> None:
    job = registered_tasks()["accounts.licence_expiry_sweep"]
    assert job.every == dt.timedelta(hours=1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_licence_sweep_from_redis(settings: Any) -> None:
    """A worker process, on the machine's Redis, runs the same task against
    the same PostgreSQL database as this test."""
    if connection.vendor != "postgresql":
        pytest.fail("the Celery worker test needs PostgreSQL (DATABASE_URL)")
    broker = os.environ.get("FLOTTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    redis.Redis.from_url(broker).ping()  # fails loudly when Redis is down
    org = f.OrganisationFactory()
    community = f.CommunityFactory(organisation=org)
    member = f.UserFactory()
    f.MembershipFactory(user=member, community=community)
    f.DriverProfileFactory(user=member, licence_expires_on=dt.date(2020, 1, 1))
    f.DriverApprovalFactory(organisation=org, user=member, status="validated")

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "flotte",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "flotte-test",
        ],
        env=env,
    )
    try:
        from flotte.celery import app

        settings.CELERY_BROKER_URL = broker
        app.conf.broker_url = broker
        app.conf.task_default_queue = "flotte-test"
        registered_tasks()["accounts.licence_expiry_sweep"].enqueue()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Suspension.objects.filter(user=member, kind="licence_expired").exists():
                break
            assert worker.poll() is None, "the Celery worker died"
            time.sleep(0.5)
        suspension = Suspension.objects.get(user=member, kind="licence_expired")
        assert "2020-01-01" in suspension.reason
    finally:
        worker.terminate()
        worker.wait(timeout=30)
