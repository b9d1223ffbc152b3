"""The ``flotte`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading


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


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from flotte.demo import load_demo, print_logins

    load_demo()
    print_logins()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The all-in-one process: web server, plus the scheduler loop when no
    Celery broker is configured."""
    from django.conf import settings
    from django.core.management import call_command

    stop = threading.Event()
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
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    cmd_migrate(args)
    cmd_seed_demo(args)
    return cmd_run(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from django.db import connection

    from flotte.benchmarks import print_results, run_api_benchmark

    if args.what == "booking":
        from flotte.benchmarks_booking import run_booking_benchmark

        figures = run_booking_benchmark(
            bookings_per_vehicle=args.bookings_per_vehicle,
            searches=args.searches,
            seconds=args.seconds,
            clients=args.clients,
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
    bench = sub.add_parser("bench", help="run a benchmark and print its figures")
    bench.add_argument("what", choices=["api", "booking"])
    bench.add_argument("--requests", type=int, default=200, help="requests per case")
    bench.add_argument("--json", action="store_true", help="api: JSON (booking always is)")
    bench.add_argument(
        "--bookings-per-vehicle",
        type=int,
        default=680,
        help="booking: history per vehicle (147 vehicles x 680 = 100k)",
    )
    bench.add_argument("--searches", type=int, default=500, help="booking: searches timed")
    bench.add_argument("--seconds", type=float, default=15, help="booking: length of the race")
    bench.add_argument("--clients", type=int, default=32, help="booking: concurrent clients")
    bench.set_defaults(func=cmd_bench)
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
