"""Fuzz the whole JSON API from its own OpenAPI document (schemathesis).

Every operation in ``/api/openapi.json`` is called with generated input, valid
and invalid, as three identities: a coordinator and an admin of the lead
organisation of the operation ``fuzz``, and an admin of an outside organisation.
No response may be a 5xx, and every response must match what the document says
of it: status code, content type, headers and body. The outsider must get 404
from every route of ``fuzz``, whatever the method and input: it may not even
learn that the operation exists.

Routes that later capabilities add are fuzzed by this same test as soon as they
are in the document. Path parameters are mostly drawn from the seeded world
(``fuzz``, its organisations, invitation, job, areas...) so that the fuzzer gets
past "not found"; give a new route's identifiers a dictionary in ``_world``.

A second test sends every request body with a NUL character in each of its
strings: it must be refused (422) before any service sees it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from corridor.accounts import passwords
from corridor.accounts import service as accounts
from corridor.accounts.models import Role
from corridor.aid import catalogue, entitlements, stock, waybills
from corridor.aid import places as aid_places
from corridor.db.session import Actor, unit_of_work
from corridor.jobs import notifications
from corridor.jobs.models import Job, JobStatus
from corridor.operations import gazetteer
from corridor.operations.models import Invitation
from tests.factories import Factory
from tests.web.conftest import bearer

SLUG = "fuzz"
ON_POSTGRESQL = os.environ.get("CORRIDOR_TEST_DATABASE_URL", "").startswith("postgresql")
# Per endpoint and identity; the whole API × three identities must fit the CI
# budget (8 min on SQLite, 5 min for PostgreSQL, where only dialect differences
# are sought).
MAX_EXAMPLES = 6 if ON_POSTGRESQL else 8

# Not ``positive_data_acceptance``: business rules rightly answer 409 or 422 to
# input the schema alone cannot rule out (a slug already taken, an unknown
# organisation id, a weak password...).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

GAZETTEER = """pcode,name_en,name_ar,admin_level,parent_pcode
AD,Andorra,أندورا,0,
AD02,Canillo,كانيو,1,AD
"""


@dataclass(frozen=True)
class Identity:
    """Who calls, and the ids of the world around them (for path parameters)."""

    name: str
    token: str
    token_id: int
    dictionaries: dict[str, list[Any]]

    @property
    def outsider(self) -> bool:
        return self.name == "outsider"


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its smallest cost: the fuzzer tries hundreds of passwords."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("corridor-timing-equaliser"))


# What differs between databases (integer ranges, text types, locking) shows with
# any identity that reaches the endpoints: on PostgreSQL, which runs only the
# database-bound tests within a tighter time budget, the fuzzer runs as the lead
# coordinator (who reaches the most); on SQLite as all three.
IDENTITIES = ["coordinator"] if ON_POSTGRESQL else ["coordinator", "admin", "outsider"]


@pytest.fixture(params=IDENTITIES)
def identity(request: pytest.FixtureRequest, factory: Factory, cheap_passwords: None) -> Identity:
    return _world(factory, request.param)


def _world(factory: Factory, who: str) -> Identity:
    """The caller, and ``fuzz`` with a partner, a pending invitation, areas, a job, alerts."""
    lead = factory.organisation("Fuzz Lead")
    partner = factory.organisation("Fuzz Partner")
    invited = factory.organisation("Fuzz Invited")
    outside = factory.organisation("Fuzz Outside")
    operation = factory.operation(lead, slug=SLUG, partners=[invited])
    factory.join(operation, partner)
    colleague = factory.user(lead, Role.FIELD_OFFICER)
    user = factory.user(outside, Role.ADMIN) if who == "outsider" else factory.user(lead, Role(who))
    token = factory.token(user)
    with unit_of_work(factory.runtime.factory, Actor(label="test")) as session:
        rows = gazetteer.parse_csv(GAZETTEER)
        gazetteer.import_areas(session, operation_id=operation.id, rows=rows)
        job = Job(
            kind="fuzz",
            operation_id=operation.id,
            requested_by_id=user.id,
            status=JobStatus.SUCCEEDED,
            progress=1.0,
            result={"rows": 2},
        )
        session.add(job)
        notes = [
            notifications.notify(session, kind="fuzz", title="For you", user_id=user.id),
            notifications.notify(session, kind="fuzz", title="For all", organisation_id=lead.id),
        ]
        session.flush()
        invitation_ids = list(session.scalars(select(Invitation.id)))
        aid_ids = _aid_world(session, operation.id, lead.id)
        caller = accounts.authenticate_token(session, secret=token)
        assert caller is not None
        token_id = accounts.list_tokens(session, user_id=caller.id)[0].id
        dictionaries = {
            "slug": [SLUG],
            "organisation_id": [lead.id, partner.id, invited.id, outside.id],
            "user_id": [colleague.id],
            "invitation_id": invitation_ids,
            "job_id": [job.id],
            "notification_id": [n.id for n in notes],
            "pcode": [row.pcode for row in rows],
            **aid_ids,
        }
    return Identity(who, token, token_id, dictionaries)


def _aid_world(session: Any, operation_id: int, lead_id: int) -> dict[str, list[Any]]:
    """An open aid point with stock, a warehouse, a draft waybill and a rule."""
    point, warehouse = (
        aid_places.create_place(
            session,
            operation_id=operation_id,
            organisation_id=lead_id,
            kind=kind,
            name=name,
            lon=1.5,
            lat=42.5,
            status="open",
            services=["food", "medical"],
        )
        for kind, name in (("aid_point", "Fuzz point"), ("warehouse", "Fuzz warehouse"))
    )
    blankets = catalogue.item_by_code(session, operation_id=operation_id, code="BLANKET")
    receipt = stock.receive(
        session, place=point, entries=[stock.Entry(blankets.id, 1000)], recorded_by_id=None
    )
    waybill = waybills.create(
        session,
        operation_id=operation_id,
        from_place_id=point.id,
        to_place_id=warehouse.id,
        entries=[stock.Entry(blankets.id, 5)],
        created_by_id=None,
    )
    rule = entitlements.create_rule(
        session,
        operation_id=operation_id,
        name="Two blankets per household per week",
        item_id=blankets.id,
        quantity=2,
        per="household",
        period_days=7,
    )
    return {
        "place_id": [point.id, warehouse.id],
        "item_id": [blankets.id],
        "movement_id": [receipt.id],
        "waybill_id": [waybill.id],
        "rule_id": [rule.id],
    }


def _load(request: pytest.FixtureRequest, app: FastAPI, identity: Identity, **extra: Any) -> Any:
    # schemathesis 4.32's fixture loader reads and renames ``node._nodeid``, which
    # pytest 9.2 no longer has (it keeps ``_id``): give it one to work on.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    config = schemathesis.Config.from_dict(
        {
            "headers": bearer(identity.token),
            "dictionaries": {
                name: {"values": values} for name, values in identity.dictionaries.items()
            },
            # Mostly ids that exist, so that the fuzzer gets past the 404.
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.8}
                for name in identity.dictionaries
            },
            **extra,
        }
    )
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, config=config)


@pytest.fixture
def api_schema(request: pytest.FixtureRequest, app: FastAPI, identity: Identity) -> Any:
    if identity.name == "coordinator" and ON_POSTGRESQL:
        # What differs between the databases shows at the boundaries (integer
        # ranges, text lengths), which the coverage phase tries; random fuzzing
        # adds little there and would take the PostgreSQL stage over its budget.
        return _load(request, app, identity, phases={"fuzzing": {"enabled": False}})
    if identity.name == "coordinator":
        return _load(request, app, identity)
    # The coverage phase (every boundary value of every parameter) is three fifths
    # of the time: it runs as the lead coordinator, who reaches the most. The admin
    # and the outsider, whose checks are about who may do what, get the examples
    # and the random fuzzing.
    return _load(request, app, identity, phases={"coverage": {"enabled": False}})


schema = schemathesis.pytest.from_fixture("api_schema")
# Three parts (aid, amnesty, and the rest), so that pytest-xdist spreads them over its workers.
AID_PATHS = r"/aid/"
AMNESTY_PATHS = r"/amnesty/|^/trust/"
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.exclude(path_regex=AID_PATHS).exclude(path_regex=AMNESTY_PATHS).parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case: Any, identity: Identity, app: FastAPI) -> None:
    _conforms(case, identity, app)


@schema.include(path_regex=AMNESTY_PATHS).parametrize()
@FUZZ_SETTINGS
def test_amnesty_api_conforms_to_its_schema(case: Any, identity: Identity, app: FastAPI) -> None:
    _conforms(case, identity, app)


@schema.include(path_regex=AID_PATHS).parametrize()
@FUZZ_SETTINGS
def test_aid_api_conforms_to_its_schema(case: Any, identity: Identity, app: FastAPI) -> None:
    _conforms(case, identity, app)


def _conforms(case: Any, identity: Identity, app: FastAPI) -> None:
    if case.path_parameters and str(case.path_parameters.get("token_id")) == str(identity.token_id):
        # Revoking the caller's own token would leave every later case at 401.
        case.path_parameters["token_id"] = identity.token_id + 1_000_000
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if (
        response.status_code == 401
        and (case.headers or {}).get("Authorization") == bearer(identity.token)["Authorization"]
    ):
        _assert_token_still_works(app, identity, case)
    public = case.path.startswith("/trust/")  # trust lists are published to anyone
    if (
        identity.outsider
        and "{slug}" in case.path
        and not public
        and case.path_parameters.get("slug") == SLUG
    ):
        _assert_hidden_from_outsider(case, response.status_code)


def _assert_token_still_works(app: FastAPI, identity: Identity, case: Any) -> None:
    """A 401 despite the caller's token is a wrong password (sign-in), not a lost token.

    A lost token would stop every later case at 401, and the fuzzer test nothing.
    """
    me = TestClient(app).get("/api/v1/me", headers=bearer(identity.token))
    assert me.status_code == 200, f"the token stopped working after {case.method} {case.path}"


def _assert_hidden_from_outsider(case: Any, status: int) -> None:
    """The outsider learns nothing: 404, or the answer an unknown operation gives.

    FastAPI refuses a body it cannot parse (400 for bytes that are not UTF-8, 422
    for text that is not JSON) before it resolves any dependency, so before the
    sign-in and the operation lookup; that answer must then be the same for a slug
    that names no operation.
    """
    where = f"{case.method} {case.formatted_path}"
    if status == 404:
        return
    assert status in (400, 422), f"an outsider got {status} from {where}"
    case.path_parameters["slug"] = "no-such-operation"
    assert case.call().status_code == status, f"{where} tells an outsider the operation exists"


# PostgreSQL cannot store the NUL character in text (SQLite can, so the fuzzer
# above, on SQLite, would not notice): every string of every request body refuses
# it as invalid input, before it reaches a service.


@pytest.fixture
def coordinator(factory: Factory, cheap_passwords: None) -> Identity:
    return _world(factory, "coordinator")


@pytest.fixture
def valid_bodies_schema(request: pytest.FixtureRequest, app: FastAPI, coordinator: Identity) -> Any:
    return _load(
        request,
        app,
        coordinator,
        generation={"mode": "positive"},
        phases={"examples": {"enabled": False}, "coverage": {"enabled": False}},
    )


@(
    schemathesis.pytest.from_fixture("valid_bodies_schema")
    .include(method=["POST", "PUT", "PATCH"])
    .parametrize()
)
@settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_body_string_may_contain_nul(case: Any) -> None:
    body, changed = case.body, False
    if isinstance(body, dict):
        # Only the declared fields: the others are ignored, and go nowhere.
        declared = _declared_properties(case)
        fields = {k: _with_nul(v) if k in declared else (v, False) for k, v in body.items()}
        body = {k: v for k, (v, _) in fields.items()}
        changed = any(c for _, c in fields.values())
    elif isinstance(body, str) and case.media_type != "application/octet-stream":
        # Text bodies (CSV); binary uploads (OSM extracts) legitimately hold NUL bytes.
        body, changed = _with_nul(body)
    if not changed:
        return
    case.body = body
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if response.status_code in (403, 404):
        return  # refused before the body was read (a permission, an id in the path)
    assert response.status_code == 422, f"{case.method} {case.path}: {response.text}"
    messages = [e["message"] for e in response.json()["errors"]]
    assert any("NUL" in m for m in messages), f"{case.method} {case.path}: {messages}"


def _declared_properties(case: Any) -> set[str]:
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    body_schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in body_schema:
        name = body_schema["$ref"].rsplit("/", 1)[-1]
        body_schema = case.operation.schema.raw_schema["components"]["schemas"][name]
    return set(body_schema.get("properties", {}))


def _with_nul(value: Any) -> tuple[Any, bool]:
    """``value`` with a NUL at the end of each of its strings (JSON or CSV text)."""
    if isinstance(value, str):
        return value + "\x00", True
    if isinstance(value, dict):
        items = {k: _with_nul(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(c for _, c in items.values())
    if isinstance(value, list):
        items = [_with_nul(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False
