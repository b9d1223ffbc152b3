from __future__ import annotations

import json

import pytest

from tests.conftest import Api, Tenant


@pytest.mark.parametrize("path", ["vehicles", "stations", "boxes", "organisations", "me"])
def test_anonymous_request_is_a_401_with_a_json_error(db: None, path: str) -> None:
    response = Api().get(path)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert body["message"]
    assert body["fields"] == {}


def test_invalid_bearer_token_is_a_401(db: None) -> None:
    response = Api(token="flt_0123456789_nope").get("vehicles")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_unknown_field_in_a_body_is_a_422_naming_the_field(alice: Tenant) -> None:
    response = Api(alice.manager).patch(f"vehicles/{alice.vehicle.pk}", {"colour": "red"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "colour" in body["fields"]
    assert "colour" in body["message"]


def test_wrongly_typed_field_is_a_422_naming_the_field(alice: Tenant) -> None:
    response = Api(alice.manager).patch(f"vehicles/{alice.vehicle.pk}", {"range_km": "far"})
    assert response.status_code == 422
    assert "range_km" in response.json()["fields"]


def test_malformed_json_is_a_4xx_json_error(alice: Tenant) -> None:
    response = Api(alice.manager).client.patch(
        f"/api/v1/vehicles/{alice.vehicle.pk}", data="{", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields"}


def test_unknown_vehicle_is_a_404_json_error(alice: Tenant) -> None:
    response = Api(alice.manager).get("vehicles/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "no such vehicle", "fields": {}}


def test_service_error_keeps_its_code_and_fields(alice: Tenant) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/badges", {"uid": "zz"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"uid"}


def test_openapi_schema_is_json_listing_the_api_paths(db: None) -> None:
    response = Api().get("openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Flotte API"
    paths = list(schema["paths"])
    assert paths
    assert all(path.startswith("/api/v1/") for path in paths)
    assert "/api/v1/vehicles" in paths
    assert "/api/v1/organisations/{org_id}/members" in paths


def test_docs_page_is_served(db: None) -> None:
    response = Api().get("docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
