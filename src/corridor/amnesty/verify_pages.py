"""The checkpoint's certificate verifier: a page that verifies amnesty and
safe-passage certificates in the browser, with no server.

``/verify`` is public (a checkpoint officer needs no account) and holds no
data: the bundle's ``verify.js`` (built from ``frontend/src/verify/``) decodes
the QR code (from a photo or pasted text), checks the trust list's JWS
signature and the certificate's COSE signature with WebCrypto, and gives the
same verdicts as ``corridor cert verify`` (``verifier.py``, which it mirrors
check by check). ``?operation=SLUG`` makes the page fetch that operation's
trust list (``/trust/SLUG/trust-list.json``) whenever the server can be
reached and keep it on the device; a trust list file can always be loaded
instead.

``/verify-sw.js`` is the page's service worker (built from
``frontend/src/verify/sw.js``), served from the root so that its scope may
cover the page. It keeps the page and the assets listed below, so the page
opens again without a connection.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from corridor import web
from corridor.web.deps import public
from corridor.web.templating import render

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(web.__file__).resolve().parent / "static"
SERVICE_WORKER = STATIC_DIR / "build" / "verify-sw.js"
# What the page needs besides itself (web/base.html and verify.html): the worker keeps these.
OFFLINE_ASSETS = (
    "/static/build/corridor.js",
    "/static/build/corridor.css",
    "/static/css/corridor.css",
    "/static/favicon.svg",
    "/static/build/verify.js",
    "/static/build/verify.css",
)


@lru_cache(maxsize=8)
def _assets_version(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """A hash of the assets' contents: a new build makes a new worker, which fetches them anew."""
    digest = hashlib.sha256()
    for name, _mtime, _size in stamps:
        path = STATIC_DIR / name.removeprefix("/static/")
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@router.get("/verify-sw.js", dependencies=[Depends(public)])
def verify_service_worker() -> Response:
    """The service worker of the verification page (public: a script without data)."""
    if not SERVICE_WORKER.is_file():
        return Response(
            "// the web assets are not built: run `npm ci && npm run build`\n",
            status_code=404,
            media_type="text/javascript",
        )
    names = (*OFFLINE_ASSETS, "/static/build/verify-sw.js")
    version = _assets_version(
        tuple((name, *_stamp(STATIC_DIR / name.removeprefix("/static/"))) for name in names)
    )
    config = json.dumps({"version": version, "assets": list(OFFLINE_ASSETS)})
    body = f"self.CORRIDOR_VERIFY = {config};\n" + SERVICE_WORKER.read_text(encoding="utf-8")
    return Response(
        body,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/verify", dependencies=[Depends(public)])
def verify_page(request: Request) -> Response:
    """Verify an amnesty or safe-passage certificate offline, from a photo or its text."""
    response = render(request, "amnesty/verify.html")
    # The page carries the session's CSRF token (the language switch): never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
