"""Service workers of the pages that work offline (the tally screen, /verify).

Each is a script built by esbuild into ``static/build/`` and served from the
root, so that its scope may cover its page, prefixed with its configuration:
the assets it keeps, and a version hashed from their contents, so that a new
build makes a new worker, which fetches them anew.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi.responses import Response

from corridor import web

STATIC_DIR = Path(web.__file__).resolve().parent / "static"


@lru_cache(maxsize=8)
def _assets_version(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """A hash of the assets' contents (cached while their times and sizes stay the same)."""
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


def service_worker(script: str, offline_assets: tuple[str, ...], config_name: str) -> Response:
    """``static/build/<script>`` with ``self.<config_name> = {version, assets}`` before it."""
    worker = STATIC_DIR / "build" / script
    if not worker.is_file():
        return Response(
            "// the web assets are not built: run `npm ci && npm run build`\n",
            status_code=404,
            media_type="text/javascript",
        )
    names = (*offline_assets, f"/static/build/{script}")
    version = _assets_version(
        tuple((name, *_stamp(STATIC_DIR / name.removeprefix("/static/"))) for name in names)
    )
    config = json.dumps({"version": version, "assets": list(offline_assets)})
    body = f"self.{config_name} = {config};\n" + worker.read_text(encoding="utf-8")
    return Response(
        body,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
