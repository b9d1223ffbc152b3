"""Browser tests: Playwright for Python drives Debian's Chromium against
pytest-django's live server. `playwright install` cannot download browsers
here; `.ci/run` installs the `chromium` package when it is missing.

In CI (CI=true) a missing Chromium fails these tests; elsewhere they are
skipped with a message saying how to install it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from flotte.accounts.models import User

CHROMIUM = Path(os.environ.get("FLOTTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path("var/screenshots")
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = (
            f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` "
            "(.ci/run does it), or set FLOTTE_CHROMIUM"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test
    # bodies still use the ORM synchronously, which Django allows only so.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _offline_map(settings: Any) -> None:
    """No map tile from the internet: the map shows the stations alone."""
    settings.MAP_TILE_URL = ""


class Visit:
    """A person's browser: a fresh context, logged in when asked, that
    reaches nothing but the live server."""

    def __init__(self, browser: Any, live_server: Any, request: Any) -> None:
        self.browser = browser
        self.base = live_server.url
        self.request = request
        self.contexts: list[Any] = []

    def open(self, user: User | None = None, *, locale: str = "fr-FR", viewport: Any = None) -> Any:
        context = self.browser.new_context(
            locale=locale, viewport=viewport or {"width": 1024, "height": 800}
        )
        context.set_default_timeout(10_000)
        host = urlsplit(self.base).netloc

        def only_the_live_server(route: Any) -> None:
            if urlsplit(route.request.url).netloc == host:
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_the_live_server)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"]
            context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": self.base}])
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        return page

    def url(self, path: str) -> str:
        return self.base + path

    def screenshot(self, page: Any, name: str) -> None:
        """Kept under var/screenshots/ as the test's artifacts."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def visit(browser: Any, live_server: Any, request: Any, transactional_db: Any) -> Iterator[Visit]:
    visit = Visit(browser, live_server, request)
    yield visit
    visit.close()


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the screen (0: none)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )
