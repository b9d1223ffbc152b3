"""Background work of telematics: thin tasks over the services."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("telematics.send_command")
def send_command(command_id: str) -> str:
    from flotte.telematics.commands import command_send

    return command_send(command_id)


@task("telematics.retry_commands", every=dt.timedelta(seconds=10))
def retry_commands() -> int:
    from flotte.telematics.commands import command_retry_sweep

    return command_retry_sweep()


@task("telematics.handle_box_events")
def handle_box_events(box_pk: int) -> int:
    from flotte.telematics.events import handle_events

    return handle_events(box_pk)


@task("telematics.refresh_access_list")
def refresh_access_list(box_pk: int) -> int | None:
    from flotte.telematics.access import access_list_refresh

    return access_list_refresh(box_pk)


@task("telematics.refresh_box_config")
def refresh_box_config(box_pk: int) -> bool:
    from flotte.telematics.access import box_config_refresh

    return box_config_refresh(box_pk)


@task("telematics.access_sweep", every=dt.timedelta(minutes=1))
def access_sweep() -> int:
    from flotte.telematics.access import access_sweep as sweep

    return sweep()


@task("telematics.contact_lost_sweep", every=dt.timedelta(minutes=5))
def contact_lost_sweep() -> int:
    from flotte.telematics.supervision import contact_lost_sweep as sweep

    return sweep()


@task("telematics.purge_positions", every=dt.timedelta(hours=1))
def purge_positions() -> int:
    from flotte.telematics.privacy import positions_purge

    return positions_purge()


@task("telematics.low_energy_sweep", every=dt.timedelta(minutes=5))
def low_energy_sweep() -> int:
    from flotte.telematics.energy import low_energy_sweep as sweep

    return sweep()
