"""The `corridor` command, run as a user would: a real process, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from corridor.aid import ledger
from corridor.aid.models import Distribution, WaybillLine
from corridor.amnesty.models import Certificate, DestructionBatch, Intake, RegistryItem
from corridor.audit.models import AuditRecord
from corridor.cli import app
from corridor.config import Settings
from corridor.crossings.models import Form, Registration, Submission
from corridor.db.engine import make_engine
from corridor.db.session import unit_of_work
from corridor.runtime import Runtime
from tests.conftest import STRONG_PASSWORD
from tests.factories import Factory

SUBCOMMANDS = [
    [],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["db", "current"],
    ["user"],
    ["user", "add"],
    ["org"],
    ["org", "add"],
    ["gazetteer"],
    ["gazetteer", "import"],
    ["demo"],
    ["audit"],
    ["audit", "verify"],
    ["osm"],
    ["osm", "import"],
    ["route"],
    ["cert"],
    ["cert", "sample"],
    ["cert", "verify"],
    ["cert", "rotate-key"],
    ["cert", "trust-list"],
]


def corridor(
    args: list[str],
    settings: Settings,
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        {
            "CORRIDOR_DATABASE_URL": settings.effective_database_url,
            "CORRIDOR_DATA_DIR": str(settings.data_dir),
        }
    )
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: " ".join(a) or "corridor")
def test_every_command_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert len(result.output.splitlines()) >= 4


def test_serve_help_uses_uvicorn_option_names() -> None:
    out = CliRunner().invoke(app, ["serve", "--help"]).output
    for option in ("--host", "--port", "--workers", "--ssl-certfile", "--ssl-keyfile"):
        assert option in out


def test_the_main_command_runs_as_an_installed_script(tmp_path: Path) -> None:
    result = corridor(["--help"], Settings(data_dir=tmp_path))
    assert result.returncode == 0 and "demo" in result.stdout


def test_org_and_user_add_then_bad_input_exits_2_with_one_line(
    runtime: Runtime, settings: Settings
) -> None:
    ok = corridor(
        ["org", "add", "Relief Partner", "--type", "ngo", "--acronym", "RP", "--country", "SY"],
        settings,
    )
    assert ok.returncode == 0, ok.stderr
    added = corridor(
        ["user", "add", "field.one", "--org", "RP", "--role", "field_officer", "--password-stdin"],
        settings,
        stdin=STRONG_PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    for args, stdin, needle in [
        (
            ["user", "add", "field.one", "--org", "RP", "--password-stdin"],
            STRONG_PASSWORD,
            "already taken",
        ),
        (
            ["user", "add", "field.two", "--org", "RP", "--password-stdin"],
            "qwerty123456",
            "password",
        ),
        (
            ["user", "add", "field.two", "--org", "Nobody", "--password-stdin"],
            STRONG_PASSWORD,
            "--org",
        ),
        (["org", "add", "Relief Partner"], None, "already exists"),
        (["org", "add", "X", "--type", "militia"], None, "type"),
    ]:
        result = corridor(args, settings, stdin=stdin)
        assert result.returncode == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and needle in lines[0], result.stderr
        assert STRONG_PASSWORD not in result.stderr


def test_gazetteer_import_and_its_errors(
    runtime: Runtime, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    operation = factory.operation(factory.organisation())
    good = tmp_path / "areas.csv"
    good.write_text(
        "pcode,name_en,name_ar,admin_level,parent_pcode\nSY,Syria,سوريا,0,\nSY02,Aleppo,حلب,1,SY\n",
        encoding="utf-8",
    )
    result = corridor(["gazetteer", "import", str(good), "--operation", operation.slug], settings)
    assert result.returncode == 0 and "2 areas created" in result.stdout, result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("pcode,name_en,name_ar,admin_level,parent_pcode\nSY03,Homs,,1,XX\n")
    for args, needle in [
        ([str(bad), "--operation", operation.slug], "parent_pcode"),
        ([str(good), "--operation", "no-such-op"], "--operation"),
        ([str(tmp_path / "missing.csv"), "--operation", operation.slug], "no such file"),
    ]:
        result = corridor(["gazetteer", "import", *args], settings)
        assert result.returncode == 2 and needle in result.stderr.strip(), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def _demo_certificates(runtime: Runtime) -> list[tuple[str, str]]:
    with unit_of_work(runtime.factory) as session:
        rows = session.execute(
            select(Certificate.qr_text, Certificate.type).where(Certificate.revoked_at.is_(None))
        ).all()
        return [(text, kind.value) for text, kind in rows]


def test_demo_loads_twice_and_audit_verify_catches_tampering(
    runtime: Runtime, settings: Settings
) -> None:
    env = {"CORRIDOR_DEMO_PASSWORD": "plum-harbour-lantern-42"}
    first = corridor(["demo", "--no-serve"], settings, extra_env=env)
    assert first.returncode == 0, first.stderr
    assert "demo" in first.stderr and str(settings.data_dir) in first.stderr
    again = corridor(["demo", "--no-serve"], settings, extra_env=env)
    assert again.returncode == 0, again.stderr
    with unit_of_work(runtime.factory) as session:  # loaded once, not twice
        assert session.scalar(select(func.count()).select_from(Registration)) == 12
        # 12 registrations and 3 distribution lists sent from a phone after a day offline
        assert session.scalar(select(func.count()).select_from(Submission)) == 15
        assert session.scalar(select(func.count()).select_from(Form)) == 3
        # Stock and distributions, the waybill's broken bottles included, adding up;
        # one list given beyond the recorded stock waits for reconciliation.
        assert session.scalar(select(func.count()).select_from(Distribution)) == 48
        flagged = session.scalars(select(Distribution).where(Distribution.flagged)).all()
        assert [f["code"] for d in flagged for f in d.flags] == ["stock_shortfall"]
        received = session.scalar(select(WaybillLine.damaged).where(WaybillLine.damaged > 0))
        assert received == 6
        (operation_id,) = session.scalars(select(Distribution.operation_id).limit(1))
        assert ledger.mismatches(session, operation_id=operation_id) == []
        # The amnesty desk: three intakes, four items (two destroyed in one batch),
        # three certificates of which one revoked.
        assert session.scalar(select(func.count()).select_from(Intake)) == 3
        assert session.scalar(select(func.count()).select_from(RegistryItem)) == 4
        assert session.scalar(select(func.count()).select_from(DestructionBatch)) == 1
        issued = session.scalars(select(Certificate.revoked_at)).all()
        assert len(issued) == 3 and sum(r is not None for r in issued) == 1
    trust = corridor(["cert", "trust-list", "--operation", "demo"], settings)
    assert trust.returncode == 0 and "root key fingerprint" in trust.stderr
    (kept,) = [c for c in _demo_certificates(runtime) if c[1] == "amnesty"]
    checked = corridor(
        ["cert", "verify", "--text", kept[0], "--trust-list", "/dev/stdin", "--json"],
        settings,
        stdin=trust.stdout,
    )
    assert checked.returncode == 0 and json.loads(checked.stdout)["verdict"] == "valid", (
        checked.stdout
    )
    rotated = corridor(["cert", "rotate-key", "--operation", "demo", "--org", "CCC"], settings)
    assert rotated.returncode == 0 and "retired" in rotated.stdout, rotated.stderr
    for args, needle in (
        (["--operation", "nowhere", "--org", "CCC"], "--operation"),
        (["--operation", "demo", "--org", "Nobody"], "--org"),
    ):
        refused = corridor(["cert", "rotate-key", *args], settings)
        assert refused.returncode == 2 and needle in refused.stderr, refused.stderr
    trust = corridor(["cert", "trust-list", "--operation", "demo"], settings)
    checked = corridor(
        ["cert", "verify", "--text", kept[0], "--trust-list", "/dev/stdin"],
        settings,
        stdin=trust.stdout,
    )
    assert checked.returncode == 0, checked.stdout  # still valid after the rotation
    verified = corridor(["audit", "verify"], settings)
    assert verified.returncode == 0 and verified.stdout.strip().endswith("OK"), verified.stdout
    engine = make_engine(settings.effective_database_url)
    with engine.begin() as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(action="delete"))
    engine.dispose()
    broken = corridor(["audit", "verify"], settings)
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout and "record 2" in broken.stdout


def test_demo_prints_a_generated_password_when_none_is_set(
    runtime: Runtime, settings: Settings
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CORRIDOR_DEMO_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "corridor.cli", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **env,
            "CORRIDOR_DATABASE_URL": settings.effective_database_url,
            "CORRIDOR_DATA_DIR": str(settings.data_dir),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "generated" in result.stderr


def test_demo_brings_an_empty_database_to_the_current_schema(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    before = corridor(["db", "current"], settings)
    assert "empty" in before.stdout
    serve = corridor(["serve", "--port", "1"], settings)
    assert serve.returncode == 2 and "corridor db upgrade" in serve.stderr
    result = corridor(
        ["demo", "--no-serve"],
        settings,
        extra_env={"CORRIDOR_DEMO_PASSWORD": "plum-harbour-lantern-42"},
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in corridor(["db", "current"], settings).stdout


def test_osm_import_and_route_commands(
    runtime: Runtime, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    from importlib import resources

    pbf = Path(str(resources.files("corridor.demo_data").joinpath("andorra.osm.pbf")))
    operation = factory.operation(factory.organisation())
    imported = corridor(["osm", "import", str(pbf), "--operation", operation.slug], settings)
    assert imported.returncode == 0, imported.stderr
    assert "car: 16,408 nodes, 31,493 arcs" in imported.stdout
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(pbf.read_bytes()[:80_000])
    refused = corridor(["osm", "import", str(bad), "--operation", operation.slug], settings)
    assert refused.returncode == 2 and "PBF" in refused.stderr
    routed = corridor(
        [
            "route",
            "--operation",
            operation.slug,
            "--from=1.5340,42.5080",
            "--to=1.5795,42.5347",
            "--alternatives",
            "0",
        ],
        settings,
    )
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.startswith("route: ") and " km, " in routed.stdout
    as_geojson = corridor(
        [
            "route",
            "--operation",
            operation.slug,
            "--from=1.5340,42.5080",
            "--to=1.5795,42.5347",
            "--profile",
            "foot",
            "--geojson",
        ],
        settings,
    )
    import json

    assert json.loads(as_geojson.stdout)["features"][0]["geometry"]["type"] == "LineString"
    far = corridor(
        ["route", "--operation", operation.slug, "--from=-3.5,40.1", "--to=1.5795,42.5347"],
        settings,
    )
    assert far.returncode == 2
    assert "--from" in far.stderr and "m from the nearest road" in far.stderr
    garbled = corridor(
        ["route", "--operation", operation.slug, "--from=east", "--to=1.5795,42.5347"], settings
    )
    assert garbled.returncode == 2 and "LON,LAT" in garbled.stderr
