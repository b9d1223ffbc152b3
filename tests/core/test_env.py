from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from flotte.core.env import Env, database_from_url, email_from_url


def test_missing_or_blank_variables_take_the_default() -> None:
    env = Env({"BLANK": "  "})
    assert env.text("BLANK", "x") == "x"
    assert env.flag("MISSING", True) is True
    assert env.number("MISSING", 7) == 7
    assert env.items("MISSING", ["a"]) == ["a"]


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("Off", False)])
def test_booleans_are_parsed(raw: str, expected: bool) -> None:
    assert Env({"DEBUG": raw}).flag("DEBUG", not expected) is expected


def test_a_bad_boolean_names_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        Env({"DEBUG": "maybe"}).flag("DEBUG", True)


def test_integers_are_checked() -> None:
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        Env({"N": "ten"}).number("N", 1)
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        Env({"N": "0"}).number("N", 1, minimum=1)
    assert Env({"N": "12"}).number("N", 1, minimum=1) == 12


def test_lists_refuse_empty_items() -> None:
    assert Env({"H": "a.org, b.org"}).items("H", []) == ["a.org", "b.org"]
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        Env({"H": "a.org,,b.org"}).items("H", [])


def test_time_zone_must_exist() -> None:
    assert Env({"TZ": "Europe/Paris"}).time_zone("TZ", "UTC") == "Europe/Paris"
    with pytest.raises(ImproperlyConfigured, match="not a known time zone"):
        Env({"TZ": "Europe/Montclaret"}).time_zone("TZ", "UTC")


def test_url_scheme_is_checked_and_password_redacted() -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        Env({"B": "http://user:secret@host"}).url("B", "", schemes={"redis"})
    assert "secret" not in str(error.value)
    assert Env({}).url("B", "", schemes={"redis"}) == ""


def test_sqlite_url_is_relative_to_the_base_dir() -> None:
    config = database_from_url("sqlite:///var/db.sqlite3", base_dir=Path("/srv/flotte"))
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/flotte/var/db.sqlite3"
    absolute = database_from_url("sqlite:////tmp/x.sqlite3", base_dir=Path("/srv"))
    assert absolute["NAME"] == "/tmp/x.sqlite3"


def test_postgres_url_gives_every_part() -> None:
    config = database_from_url(
        "postgres://flotte:p%40ss@db.local:5433/flotte?sslmode=require&conn_max_age=0",
        base_dir=Path("/"),
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "flotte",
        "p@ss",
        "db.local",
        "5433",
    )
    assert config["NAME"] == "flotte"
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(
    "url", ["mysql://x@h/db", "postgres://x@h/", "postgres://x@h:port/db", "sqlite://"]
)
def test_bad_database_urls_fail_loudly(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url, base_dir=Path("/"))


def test_email_urls() -> None:
    assert email_from_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_from_url("smtp+tls://me%40x.org:pw@mail.x.org")
    assert smtp["EMAIL_HOST"] == "mail.x.org"
    assert smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_USE_TLS"] is True
    assert smtp["EMAIL_HOST_USER"] == "me@x.org"
    assert email_from_url("smtp+ssl://mail.x.org")["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_from_url("pigeon://loft")
    with pytest.raises(ImproperlyConfigured, match="names no host"):
        email_from_url("smtp://")


def test_settings_refuse_to_start_without_a_secret_key_in_production() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import flotte.settings"],
        env={"DEBUG": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
