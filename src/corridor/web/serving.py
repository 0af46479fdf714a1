"""Several worker processes, each accepting connections on a socket of its own.

uvicorn's own workers share one listening socket, and an asyncio server
accepts every connection waiting when it wakes. When clients connect at the
same moment (eight officers opening their keep-alive connections at an aid
point) one worker takes most of them and the others idle: measured on the aid
benchmark, one worker at 87% of a core and the other at 19%. With
``SO_REUSEPORT`` each worker listens on a socket of its own, bound to the same
address, and the kernel spreads new connections over them (by a hash of each
connection's addresses), as nginx's ``reuseport`` does.

The supervisor starts the workers, starts again one that dies, and stops them
all on SIGINT or SIGTERM. A worker that cannot start (its second death within
a few seconds of starting) stops the whole server, rather than restarting for
ever. Where the platform has no ``SO_REUSEPORT``, uvicorn's workers serve.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

MIN_LIFETIME_S = 5.0  # a worker that dies sooner than this after starting failed to start


def reuse_port_available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bound_socket(host: str, port: int, *, shared: bool = True) -> socket.socket:
    """A TCP socket bound to (host, port), not listening yet; ``OSError`` if taken.

    ``shared``: with ``SO_REUSEPORT``, beside the other workers' sockets; the
    worker's server listens on it once the app has started, so no connection
    waits in the queue of a worker still starting. Without it, the socket only
    proves that nothing listens there yet (a second server started by mistake
    on the same port must not quietly share its traffic).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = bound_socket(host, port)
    uvicorn.Server(uvicorn.Config(**options)).run(sockets=[sock])


def serve_workers(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Run ``workers`` uvicorn servers on (host, port) until told to stop; the exit code.

    ``options`` are ``uvicorn.Config``'s (the app, logging, TLS…), without host,
    port and workers. ``OSError`` at once when the address is taken.
    """
    bound_socket(host, port, shared=False).close()  # fail here, not in every worker
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(
            target=_worker, args=(host, port, options), name="corridor-worker", daemon=False
        )
        process.start()
        return process, time.monotonic()

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running = [start() for _ in range(workers)]
    failed_early = 0
    code = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for index, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started < MIN_LIFETIME_S:
                    failed_early += 1
                    if failed_early >= 2:
                        stopping, code = True, 3
                        break
                running[index] = start()
    finally:
        for process, _started in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way
        deadline = time.monotonic() + 15
        for process, _started in running:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
