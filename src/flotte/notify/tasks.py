"""Background tasks of notifications: thin, they take ids and call a service."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("notify.deliver")
def deliver(notification_id: int) -> str:
    """Render and send one notification; returns its state."""
    from flotte.notify.services import notification_deliver

    return notification_deliver(notification_id).state


@task("notify.reminder_sweep", every=dt.timedelta(minutes=5))
def reminder_sweep() -> int:
    from flotte.notify.sweeps import reminder_sweep as sweep

    return sweep()


@task("notify.licence_expiry_sweep", every=dt.timedelta(hours=1))
def licence_expiry_sweep() -> int:
    from flotte.notify.sweeps import licence_expiry_notice_sweep

    return licence_expiry_notice_sweep()


@task("notify.send_mailing_batch")
def send_mailing_batch(mailing_id: int, batch: int) -> int:
    """Send one batch of a mailing; returns how many e-mails went."""
    from flotte.notify.mailings import mailing_batch_send

    return mailing_batch_send(mailing_id, batch)
