"""The ``flotte`` command."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flotte.settings")
    import django

    django.setup()


def cmd_params(args: argparse.Namespace) -> int:
    from flotte.accounts.parameters import describe_all, render_markdown

    if args.markdown:
        sys.stdout.write(render_markdown())
    else:
        json.dump(describe_all(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from django.core.management import call_command

    from flotte.settings import VAR_DIR

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from flotte.demo import load_demo, print_logins

    load_demo()
    print_logins(getattr(args, "address", "127.0.0.1:8000"))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The all-in-one process: web server, plus the scheduler loop when no
    Celery broker is configured, and the in-process MQTT broker and gateway
    when no MQTT_URL is set."""
    from django.conf import settings
    from django.core.management import call_command

    stop = threading.Event()
    telematics = None
    if not settings.MQTT_URL:
        from flotte.telematics.runtime import start_embedded

        telematics = start_embedded()
        if getattr(args, "simulate", False):
            from flotte.telematics.demo import start_demo_simulation

            start_demo_simulation(telematics.broker.url, stop)
    if not settings.CELERY_BROKER_URL:
        from flotte.core.tasks import Scheduler

        scheduler = Scheduler()
        thread = threading.Thread(
            target=scheduler.run_forever,
            args=(stop, settings.SCHEDULER_TICK_SECONDS),
            name="flotte-scheduler",
            daemon=True,
        )
        thread.start()
    try:
        call_command("runserver", args.address, use_reloader=False, use_threading=True)
    finally:
        stop.set()
        if telematics is not None:
            telematics.stop()
    return 0


def cmd_gateway(args: argparse.Namespace) -> int:
    """The MQTT gateway process, on the broker of MQTT_URL."""
    import logging
    import signal

    from django.conf import settings

    from flotte.telematics.gateway import Gateway
    from flotte.telematics.runtime import gateway_options

    if not settings.MQTT_URL:
        sys.stderr.write(
            "flotte gateway: set MQTT_URL (flotte run and flotte demo start an in-process "
            "broker and gateway themselves)\n"
        )
        return 2
    logging.basicConfig(level=logging.INFO)
    options = gateway_options(settings.MQTT_URL)
    if args.client_id:
        options.client_id = args.client_id
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        Gateway(options).run_forever(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulated boxes for the first N fitted boxes, on the broker of
    MQTT_URL (or --broker), until interrupted."""
    import logging

    from django.conf import settings

    from flotte.telematics.demo import box_specs, rotated_secrets, simulation_of, traffic

    url = args.broker or settings.MQTT_URL
    if not url:
        sys.stderr.write("flotte simulate: set MQTT_URL or give --broker mqtt://host:port\n")
        return 2
    logging.basicConfig(level=logging.INFO)
    secrets = None
    if args.rotate_secrets:
        from flotte.core.context import origin
        from flotte.core.tenancy import cross_tenant

        with cross_tenant("operator's simulated boxes"), origin("cli"):
            ids = [spec.box_id for spec in box_specs(limit=args.boxes)]
            secrets = rotated_secrets(ids, _operator())
        sys.stderr.write(
            f"Issued new secrets to {len(secrets)} boxes: run `flotte box mosquitto-config` "
            "and reload Mosquitto before they can log in.\n"
        )
    simulation = simulation_of(url, boxes=args.boxes, secrets=secrets)
    stop = threading.Event()
    if args.traffic:
        threading.Thread(target=traffic, args=(stop,), daemon=True).start()
    sys.stderr.write(f"{len(simulation.boxes)} simulated boxes on {url}; Ctrl-C to stop\n")
    try:
        simulation.run(stop, args.speedup)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    cmd_migrate(args)
    cmd_seed_demo(args)
    args.simulate = True
    return cmd_run(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from django.db import connection

    from flotte.benchmarks import print_results, run_api_benchmark

    if args.what in ("booking", "telemetry", "stats"):
        if args.what == "stats":
            from flotte.benchmarks_stats import run_stats_benchmark

            figures = run_stats_benchmark(
                bookings_per_vehicle=args.bookings_per_vehicle, requests=args.requests
            )
        elif args.what == "booking":
            from flotte.benchmarks_booking import run_booking_benchmark

            figures = run_booking_benchmark(
                bookings_per_vehicle=args.bookings_per_vehicle,
                searches=args.searches,
                seconds=args.seconds,
                clients=args.clients,
            )
        else:
            from flotte.telematics.bench import run_telemetry_benchmark

            figures = run_telemetry_benchmark(
                boxes=args.boxes,
                per_box=args.messages_per_box,
                backlog_per_box=args.backlog_per_box,
                commands=args.commands,
                broker=args.broker,
                publisher=args.publisher,
            )
        json.dump(figures, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    results = run_api_benchmark(args.requests)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_results(results, connection.vendor)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["flotte", *args.rest])
    return 0


class _Refused(Exception):
    """A box command that cannot go on: told in one line, exit status 1."""


def _box_command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a box command as the operator at the console: across tenants (the
    operator's job spans every organisation), audited with source ``cli``,
    and a refusal is a message on stderr rather than a traceback."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from flotte.core.context import origin
        from flotte.core.errors import ServiceError
        from flotte.core.tenancy import cross_tenant

        try:
            with cross_tenant("operator's box command"), origin("cli"):
                return func(args)
        except (ServiceError, _Refused) as error:
            sys.stderr.write(f"flotte box: {error}\n")
            return 1

    return run


def _operator() -> Any:
    """The account the console acts as. Box services accept only an operator
    and the audit log names who acted; with no request user, that is the
    oldest active operator account."""
    from flotte.accounts.models import User

    user = User.objects.filter(is_active=True, is_operator=True).order_by("pk").first()
    if user is None:
        raise _Refused(
            "no active operator account: create one with `flotte manage createsuperuser`"
        )
    return user


def _vehicle_by_plate(plate: str, organisation: Any) -> Any:
    from flotte.fleet.models import Vehicle

    plate = plate.strip().upper().replace(" ", "-")  # as vehicle_create stores it
    vehicles = Vehicle.objects.filter(plate=plate)
    if organisation is not None:
        vehicles = vehicles.filter(organisation=organisation)
    found = list(vehicles[:2])
    if not found:
        raise _Refused(f"no vehicle with the plate {plate}")
    if len(found) > 1:
        raise _Refused(f"several organisations have a vehicle {plate}: give --org")
    return found[0]


def _print_secret(box_id: str, secret: str) -> None:
    sys.stdout.write(f"box_id: {box_id}\nsecret: {secret}\n")
    sys.stderr.write(
        "The secret is shown only this once: set it in the box now. Then run "
        "`flotte box mosquitto-config` and reload Mosquitto.\n"
    )


@_box_command
def cmd_box_add(args: argparse.Namespace) -> int:
    from django.db import transaction

    from flotte.accounts.models import Organisation
    from flotte.fleet.services import box_fit, box_provision

    operator = _operator()
    organisation = None
    if args.org:
        organisation = Organisation.objects.filter(slug=args.org).first()
        if organisation is None:
            raise _Refused(f"no organisation with the slug {args.org!r}")
    vehicle = _vehicle_by_plate(args.vehicle, organisation) if args.vehicle else None
    if organisation is None and vehicle is not None:
        organisation = vehicle.organisation
    with transaction.atomic():  # a box that cannot be fitted is not provisioned either
        box, secret = box_provision(
            actor=operator, box_id=args.box_id, vendor=args.vendor, organisation=organisation
        )
        if vehicle is not None:
            box_fit(actor=operator, box=box, vehicle=vehicle)
    _print_secret(box.box_id, secret)
    return 0


@_box_command
def cmd_box_rotate_secret(args: argparse.Namespace) -> int:
    from flotte.fleet.models import Box
    from flotte.fleet.services import box_secret_rotate

    operator = _operator()
    box = Box.objects.filter(box_id=args.box_id).first()
    if box is None:
        raise _Refused(f"no box {args.box_id!r}")
    _print_secret(box.box_id, box_secret_rotate(actor=operator, box=box))
    return 0


def _mqtt_credentials(url: str) -> tuple[str, str]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not url or not user or not password:
        raise _Refused(
            "MQTT_URL must name the platform's broker user and password, "
            "as in mqtt://flotte:PASSWORD@broker.internal:1883"
        )
    return user, password


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` whole (Mosquitto may reload at any moment, and must
    never read half a file), readable by its owner only. An existing file's
    owner and group are kept when we may, so the broker can still read it."""
    import tempfile

    path = path.resolve()
    previous = path.stat() if path.exists() else None
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        if previous is not None:
            with contextlib.suppress(PermissionError):
                os.chown(temporary, previous.st_uid, previous.st_gid)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@_box_command
def cmd_box_mosquitto_config(args: argparse.Namespace) -> int:
    from django.conf import settings

    from flotte.telematics.provisioning import boxes_to_rotate, mosquitto_files

    user, password = _mqtt_credentials(settings.MQTT_URL)
    try:
        passwd, acl = mosquitto_files(user, password)
    except ValueError as error:
        raise _Refused(str(error)) from error
    passwd_path, acl_path = Path(args.passwd).resolve(), Path(args.acl).resolve()
    for path, text in ((passwd_path, passwd), (acl_path, acl)):
        try:
            _write_private(path, text)
        except OSError as error:
            raise _Refused(f"cannot write {path}: {error.strerror or error}") from error
    left_out = boxes_to_rotate()
    if left_out:
        sys.stderr.write(
            f"warning: {len(left_out)} box(es) left out, their secret predates the broker's "
            f"format: {', '.join(left_out)}. Rotate each one's secret "
            "(flotte box rotate-secret BOX_ID) and set it in the box.\n"
        )
    sys.stdout.write(
        "# In mosquitto.conf (then reload Mosquitto with SIGHUP after each change):\n"
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        f"password_file {passwd_path}\n"
        f"acl_file {acl_path}\n"
    )
    return 0


def cmd_export_org(args: argparse.Namespace) -> int:
    """Everything of one organisation over a period, as a zip of CSV files,
    for the operator's reporting (the statistics are computed first)."""
    import datetime as dt

    from flotte.accounts.models import Organisation
    from flotte.core.context import origin
    from flotte.core.errors import ServiceError
    from flotte.core.tenancy import tenant_scope
    from flotte.stats.org_export import organisation_export_now

    try:
        start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    except ValueError as error:
        sys.stderr.write(f"flotte export-org: a date is YYYY-MM-DD ({error})\n")
        return 2
    organisation = Organisation.objects.filter(pk=args.org).first()
    if organisation is None:
        sys.stderr.write(f"flotte export-org: no organisation {args.org}\n")
        return 1
    try:
        with tenant_scope([organisation.pk], "operator's export-org command"), origin("cli"):
            content = organisation_export_now(
                actor=_operator(), organisation=organisation, start=start, end=end
            )
    except (ServiceError, _Refused) as error:
        sys.stderr.write(f"flotte export-org: {error}\n")
        return 1
    out = Path(args.out)
    try:
        out.write_bytes(content)
    except OSError as error:
        sys.stderr.write(f"flotte export-org: cannot write {out}: {error.strerror or error}\n")
        return 1
    sys.stdout.write(f"{out} ({len(content)} bytes)\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flotte", description="Flotte car-sharing platform")
    sub = parser.add_subparsers(dest="command", required=True)
    params = sub.add_parser("params", help="print the parameters registry")
    fmt = params.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON (the default)")
    fmt.add_argument("--markdown", action="store_true", help="docs/parameters.md")
    params.set_defaults(func=cmd_params)
    sub.add_parser("migrate", help="create or update the database").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load the demo data").set_defaults(func=cmd_seed_demo)
    for name, func, text in [
        ("run", cmd_run, "serve the platform with its scheduler"),
        ("demo", cmd_demo, "migrate, load the demo data and serve"),
    ]:
        command = sub.add_parser(name, help=text)
        command.add_argument("--address", default="127.0.0.1:8000")
        command.set_defaults(func=func)
    gateway = sub.add_parser("gateway", help="receive the boxes' messages (needs MQTT_URL)")
    gateway.add_argument("--client-id", help="MQTT client id (unique per gateway process)")
    gateway.set_defaults(func=cmd_gateway)
    simulate = sub.add_parser("simulate", help="run simulated boxes on the broker")
    simulate.add_argument("--boxes", type=int, default=None, help="how many (default: all)")
    simulate.add_argument("--speedup", type=float, default=10.0, help="simulated time per second")
    simulate.add_argument("--broker", help="broker URL (default: MQTT_URL)")
    simulate.add_argument(
        "--traffic", action="store_true", help="also book idle cars now and then, as the demo does"
    )
    simulate.add_argument(
        "--rotate-secrets",
        action="store_true",
        help="issue the simulated boxes new secrets, for a broker that checks passwords",
    )
    simulate.set_defaults(func=cmd_simulate)
    bench = sub.add_parser("bench", help="run a benchmark and print its figures")
    bench.add_argument("what", choices=["api", "booking", "telemetry", "stats"])
    bench.add_argument("--requests", type=int, default=200, help="requests per case")
    bench.add_argument(
        "--json", action="store_true", help="api: JSON (the other benchmarks always are)"
    )
    bench.add_argument(
        "--bookings-per-vehicle",
        type=int,
        default=680,
        help="booking: history per vehicle (147 vehicles x 680 = 100k)",
    )
    bench.add_argument("--searches", type=int, default=500, help="booking: searches timed")
    bench.add_argument("--seconds", type=float, default=15, help="booking: length of the race")
    bench.add_argument("--clients", type=int, default=32, help="booking: concurrent clients")
    bench.add_argument("--boxes", type=int, default=500, help="telemetry: simulated boxes")
    bench.add_argument(
        "--messages-per-box", type=int, default=200, help="telemetry: live flood per box"
    )
    bench.add_argument(
        "--backlog-per-box", type=int, default=100, help="telemetry: backlog drained per box"
    )
    bench.add_argument("--commands", type=int, default=200, help="telemetry: round trips")
    bench.add_argument("--broker", help="telemetry: this broker instead of its own Mosquitto")
    bench.add_argument(
        "--publisher",
        choices=["raw", "paho"],
        default="raw",
        help="telemetry: publish straight on the socket (default) or through stock paho",
    )
    bench.set_defaults(func=cmd_bench)
    box = sub.add_parser("box", help="provision telematics boxes and the MQTT broker")
    box_sub = box.add_subparsers(dest="box_command", required=True)
    box_add = box_sub.add_parser("add", help="provision a box and print its secret once")
    box_add.add_argument("box_id", metavar="BOX_ID")
    box_add.add_argument("--org", metavar="SLUG", help="the organisation it belongs to")
    box_add.add_argument("--vehicle", metavar="PLATE", help="fit it to this vehicle")
    box_add.add_argument("--vendor", default="flotte")
    box_add.set_defaults(func=cmd_box_add)
    rotate = box_sub.add_parser("rotate-secret", help="issue a box a new secret, printed once")
    rotate.add_argument("box_id", metavar="BOX_ID")
    rotate.set_defaults(func=cmd_box_rotate_secret)
    broker = box_sub.add_parser("mosquitto-config", help="write Mosquitto's password and ACL files")
    broker.add_argument("--passwd", required=True, metavar="PATH", help="password file to write")
    broker.add_argument("--acl", required=True, metavar="PATH", help="ACL file to write")
    broker.set_defaults(func=cmd_box_mosquitto_config)
    export = sub.add_parser(
        "export-org", help="an organisation's statistics and rows of a period, as a zip of CSV"
    )
    export.add_argument("--org", type=int, required=True, metavar="ID", help="organisation id")
    export.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first day")
    export.add_argument(
        "--end", required=True, metavar="YYYY-MM-DD", help="the day after the last (excluded)"
    )
    export.add_argument("--out", required=True, metavar="FILE", help="the zip file to write")
    export.set_defaults(func=cmd_export_org)
    manage = sub.add_parser("manage", help="a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _django()
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
