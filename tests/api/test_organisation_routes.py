from __future__ import annotations

from typing import Any

from flotte.accounts.models import Organisation, ParameterValue
from flotte.accounts.parameters import param_value
from tests.conftest import Api, Tenant


def org_path(tenant: Tenant, rest: str = "") -> str:
    return f"organisations/{tenant.organisation.pk}{rest}"


def values(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["values"]  # type: ignore[no-any-return]


# Organisations
def test_member_lists_only_their_organisation(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.member).get("organisations")
    assert [o["slug"] for o in response.json()["items"]] == ["org-alice"]


def test_operator_lists_every_organisation(alice: Tenant, bob: Tenant, operator: Any) -> None:
    response = Api(operator).get("organisations")
    assert response.json()["count"] == 2


def test_operator_creates_an_organisation(operator: Any) -> None:
    response = Api(operator).post("organisations", {"name": "Ville", "slug": "ville"})
    assert response.status_code == 201, response.content
    assert Organisation.objects.filter(slug="ville").exists()


def test_manager_cannot_create_an_organisation(alice: Tenant) -> None:
    response = Api(alice.manager).post("organisations", {"name": "Ville", "slug": "ville"})
    assert response.status_code == 403
    assert not Organisation.objects.filter(slug="ville").exists()


def test_manager_renames_their_organisation(alice: Tenant) -> None:
    response = Api(alice.manager).patch(org_path(alice), {"name": "Ville d'Alice"})
    assert response.status_code == 200, response.content
    alice.organisation.refresh_from_db()
    assert alice.organisation.name == "Ville d'Alice"


def test_member_cannot_rename_the_organisation(alice: Tenant) -> None:
    response = Api(alice.member).patch(org_path(alice), {"name": "Mine"})
    assert response.status_code == 403


def test_organisation_patch_with_a_bad_colour_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).patch(org_path(alice), {"primary_colour": "blue"})
    assert response.status_code == 400
    assert "primary_colour" in response.json()["fields"]


def test_organisation_patch_with_a_null_is_a_422_naming_the_field(alice: Tenant) -> None:
    response = Api(alice.manager).patch(org_path(alice), {"address": None})
    assert response.status_code == 422
    assert "address" in response.json()["fields"]


def test_manager_creates_a_group(alice: Tenant) -> None:
    response = Api(alice.manager).post(org_path(alice, "/groups"), {"name": "Elected"})
    assert response.status_code == 201, response.content
    names = [g["name"] for g in Api(alice.manager).get(org_path(alice, "/groups")).json()]
    assert names == ["Agents", "Elected"]


def test_member_cannot_create_a_group(alice: Tenant) -> None:
    response = Api(alice.member).post(org_path(alice, "/groups"), {"name": "Mine"})
    assert response.status_code == 403


# Audit
def test_audit_log_shows_an_entry_after_a_change(alice: Tenant) -> None:
    api = Api(alice.manager)
    api.post(f"vehicles/{alice.vehicle.pk}/status", {"status": "maintenance"})
    response = api.get(org_path(alice, "/audit"))
    assert response.status_code == 200, response.content
    entry = response.json()["items"][0]
    assert entry["action"] == "vehicle.status_changed"
    assert entry["actor_label"] == alice.manager.email
    assert entry["source"] == "api"
    assert entry["object_id"] == str(alice.vehicle.pk)


def test_audit_log_lists_the_newest_entry_first(alice: Tenant) -> None:
    api = Api(alice.manager)
    api.post(f"vehicles/{alice.vehicle.pk}/status", {"status": "maintenance"})
    api.post(f"vehicles/{alice.vehicle.pk}/status", {"status": "available"})
    items = api.get(org_path(alice, "/audit")).json()["items"]
    assert [i["data"]["to"] for i in items[:2]] == ["available", "maintenance"]


def test_audit_log_leaves_out_other_organisations(alice: Tenant, bob: Tenant) -> None:
    Api(bob.manager).post(f"vehicles/{bob.vehicle.pk}/status", {"status": "maintenance"})
    response = Api(alice.manager).get(org_path(alice, "/audit"))
    assert response.json()["count"] == 0


def test_member_cannot_read_the_audit_log(alice: Tenant) -> None:
    response = Api(alice.member).get(org_path(alice, "/audit"))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


# Parameters
def test_parameter_set_for_the_organisation_is_listed(alice: Tenant) -> None:
    api = Api(alice.manager)
    response = api.put(org_path(alice, "/parameters/member_min_age_years"), {"value": 21})
    assert response.status_code == 200, response.content
    assert response.json()["value"] == 21
    listed = values(api.get(org_path(alice, "/parameters")))
    assert [(v["key"], v["level"], v["value"]) for v in listed] == [
        ("member_min_age_years", "organisation", 21)
    ]


def test_parameter_list_includes_the_registry(alice: Tenant) -> None:
    body = Api(alice.manager).get(org_path(alice, "/parameters")).json()
    keys = {p["key"] for p in body["registry"]}
    assert "member_min_age_years" in keys


def test_parameter_set_applies_to_the_organisation(alice: Tenant) -> None:
    Api(alice.manager).put(org_path(alice, "/parameters/member_min_age_years"), {"value": 21})
    assert param_value("member_min_age_years", organisation=alice.organisation) == 21


def test_parameter_out_of_bounds_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).put(
        org_path(alice, "/parameters/member_min_age_years"), {"value": 12}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"
    assert not ParameterValue.objects.exists()


def test_parameter_of_the_wrong_type_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).put(
        org_path(alice, "/parameters/member_min_age_years"), {"value": "old"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


def test_unknown_parameter_is_a_404(alice: Tenant) -> None:
    response = Api(alice.manager).put(org_path(alice, "/parameters/no_such_thing"), {"value": 1})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_parameter"


def test_parameter_set_at_a_level_it_does_not_allow_is_a_400(alice: Tenant) -> None:
    response = Api(alice.manager).put(
        org_path(alice, "/parameters/identity_document_required"),
        {"value": False, "community_id": alice.community.pk},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_level"


def test_parameter_set_for_a_community(alice: Tenant) -> None:
    response = Api(alice.manager).put(
        org_path(alice, "/parameters/member_min_age_years"),
        {"value": 25, "community_id": alice.community.pk},
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "community"
    assert response.json()["community_id"] == alice.community.pk


def test_parameter_for_a_community_of_another_organisation_is_a_404(
    alice: Tenant, bob: Tenant
) -> None:
    response = Api(alice.manager).put(
        org_path(alice, "/parameters/member_min_age_years"),
        {"value": 25, "community_id": bob.community.pk},
    )
    assert response.status_code == 404
    assert not ParameterValue.objects.exists()


def test_parameter_delete_with_community_id_removes_only_the_community_value(
    alice: Tenant,
) -> None:
    api = Api(alice.manager)
    path = org_path(alice, "/parameters/member_min_age_years")
    api.put(path, {"value": 21})
    api.put(path, {"value": 25, "community_id": alice.community.pk})
    response = api.delete(f"{path}?community_id={alice.community.pk}")
    assert response.status_code == 204, response.content
    listed = values(api.get(org_path(alice, "/parameters")))
    assert [(v["level"], v["value"]) for v in listed] == [("organisation", 21)]


def test_parameter_delete_without_target_removes_the_organisation_value(alice: Tenant) -> None:
    api = Api(alice.manager)
    path = org_path(alice, "/parameters/member_min_age_years")
    api.put(path, {"value": 21})
    assert api.delete(path).status_code == 204
    assert param_value("member_min_age_years", organisation=alice.organisation) == 18


def test_member_cannot_set_a_parameter(alice: Tenant) -> None:
    response = Api(alice.member).put(
        org_path(alice, "/parameters/member_min_age_years"), {"value": 16}
    )
    assert response.status_code == 403
    assert not ParameterValue.objects.exists()


def test_member_cannot_read_the_parameters(alice: Tenant) -> None:
    assert Api(alice.member).get(org_path(alice, "/parameters")).status_code == 403
