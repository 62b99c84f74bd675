"""Four eyes on the city's leaders (deploy/keycloak/four_eyes.py): which changes wait, and who may approve."""

import pytest

from deploy.keycloak import four_eyes
from deploy.keycloak.four_eyes import GRANT, RESET, REVOKE, Request, SameOfficer


@pytest.mark.parametrize(
    "action, position, held, waits",
    [
        (GRANT, "mayor", set(), True),
        (GRANT, "executive-vice-mayor", set(), True),
        (REVOKE, "vice-mayor", {"vice-mayor"}, True),
        (GRANT, "secretary-general", set(), True),
        (GRANT, "deputy-secretary-general", set(), False),
        (GRANT, "office-staff", {"mayor"}, False),
        (RESET, None, {"vice-mayor", "office-staff"}, True),
        (RESET, None, {"office-staff"}, False),
    ],
)
def test_leaders_positions_and_credentials_wait_for_a_second_officer(action, position, held, waits):
    assert four_eyes.needs_second_officer(action, position, held) is waits


def test_the_officer_who_asked_cannot_approve():
    request = Request.new(GRANT, "li", "vice-mayor", "security-officer")
    with pytest.raises(SameOfficer):
        request.check_approver("security-officer")
    request.check_approver("second-officer")


def test_requests_are_read_back_from_a_users_attributes_and_others_are_left_alone():
    request = Request.new(REVOKE, "li", "mayor", "so-1")
    user = {
        "attributes": {request.attribute: [request.to_json()], "four-eyes.junk": ["not json"], "title": ["x"]}
    }
    assert four_eyes.requests_of(user) == [request]
