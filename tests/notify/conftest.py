"""Notification tests: the business clock frozen, recording SMS and push
senders where a test asks for them, and a way to run what a transaction
queued for after its commit (the deliveries)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail

from flotte.accounts.models import User
from flotte.core import clock
from flotte.notify.models import Notification
from flotte.notify.senders import use_sender
from flotte.notify.senders.recording import RecordingSender
from tests.booking.test_services import NOW

__all__ = ["NOW", "emails_to", "rows"]


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _recording(channel: str) -> Iterator[RecordingSender]:
    recorder = RecordingSender(channel)
    use_sender(channel, recorder)
    yield recorder
    use_sender(channel, None)


@pytest.fixture
def sms() -> Iterator[RecordingSender]:
    """SMS offered, and kept instead of sent."""
    yield from _recording("sms")


@pytest.fixture
def push() -> Iterator[RecordingSender]:
    """Push offered, and kept instead of sent."""
    yield from _recording("push")


@pytest.fixture
def delivered(
    django_capture_on_commit_callbacks: Any,
) -> Callable[[], AbstractContextManager[Any]]:
    """``with delivered(): ...`` runs what the block queued for after commit
    (the tests' transaction never commits), deliveries included."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def emails_to(user: User) -> list[Any]:
    return [message for message in mail.outbox if message.to == [user.email]]


def rows(user: User, event: str = "") -> list[Notification]:
    found = Notification.objects.filter(user=user).order_by("id")
    if event:
        found = found.filter(event=event)
    return list(found)
