from tests.conftest import Api, Tenant


def test_member_sees_own_vehicle_and_not_anothers(alice: Tenant, bob: Tenant) -> None:
    response = Api(alice.member).get("vehicles")
    assert response.status_code == 200
    plates = [v["plate"] for v in response.json()["items"]]
    assert plates == [alice.vehicle.plate]
