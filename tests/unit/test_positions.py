"""Position names are defined once (shared/positions.py) and are the realm's roles: a typo in a
position would silently match nobody."""

import json
from pathlib import Path

from shared import positions

REALM = Path(__file__).resolve().parents[2] / "deploy/keycloak/realm-zgov.json"


def test_every_position_named_in_code_is_a_realm_role():
    roles = {r["name"] for r in json.loads(REALM.read_text())["roles"]["realm"]}
    named = {v for k, v in vars(positions).items() if k.isupper() and isinstance(v, str)}
    assert named and named <= roles, named - roles
    assert positions.CITY_LEADERS <= named


def test_the_services_use_the_shared_names():
    from services.documents import domain as documents
    from services.meetings import domain as meetings

    for module in (meetings, documents):
        assert module.MAYOR is positions.MAYOR and module.VICE_MAYOR is positions.VICE_MAYOR
