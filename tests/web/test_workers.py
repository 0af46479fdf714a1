"""With `corridor serve --workers 2`, a change saved through one worker is seen by
the other within a second (cached state is invalidated through the database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from corridor.accounts.models import Role
from corridor.config import Settings
from corridor.runtime import Runtime
from corridor.web import serving
from tests.factories import Factory
from tests.web.conftest import bearer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_workers(runtime: Runtime, settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "CORRIDOR_DATABASE_URL": settings.effective_database_url,
            "CORRIDOR_DATA_DIR": str(settings.data_dir),
            "CORRIDOR_EXPOSE_WORKER_ID": "true",
            "CORRIDOR_LOG_LEVEL": "warning",
        }
    )
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "corridor.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start: " + (tmp_path / "serve.log").read_text())
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_suspending_a_partner_reaches_every_worker_within_a_second(
    runtime: Runtime, factory: Factory, two_workers: str
) -> None:
    lead, partner = factory.organisation(), factory.organisation()
    operation = factory.operation(lead)
    factory.join(operation, partner)
    lead_token = factory.token(factory.user(lead, Role.COORDINATOR))
    partner_token = factory.token(factory.user(partner, Role.VIEWER))
    url = f"{two_workers}/api/v1/operations/{operation.slug}"

    # A new connection per request, so that both workers get requests.
    with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
        seen = _warm_both(client, url, bearer(partner_token))
        change = client.patch(
            f"{url}/partners/{partner.id}", headers=bearer(lead_token), json={"status": "suspended"}
        )
        assert change.status_code == 200
        _refused_everywhere(client, url, bearer(partner_token), 404, seen, change)


def test_a_revoked_api_token_stops_working_in_every_worker_within_a_second(
    runtime: Runtime, factory: Factory, two_workers: str
) -> None:
    user = factory.user(factory.organisation(), Role.COORDINATOR)
    kept, revoked = factory.token(user), factory.token(user)
    url = f"{two_workers}/api/v1/me"
    with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
        seen = _warm_both(client, url, bearer(revoked))
        listed = client.get(f"{two_workers}/api/v1/me/tokens", headers=bearer(kept)).json()
        token_id = max(t["id"] for t in listed)  # the newer of the two
        change = client.delete(f"{two_workers}/api/v1/me/tokens/{token_id}", headers=bearer(kept))
        assert change.status_code == 204
        _refused_everywhere(client, url, bearer(revoked), 401, seen, change)


def _warm_both(client: httpx.Client, url: str, headers: dict[str, str]) -> set[str]:
    """Both workers answered 200 (their caches hold what the test then changes)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while len(seen) < 2 and time.monotonic() < deadline:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        seen.add(response.headers["x-corridor-worker"])
    assert len(seen) == 2, "requests never reached the second worker"
    return seen


def _refused_everywhere(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    refusal: int,
    seen: set[str],
    change: httpx.Response,
) -> None:
    """Within a second of ``change``, every worker refuses, and none accepts again."""
    changed_at = time.monotonic()
    changed_by = change.headers["x-corridor-worker"]
    first_refusal: dict[str, float] = {}
    late_success: list[str] = []
    while time.monotonic() - changed_at < 2.0:
        response = client.get(url, headers=headers)
        worker = response.headers["x-corridor-worker"]
        elapsed = time.monotonic() - changed_at
        if response.status_code == refusal:
            first_refusal.setdefault(worker, elapsed)
        else:
            assert response.status_code == 200
            if worker in first_refusal:
                late_success.append(worker)
    assert set(first_refusal) == seen, f"change saved by {changed_by}; refusals {first_refusal}"
    assert max(first_refusal.values()) <= 1.0
    assert late_success == []


def test_a_port_already_taken_is_refused_in_one_line(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CORRIDOR_DATABASE_URL": settings.effective_database_url}
        env["CORRIDOR_DATA_DIR"] = str(settings.data_dir)
        done = subprocess.run(
            [sys.executable, "-m", "corridor.cli", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"--port: cannot listen on 127.0.0.1:{port}" in done.stderr


def test_a_worker_that_dies_is_started_again(two_workers: str) -> None:
    import signal

    with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
        seen = _warm_both(client, f"{two_workers}/healthz", {})
        time.sleep(serving.MIN_LIFETIME_S)  # past its start: a death, not a failed start
        gone = min(seen)
        os.kill(int(gone), signal.SIGKILL)
        deadline = time.monotonic() + 30
        now: set[str] = set()
        while len(now) < 2 and time.monotonic() < deadline:
            try:
                now.add(client.get(f"{two_workers}/healthz").headers["x-corridor-worker"])
            except httpx.HTTPError:
                time.sleep(0.1)
        assert len(now) == 2 and gone not in now
