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

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from corridor.web.deps import public
from corridor.web.service_workers import service_worker
from corridor.web.templating import render

router = APIRouter(include_in_schema=False)

# What the page needs besides itself (web/base.html and verify.html): the worker keeps these.
OFFLINE_ASSETS = (
    "/static/build/corridor.js",
    "/static/build/corridor.css",
    "/static/css/corridor.css",
    "/static/favicon.svg",
    "/static/build/verify.js",
    "/static/build/verify.css",
)


@router.get("/verify-sw.js", dependencies=[Depends(public)])
def verify_service_worker() -> Response:
    """The service worker of the verification page (public: a script without data)."""
    return service_worker("verify-sw.js", OFFLINE_ASSETS, "CORRIDOR_VERIFY")


@router.get("/verify", dependencies=[Depends(public)])
def verify_page(request: Request) -> Response:
    """Verify an amnesty or safe-passage certificate offline, from a photo or its text."""
    response = render(request, "amnesty/verify.html")
    # The page carries the session's CSRF token (the language switch): never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
