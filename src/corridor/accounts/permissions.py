"""The permission matrix: role × action × scope, in one place.

Later capabilities add their actions here. A scope says how far a grant
reaches inside an operation the user's organisation takes part in:

- ``own_org``: records of the user's own organisation only;
- ``operation``: everything in the operation;
- ``lead``: allowed only when the user's organisation leads the operation
  (and then reaches the whole operation).

A grant may widen when the user's organisation is the lead (a lead
coordinator reads every organisation's records).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from corridor.accounts.models import Role


class Scope(enum.StrEnum):
    OWN_ORG = "own_org"
    OPERATION = "operation"
    LEAD = "lead"


class Action(enum.StrEnum):
    OPERATION_READ = "operation.read"
    OPERATION_UPDATE = "operation.update"
    PARTNER_READ = "partner.read"
    PARTNER_INVITE = "partner.invite"
    PARTNER_SUSPEND = "partner.suspend"
    GAZETTEER_READ = "gazetteer.read"
    GAZETTEER_WRITE = "gazetteer.write"
    AUDIT_READ = "audit.read"
    JOB_READ = "job.read"
    PERSONAL_DATA_READ = "personal_data.read"
    ROUTE_READ = "route.read"
    HAZARD_WRITE = "hazard.write"
    NETWORK_IMPORT = "network.import"
    CORRIDOR_WRITE = "corridor.write"
    CROSSING_READ = "crossing.read"
    CROSSING_WRITE = "crossing.write"
    FORM_MANAGE = "form.manage"
    DEVICE_MANAGE = "device.manage"
    LINKAGE_REVIEW = "linkage.review"
    AID_READ = "aid.read"
    CATALOGUE_MANAGE = "catalogue.manage"
    PLACE_MANAGE = "place.manage"
    STOCK_WRITE = "stock.write"
    STOCK_CORRECT = "stock.correct"
    DISTRIBUTE = "aid.distribute"
    ENTITLEMENT_MANAGE = "entitlement.manage"
    ENTITLEMENT_OVERRIDE = "entitlement.override"
    CONSULTATION_WRITE = "consultation.write"
    # The amnesty desk: intakes (personal data), items and custody, certificates.
    AMNESTY_READ = "amnesty.read"
    AMNESTY_WRITE = "amnesty.write"
    AMNESTY_SUMMARY = "amnesty.summary"
    DESK_MANAGE = "amnesty.desk"
    # Situation reports: counts only, after disclosure control.
    REPORT_READ = "report.read"
    REPORT_PUBLISH = "report.publish"
    # Deconfliction notices to the parties: sites, movements, acknowledgements.
    NOTICE_READ = "notice.read"
    NOTICE_MANAGE = "notice.manage"


# Actions that read personal data: the access log records each use, and no
# organisation of type authority, or party to the conflict, is ever granted one.
PERSONAL_DATA_ACTIONS: frozenset[Action] = frozenset(
    {Action.PERSONAL_DATA_READ, Action.LINKAGE_REVIEW, Action.AMNESTY_READ, Action.AMNESTY_WRITE}
)


@dataclass(frozen=True)
class Grant:
    scope: Scope
    lead_scope: Scope | None = None


_EVERYONE = {
    Action.OPERATION_READ: Grant(Scope.OPERATION),
    Action.PARTNER_READ: Grant(Scope.OPERATION),
    Action.GAZETTEER_READ: Grant(Scope.OPERATION),
    Action.JOB_READ: Grant(Scope.OWN_ORG, lead_scope=Scope.OPERATION),
    Action.ROUTE_READ: Grant(Scope.OPERATION),
    # Headcounts are anonymous: every participant sees the counts.
    Action.CROSSING_READ: Grant(Scope.OPERATION),
    # Stock is no one's personal data: every participant sees what is where.
    Action.AID_READ: Grant(Scope.OPERATION),
    # Counts of the amnesty programme (never a person, never a serial number).
    Action.AMNESTY_SUMMARY: Grant(Scope.OPERATION),
    # Situation reports and the dashboard hold counts only (small ones withheld).
    Action.REPORT_READ: Grant(Scope.OPERATION),
    # Notices hold sites, routes and times: every participant should know them.
    Action.NOTICE_READ: Grant(Scope.OPERATION),
}
_LEAD_MANAGEMENT = {
    Action.OPERATION_UPDATE: Grant(Scope.LEAD),
    Action.PARTNER_INVITE: Grant(Scope.LEAD),
    Action.PARTNER_SUSPEND: Grant(Scope.LEAD),
    Action.GAZETTEER_WRITE: Grant(Scope.LEAD),
    Action.AUDIT_READ: Grant(Scope.LEAD),
    Action.NETWORK_IMPORT: Grant(Scope.LEAD),
    Action.CORRIDOR_WRITE: Grant(Scope.LEAD),
    Action.FORM_MANAGE: Grant(Scope.LEAD),
    Action.CATALOGUE_MANAGE: Grant(Scope.LEAD),
    Action.ENTITLEMENT_MANAGE: Grant(Scope.LEAD),
    # The lead publishes the operation's situation reports to partners.
    Action.REPORT_PUBLISH: Grant(Scope.LEAD),
    # The lead organisation notifies the parties and records their acknowledgements.
    Action.NOTICE_MANAGE: Grant(Scope.LEAD),
}
# Stock at a place is moved by the organisation that runs it (the lead's
# coordinators anywhere); corrections (reversals, counts) by coordinators.
_STOCK_COORDINATION = {
    Action.PLACE_MANAGE: Grant(Scope.OWN_ORG, lead_scope=Scope.OPERATION),
    Action.STOCK_WRITE: Grant(Scope.OWN_ORG, lead_scope=Scope.OPERATION),
    Action.STOCK_CORRECT: Grant(Scope.OWN_ORG, lead_scope=Scope.OPERATION),
    Action.DISTRIBUTE: Grant(Scope.OWN_ORG),
    # Giving beyond an entitlement, with a reason that is kept.
    Action.ENTITLEMENT_OVERRIDE: Grant(Scope.OWN_ORG),
    Action.CONSULTATION_WRITE: Grant(Scope.OWN_ORG),
}

MATRIX: dict[Role, dict[Action, Grant]] = {
    Role.ADMIN: {**_EVERYONE, **_LEAD_MANAGEMENT, Action.DEVICE_MANAGE: Grant(Scope.OWN_ORG)},
    Role.COORDINATOR: {
        **_EVERYONE,
        **_LEAD_MANAGEMENT,
        Action.PERSONAL_DATA_READ: Grant(Scope.OWN_ORG, lead_scope=Scope.OPERATION),
        # Hazards are shared safety information: any partner's coordinator reports them.
        Action.HAZARD_WRITE: Grant(Scope.OPERATION),
        Action.CROSSING_WRITE: Grant(Scope.OWN_ORG),
        # Issuing app credentials to the organisation's own officers.
        Action.DEVICE_MANAGE: Grant(Scope.OWN_ORG),
        # Deduplication runs over every partner's registrations: the lead decides.
        Action.LINKAGE_REVIEW: Grant(Scope.LEAD),
        **_STOCK_COORDINATION,
        Action.DESK_MANAGE: Grant(Scope.OWN_ORG),
    },
    Role.FIELD_OFFICER: {
        **_EVERYONE,
        Action.PERSONAL_DATA_READ: Grant(Scope.OWN_ORG),
        Action.HAZARD_WRITE: Grant(Scope.OPERATION),
        Action.CROSSING_WRITE: Grant(Scope.OWN_ORG),
        Action.STOCK_WRITE: Grant(Scope.OWN_ORG),
        Action.DISTRIBUTE: Grant(Scope.OWN_ORG),
        Action.CONSULTATION_WRITE: Grant(Scope.OWN_ORG),
    },
    # Intakes are seen by the DDR officers of the organisation that runs the desk
    # and no one else: the lead's coordinators see the counts (no lead widening).
    Role.DDR_OFFICER: {
        **_EVERYONE,
        Action.PERSONAL_DATA_READ: Grant(Scope.OWN_ORG),
        Action.AMNESTY_READ: Grant(Scope.OWN_ORG),
        Action.AMNESTY_WRITE: Grant(Scope.OWN_ORG),
        Action.DESK_MANAGE: Grant(Scope.OWN_ORG),
    },
    Role.VIEWER: dict(_EVERYONE),
}


def role_reads_personal_data(role: Role) -> bool:
    return any(action in PERSONAL_DATA_ACTIONS for action in MATRIX[role])


def grant_for(role: Role, action: Action, *, is_lead: bool) -> Scope | None:
    """The effective scope of ``role`` for ``action``, or None when not granted."""
    grant = MATRIX[role].get(action)
    if grant is None:
        return None
    if grant.scope is Scope.LEAD:
        return Scope.OPERATION if is_lead else None
    if is_lead and grant.lead_scope is not None:
        return grant.lead_scope
    return grant.scope


_WIDTH = {Scope.OWN_ORG: 1, Scope.OPERATION: 2}


def widest(scopes: list[Scope]) -> Scope | None:
    return max(scopes, key=lambda s: _WIDTH[s], default=None)


@dataclass(frozen=True)
class MembershipView:
    organisation_id: int
    role: Role
    may_read_personal_data: bool


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the permission check sees them."""

    user_id: int
    login: str
    display_name: str
    site_admin: bool
    language: str
    memberships: tuple[MembershipView, ...]

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(m.organisation_id for m in self.memberships)

    def role_in(self, organisation_id: int) -> Role | None:
        for membership in self.memberships:
            if membership.organisation_id == organisation_id:
                return membership.role
        return None


@dataclass(frozen=True)
class Participation:
    """What the check needs to know of an operation (no import of ``operations``)."""

    operation_id: int
    lead_organisation_id: int
    active_organisation_ids: frozenset[int]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    participating: bool
    scope: Scope | None = None
    # The organisations whose records the user may touch under ``own_org`` scope.
    organisation_ids: frozenset[int] = frozenset()


def decide(principal: Principal, participation: Participation, action: Action) -> Decision:
    """(user, operation, action) → allow or deny, from role, scope and participation."""
    acting = [
        m
        for m in principal.memberships
        if m.organisation_id in participation.active_organisation_ids
    ]
    if not acting:
        return Decision(allowed=False, participating=False)
    scopes: list[Scope] = []
    orgs: set[int] = set()
    for membership in acting:
        if action in PERSONAL_DATA_ACTIONS and not membership.may_read_personal_data:
            continue
        scope = grant_for(
            membership.role,
            action,
            is_lead=membership.organisation_id == participation.lead_organisation_id,
        )
        if scope is not None:
            scopes.append(scope)
            orgs.add(membership.organisation_id)
    scope = widest(scopes)
    return Decision(
        allowed=scope is not None, participating=True, scope=scope, organisation_ids=frozenset(orgs)
    )
