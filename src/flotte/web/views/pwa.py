"""What makes the member app installable and usable offline: the manifest
(in the community's colours), the service worker at the site's root and
the page it shows without network."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from flotte.web.views.common import community_or_404

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "web" / "sw.js"


@require_GET
def manifest(request: HttpRequest, slug: str | None = None) -> JsonResponse:
    """The web app manifest: Flotte's, or a community's with its name,
    colours and logo when installed from /c/<slug>/."""
    name, colour, start = "Flotte", "#1d4ed8", reverse("web:home")
    shortcuts: list[dict[str, str]] = []
    icons = [
        {"src": static("web/icons/flotte-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("web/icons/flotte-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("web/icons/flotte-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    if slug is not None:
        community = community_or_404(slug)
        brand = community.branding
        name, colour = brand["name"], brand["primary_colour"]
        start = reverse("web:community", kwargs={"slug": slug})
        if brand["logo_url"]:
            icons.insert(0, {"src": brand["logo_url"], "sizes": "any"})
        shortcuts = [
            {"name": _("My trip"), "url": reverse("web:trip", kwargs={"slug": slug})},
            {"name": _("Book a car"), "url": reverse("web:search", kwargs={"slug": slug})},
            {"name": _("My bookings"), "url": reverse("web:bookings", kwargs={"slug": slug})},
        ]
    body = {
        "name": name,
        "short_name": name[:12],
        "description": _("Book a shared car, open it and return it."),
        "lang": request.LANGUAGE_CODE,
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#f9fafb",
        "theme_color": colour,
        "icons": icons,
        "shortcuts": shortcuts,
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@cache
def _service_worker() -> tuple[str, str]:
    text = SERVICE_WORKER.read_text()
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope is the
    whole site; its cache is named after its own content, so a new version
    drops the old cache."""
    text, version = _service_worker()
    body = text.replace("__VERSION__", version).replace("__OFFLINE_URL__", reverse("web:offline"))
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "web/offline.html")
