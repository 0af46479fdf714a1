"""Simulated field devices, and a server in a child process: for the benchmark and
the durability test.

A device behaves like ODK Collect: it posts each finalised form to
``/submission`` with its Basic credentials and keeps it until the server
answers 2xx; a refused connection, a reset or a 5xx is retried after a short
pause. Only the standard library is used, so a load generator can run in a
process of its own without the web stack.
"""

from __future__ import annotations

import base64
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Outcome:
    instance_id: str
    status: int  # the last HTTP status (0: no answer)
    attempts: int
    latency_ms: float  # of the request that was answered last

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300


def multipart(xml: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="xml_submission_file"; '
            'filename="submission.xml"\r\n'
            "Content-Type: text/xml\r\n\r\n"
        ).encode()
        + xml
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _device(
    base_url: str,
    username: str,
    secret: str,
    items: list[tuple[str, bytes]],
    deadline: float,
    retry: bool,
) -> list[Outcome]:
    parts = urlsplit(base_url)
    auth = "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()
    path = parts.path.rstrip("/") + "/submission"
    connection: http.client.HTTPConnection | None = None
    outcomes = []
    rng = random.Random(username)
    for instance_id, xml in items:
        body, content_type = multipart(xml)
        attempts, status, latency = 0, 0, 0.0
        while True:
            attempts += 1
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(
                        parts.hostname or "127.0.0.1", parts.port or 80, timeout=15
                    )
                connection.request(
                    "POST",
                    path,
                    body=body,
                    headers={
                        "Authorization": auth,
                        "Content-Type": content_type,
                        "X-OpenRosa-Version": "1.0",
                    },
                )
                answer = connection.getresponse()
                answer.read()
                status = answer.status
                latency = (time.perf_counter() - started) * 1e3
                if answer.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = 0
                if connection is not None:
                    connection.close()
                connection = None
            if 200 <= status < 300 or 400 <= status < 500 or not retry:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05 + rng.random() * 0.2)  # the server is away: try again shortly
        outcomes.append(Outcome(instance_id, status, attempts, latency))
    if connection is not None:
        connection.close()
    return outcomes


def run_devices(
    base_url: str,
    devices: list[tuple[str, str]],
    plans: list[list[tuple[str, bytes]]],
    *,
    retry: bool = True,
    timeout_s: float = 120.0,
) -> list[Outcome]:
    """Every device posts its plan concurrently (one thread each); all outcomes."""
    deadline = time.monotonic() + timeout_s
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        futures = [
            pool.submit(_device, base_url, username, secret, plan, deadline, retry)
            for (username, secret), plan in zip(devices, plans, strict=True)
        ]
        return [outcome for future in futures for outcome in future.result()]


# A server in a child process ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``corridor serve`` (or any command) in a child process that can be killed and restarted."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.command, self.env, self.port, self.log_path = command, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers die with it
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited: " + self.log_path.read_text()[-2000:])
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start: " + self.log_path.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, as in a power cut."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def corridor_server(
    *, database_url: str, data_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """``corridor serve`` on a free port against the given database; stopped at the end."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "CORRIDOR_DATABASE_URL": database_url,
            "CORRIDOR_DATA_DIR": str(data_dir),
            "CORRIDOR_LOG_LEVEL": "warning",
            **(extra_env or {}),
        }
    )
    command = [
        sys.executable,
        "-m",
        "corridor.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = ServerProcess(command, env, port, data_dir / f"serve-{port}.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
