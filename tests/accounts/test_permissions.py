"""The permission matrix and the one check every route uses."""

from __future__ import annotations

import itertools

import pytest

from corridor.accounts.models import Role
from corridor.accounts.permissions import (
    MATRIX,
    PERSONAL_DATA_ACTIONS,
    Action,
    MembershipView,
    Participation,
    Principal,
    Scope,
    decide,
)

LEAD, PARTNER, OUTSIDER = 1, 2, 3
OPERATION = Participation(
    operation_id=10, lead_organisation_id=LEAD, active_organisation_ids=frozenset({LEAD, PARTNER})
)


def principal(org: int, role: Role, *, may_read: bool = True) -> Principal:
    return Principal(
        user_id=1,
        login="u",
        display_name="U",
        site_admin=False,
        language="en",
        memberships=(MembershipView(org, role, may_read),),
    )


def test_lead_coordinator_reads_the_whole_operations_personal_data() -> None:
    decision = decide(principal(LEAD, Role.COORDINATOR), OPERATION, Action.PERSONAL_DATA_READ)
    assert decision.allowed and decision.scope is Scope.OPERATION


def test_partner_coordinator_reads_only_their_own_organisations_records() -> None:
    decision = decide(principal(PARTNER, Role.COORDINATOR), OPERATION, Action.PERSONAL_DATA_READ)
    assert decision.allowed and decision.scope is Scope.OWN_ORG
    assert decision.organisation_ids == frozenset({PARTNER})


def test_viewer_and_admin_never_read_personal_data() -> None:
    for role in (Role.VIEWER, Role.ADMIN):
        assert not decide(principal(LEAD, role), OPERATION, Action.PERSONAL_DATA_READ).allowed


def test_lead_only_actions_are_refused_to_partners() -> None:
    for action in (Action.PARTNER_INVITE, Action.OPERATION_UPDATE, Action.AUDIT_READ):
        assert decide(principal(LEAD, Role.COORDINATOR), OPERATION, action).allowed
        refused = decide(principal(PARTNER, Role.COORDINATOR), OPERATION, action)
        assert refused.participating and not refused.allowed


def test_outsiders_are_not_participating_whatever_their_role() -> None:
    for role, action in itertools.product(Role, Action):
        decision = decide(principal(OUTSIDER, role), OPERATION, action)
        assert not decision.participating and not decision.allowed


def test_suspended_partner_is_an_outsider() -> None:
    suspended = Participation(10, LEAD, frozenset({LEAD}))
    assert not decide(
        principal(PARTNER, Role.COORDINATOR), suspended, Action.OPERATION_READ
    ).participating


@pytest.mark.parametrize("role", list(Role))
def test_an_organisation_that_may_not_read_personal_data_never_does(role: Role) -> None:
    """Defence in depth: even a mis-assigned role in an authority's or a party's
    organisation is refused every personal-data action."""
    for action in PERSONAL_DATA_ACTIONS:
        for org in (LEAD, PARTNER):
            decision = decide(principal(org, role, may_read=False), OPERATION, action)
            assert not decision.allowed


def test_every_role_has_a_row_and_only_known_actions() -> None:
    assert set(MATRIX) == set(Role)
    for grants in MATRIX.values():
        assert set(grants) <= set(Action)
