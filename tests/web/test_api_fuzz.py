"""Fuzz the whole JSON API from its own OpenAPI document (schemathesis).

Every operation in ``/api/openapi.json`` is called with generated input (valid
and invalid) as three identities: a coordinator and an admin of the lead
organisation of the operation ``fuzz``, and an admin of an outside organisation.
No response may be a 5xx, and every response must match what the schema
documents for it (status code, content type, headers and body). The outsider
must get a 404 from every route of the ``fuzz`` operation, whatever the method
and input: it may not even learn that the operation exists.

Routes added by later capabilities are fuzzed by this same test as soon as they
appear in the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from corridor.accounts.models import Organisation, Role
from corridor.db.session import Actor, unit_of_work
from corridor.operations import gazetteer
from tests.factories import Factory
from tests.web.conftest import bearer

SLUG = "fuzz"
MAX_EXAMPLES = 20

# Not ``positive_data_acceptance``: business rules rightly answer 409/422 to
# input that the schema alone cannot rule out (a slug already taken, an unknown
# organisation id, a weak password...).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

GAZETTEER = (
    "pcode,name_en,name_ar,admin_level,parent_pcode\n"
    "AD,Andorra,أندورا,0,\n"
    "AD02,Canillo,كانيو,1,AD\n"
)


@dataclass(frozen=True)
class Identity:
    name: str
    token: str
    token_id: int
    outsider: bool
    organisation_ids: tuple[int, ...]
    user_ids: tuple[int, ...]


def _token_id(factory: Factory, secret: str) -> int:
    from corridor.accounts import service as accounts

    with unit_of_work(factory.runtime.factory, Actor(label="test")) as session:
        user = accounts.authenticate_token(session, secret=secret)
        assert user is not None
        return next(t.id for t in accounts.list_tokens(session, user_id=user.id))


@pytest.fixture(params=["coordinator", "admin", "outsider"])
def identity(request: pytest.FixtureRequest, factory: Factory) -> Identity:
    """The caller, and the world around them: ``fuzz`` with a partner and a gazetteer."""
    lead = factory.organisation("Fuzz Lead")
    partner = factory.organisation("Fuzz Partner")
    outside = factory.organisation("Fuzz Outside")
    operation = factory.operation(lead, slug=SLUG)
    factory.join(operation, partner)
    invited: Organisation = factory.organisation("Fuzz Invited")
    colleague = factory.user(lead, Role.FIELD_OFFICER)
    with unit_of_work(factory.runtime.factory, Actor(label="test")) as session:
        gazetteer.import_areas(
            session, operation_id=operation.id, rows=gazetteer.parse_csv(GAZETTEER)
        )
    if request.param == "outsider":
        user = factory.user(outside, Role.ADMIN)
    else:
        user = factory.user(lead, Role(request.param))
    token = factory.token(user)
    return Identity(
        name=request.param,
        token=token,
        token_id=_token_id(factory, token),
        outsider=request.param == "outsider",
        organisation_ids=(lead.id, partner.id, outside.id, invited.id),
        user_ids=(colleague.id,),
    )


@pytest.fixture
def api_schema(request: pytest.FixtureRequest, app: FastAPI, identity: Identity) -> Any:
    # schemathesis 4.32's fixture loader reads and renames ``node._nodeid``, which
    # pytest 9.2 no longer has (it keeps ``_id``); give it one to work on.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    config = schemathesis.Config.from_dict(
        {
            "headers": bearer(identity.token),
            "dictionaries": {
                "slugs": {"values": [SLUG]},
                "organisations": {"values": list(identity.organisation_ids)},
                "users": {"values": list(identity.user_ids)},
            },
            # Mostly the operation that exists, so the fuzzer gets past the 404.
            "parameters": {
                "path.slug": {"dictionary": "slugs", "probability": 0.9},
                "path.organisation_id": {"dictionary": "organisations", "probability": 0.6},
                "path.user_id": {"dictionary": "users", "probability": 0.6},
            },
        }
    )
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, identity: Identity) -> None:
    if case.path_parameters and case.path_parameters.get("token_id") == identity.token_id:
        # Revoking the caller's own token would leave every later case at 401.
        case.path_parameters["token_id"] = identity.token_id + 1_000_000
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if identity.outsider and "{slug}" in case.path and case.path_parameters.get("slug") == SLUG:
        _assert_hidden_from_outsider(case, response.status_code)


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


import atexit, collections, time as _time  # noqa
_STATS = collections.Counter()
_TIMES = collections.Counter()
_orig = test_api_conforms_to_its_schema
def _dump():
    with open("/tmp/fuzz_stats.txt", "w") as f:
        for k, v in sorted(_TIMES.items(), key=lambda kv: -kv[1])[:40]:
            f.write(f"{v:7.2f}s {_STATS[k]:5d} {k}\n")
        f.write(f"total calls {sum(_STATS.values())} time {sum(_TIMES.values()):.1f}\n")
atexit.register(_dump)
import schemathesis.generation.case as _c
_call = _c.Case.call
def _timed(self, *a, **k):
    t = _time.perf_counter()
    try:
        return _call(self, *a, **k)
    finally:
        key = (self.operation.label, self.meta.phase.name.value if self.meta else None)
        _STATS[key] += 1
        _TIMES[key] += _time.perf_counter() - t
_c.Case.call = _timed
