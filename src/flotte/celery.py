"""The Celery application: workers and beat run the tasks registered with
``flotte.core.tasks.task``. Used only when ``CELERY_BROKER_URL`` is set."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flotte.settings")

app = Celery("flotte")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    accept_content=["json"],
    timezone="UTC",
)
app.autodiscover_tasks(["flotte.accounts", "flotte.fleet", "flotte.booking"])


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender: Celery, **_: Any) -> None:
    from flotte.core.tasks import periodic_jobs

    for job in periodic_jobs():
        assert job.every is not None
        sender.add_periodic_task(
            job.every.total_seconds(), sender.signature(job.name), name=job.name
        )
