"""The member app installs as a PWA: manifest, service worker, offline page."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import Tenant


def test_the_manifest_wears_the_community_branding(alice: Tenant, client: Client) -> None:
    alice.community.primary_colour = "#7c2d12"
    alice.community.save()
    response = client.get(f"/c/{alice.community.slug}/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == alice.community.name
    assert manifest["theme_color"] == "#7c2d12"
    assert manifest["start_url"] == f"/c/{alice.community.slug}/"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    assert client.get("/c/nowhere/manifest.webmanifest").status_code == 404


def test_every_page_links_its_manifest(alice: Tenant, client: Client) -> None:
    page = client.get(f"/c/{alice.community.slug}/").content.decode()
    assert f'rel="manifest" href="/c/{alice.community.slug}/manifest.webmanifest"' in page
    assert json.loads(client.get("/manifest.webmanifest").content)["name"] == "Flotte"


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "__VERSION__" not in body and "__OFFLINE_URL__" not in body
    assert '"/offline/"' in body


def test_the_offline_page_is_there(client: Client) -> None:
    response = client.get("/offline/")
    assert response.status_code == 200
    assert "Vous êtes hors ligne" in response.content.decode()


def test_the_booking_page_asks_to_keep_itself_and_its_key_offline_while_current(
    alice: Tenant, member: Client
) -> None:
    from tests.booking.test_services import book

    current, later = book(alice, 0, 2), book(alice, 24, 26)
    slug = alice.community.slug
    page = member.get(f"/c/{slug}/bookings/{current.pk}/").content.decode()
    keep = f"/c/{slug}/bookings/{current.pk}/ /c/{slug}/bookings/{current.pk}/key/"
    assert f'data-keep-offline="{keep}"' in page
    page = member.get(f"/c/{slug}/bookings/{later.pk}/").content.decode()
    assert 'data-keep-offline=""' in page
