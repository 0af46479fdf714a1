"""Fixtures for the web layer: the app bound to the test runtime, signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.runtime import Runtime
from corridor.web.app import create_app


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime, start_jobs=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
