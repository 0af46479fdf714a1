"""The ``corridor`` command: one sub-command group per capability.

Errors in input are one line on stderr and exit code 2, and change nothing.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from corridor.amnesty.cli import cert_app
from corridor.cli_support import fail, require_current_schema, runtime
from corridor.config import Settings, get_settings
from corridor.errors import CorridorError
from corridor.reports.cli import report_app

app = typer.Typer(
    help="Corridor: run a humanitarian corridor operation end to end.\n\n"
    "Start with `corridor demo` to load a demo operation and open it in the browser.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(
    help="Database schema: upgrade to the newest version, or show it.", no_args_is_help=True
)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
gazetteer_app = typer.Typer(
    help="Administrative areas (P-codes) of an operation.", no_args_is_help=True
)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
osm_app = typer.Typer(help="OpenStreetMap road networks of an operation.", no_args_is_help=True)
linkage_app = typer.Typer(
    help="Find registrations of the same person (any script, any transliteration).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(gazetteer_app, name="gazetteer")
app.add_typer(audit_app, name="audit")
app.add_typer(osm_app, name="osm")
app.add_typer(linkage_app, name="linkage")
app.add_typer(cert_app, name="cert")
app.add_typer(report_app, name="report")

console = Console(stderr=True)


_runtime = runtime
_require_current_schema = require_current_schema


def _banner(settings: Settings) -> None:
    console.print(f"data directory: [bold]{settings.data_dir}[/bold]")
    url = settings.effective_database_url
    shown = url if url.startswith("sqlite") else url.split("@")[-1]
    console.print(f"database: {shown}")


# serve ----------------------------------------------------------------------------


HostOpt = Annotated[str | None, typer.Option(help="Address to listen on (CORRIDOR_HOST).")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on (CORRIDOR_PORT).")]


def _serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    workers: int,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
) -> None:
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together")
    for path, name in ((ssl_certfile, "--ssl-certfile"), (ssl_keyfile, "--ssl-keyfile")):
        if path is not None and not path.is_file():
            fail(f"{name}: no such file {path}")
    host = host or settings.host
    port = port or settings.port
    scheme = "https" if ssl_certfile else "http"
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(
        f"Corridor at [bold]{scheme}://{shown_host}:{port}/[/bold] "
        f"({workers} worker{'s' if workers > 1 else ''})"
    )
    options: dict[str, object] = {
        "app": "corridor.web.app:create_app",
        "factory": True,
        "log_level": settings.log_level.lower(),
        "ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
        "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None,
        # Query strings never reach the access log (they could carry identifiers).
        "access_log": False,
        "proxy_headers": True,
    }
    from corridor.web import serving

    if workers > 1 and serving.reuse_port_available():
        # Each worker on a socket of its own: connections opened at one moment
        # are spread over the workers (corridor.web.serving says why).
        try:
            code = serving.serve_workers(host, port, workers, options)
        except OSError as error:
            fail(f"--port: cannot listen on {host}:{port} ({error.strerror})")
        if code:
            fail("a worker could not start; see the messages above")
        return
    uvicorn.run(host=host, port=port, workers=workers, **options)  # type: ignore[arg-type]


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
) -> None:
    """Serve the web app and API (and run background jobs in every worker)."""
    settings = get_settings()
    if ssl_certfile:
        import os

        os.environ.setdefault("CORRIDOR_SECURE_COOKIES", "true")
    _banner(settings)
    runtime = _runtime(settings)
    _require_current_schema(runtime)
    runtime.dispose()
    _serve(settings, host, port, workers, ssl_certfile, ssl_keyfile)


# db -------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    from corridor.db import migrate

    settings = get_settings()
    _banner(settings)
    runtime = _runtime(settings)
    migrate.upgrade(runtime.engine)
    typer.echo(f"schema at {migrate.state(runtime.engine).current}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema version of the database and the one the code needs."""
    from corridor.db import migrate

    runtime = _runtime()
    state = migrate.state(runtime.engine)
    typer.echo(
        f"database: {state.current or 'empty'}; code: {state.head}; "
        f"{'up to date' if state.up_to_date else 'run `corridor db upgrade`'}"
    )


# users and organisations ----------------------------------------------------------------


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        fail("password: the two entries differ")
    return first


@user_app.command("add")
def user_add(
    login: Annotated[str, typer.Argument(help="Sign-in name (lower case).")],
    organisation: Annotated[str, typer.Option("--org", help="Organisation name or acronym.")],
    role: Annotated[
        str, typer.Option(help="admin, coordinator, field_officer, ddr_officer or viewer.")
    ] = "viewer",
    display_name: Annotated[str | None, typer.Option(help="Name shown in the app.")] = None,
    site_admin: Annotated[bool, typer.Option(help="May register organisations.")] = False,
    language: Annotated[str, typer.Option(help="en or ar.")] = "en",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Add a user. The password is asked for (or read from stdin), never an argument."""
    from corridor.accounts import service
    from corridor.db.session import Actor, unit_of_work

    runtime = _runtime()
    _require_current_schema(runtime)
    password = _read_password(password_stdin)
    try:
        with unit_of_work(runtime.factory, Actor(label="cli")) as session:
            org = service.find_organisation(session, name_or_acronym=organisation)
            user = service.create_user(
                session,
                login=login,
                display_name=display_name or login,
                password=password,
                organisation=org,
                role=role,
                site_admin=site_admin,
                language=language,
            )
            typer.echo(f"user {user.login} added to {org.name} as {role}")
    except CorridorError as exc:
        fail(exc.detail if exc.status != 404 else f"--org: {exc.detail}")


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Argument(help="Full name.")],
    type: Annotated[
        str, typer.Option(help="un_agency, ngo, red_cross_red_crescent, authority or other.")
    ] = "ngo",
    acronym: Annotated[str | None, typer.Option(help="Short name.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    party_to_conflict: Annotated[
        bool, typer.Option(help="A party to the conflict never reads personal data.")
    ] = False,
) -> None:
    """Register an organisation."""
    from corridor.accounts import service
    from corridor.db.session import Actor, unit_of_work

    runtime = _runtime()
    _require_current_schema(runtime)
    try:
        with unit_of_work(runtime.factory, Actor(label="cli")) as session:
            org = service.create_organisation(
                session,
                name=name,
                type=type,
                acronym=acronym,
                country=country,
                party_to_conflict=party_to_conflict,
            )
            typer.echo(f"organisation {org.name} registered (id {org.id})")
    except CorridorError as exc:
        fail(exc.detail)


# gazetteer ------------------------------------------------------------------------------


@gazetteer_app.command("import")
def gazetteer_import(
    file: Annotated[
        Path, typer.Argument(help="CSV: pcode,name_en,name_ar,admin_level,parent_pcode")
    ],
    operation: Annotated[str, typer.Option(help="Operation slug.")],
) -> None:
    """Import administrative areas (P-codes) into an operation's gazetteer."""
    from corridor.db.session import Actor, unit_of_work
    from corridor.operations import gazetteer, service

    if not file.is_file():
        fail(f"FILE: no such file {file}")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail("FILE: must be UTF-8 text")
    runtime = _runtime()
    _require_current_schema(runtime)
    try:
        rows = gazetteer.parse_csv(text)
        with unit_of_work(runtime.factory, Actor(label="cli")) as session:
            ref = service.lookup(session, slug=operation)
            result = gazetteer.import_areas(session, operation_id=ref.id, rows=rows)
    except CorridorError as exc:
        fail(exc.detail if exc.status != 404 else f"--operation: {exc.detail}")
    typer.echo(f"{result.created} areas created, {result.updated} updated")


# audit --------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every audit chain and check its signatures; exit 1 if one is broken."""
    from corridor.audit.chain import verify_all

    runtime = _runtime()
    _require_current_schema(runtime)
    with runtime.engine.connect() as conn:
        reports = verify_all(conn, runtime.signer.public_key())
    broken = [r for r in reports if not r.ok]
    for report in reports:
        status = "OK" if report.ok else f"BROKEN: {report.problem}"
        typer.echo(f"{report.chain}: {report.records} records, {status}")
    if broken:
        raise typer.Exit(1)
    typer.echo("OK")


# routing --------------------------------------------------------------------------------


@osm_app.command("import")
def osm_import(
    file: Annotated[Path, typer.Argument(help="An OpenStreetMap extract (.osm.pbf).")],
    operation: Annotated[str, typer.Option(help="Operation slug.")],
) -> None:
    """Build the car and foot networks from an OSM extract (replacing the old ones)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from corridor.db.session import Actor, unit_of_work
    from corridor.operations import service as operations
    from corridor.routing import service as routing

    if not file.is_file():
        fail(f"FILE: no such file {file}")
    runtime = _runtime()
    _require_current_schema(runtime)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with (
            Progress(*columns, console=console, transient=True) as bar,
            unit_of_work(runtime.factory, Actor(label="cli")) as session,
        ):
            ref = operations.lookup(session, slug=operation)
            task = bar.add_task("reading", total=1.0)
            rows = routing.import_file(
                session,
                operation_id=ref.id,
                path=file,
                progress=lambda done, what: bar.update(task, completed=done, description=what),
            )
            bar.update(task, completed=1.0, description="saving")
    except CorridorError as exc:
        fail(exc.detail if exc.status != 404 else f"--operation: {exc.detail}")
    for row in rows:
        typer.echo(f"{row.profile}: {row.nodes:,} nodes, {row.arcs:,} arcs (version {row.version})")


def _point(value: str, option: str) -> tuple[float, float]:
    try:
        lon_text, lat_text = value.split(",")
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        fail(f"{option}: expected LON,LAT in degrees, e.g. {option}=-3.70,40.42")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        fail(f"{option}: longitude must be within ±180 and latitude within ±90")
    return lon, lat


@app.command("route")
def route_command(
    operation: Annotated[str, typer.Option(help="Operation slug.")],
    from_: Annotated[
        str,
        typer.Option("--from", help="Start as LON,LAT (use --from=-3.5,40.1 for negative values)."),
    ],
    to: Annotated[str, typer.Option(help="Destination as LON,LAT.")],
    profile: Annotated[str, typer.Option(help="car or foot.")] = "car",
    geojson: Annotated[
        bool, typer.Option("--geojson", help="Print the routes as GeoJSON.")
    ] = False,
    alternatives: Annotated[int, typer.Option(min=0, max=3, help="Alternatives (0–3).")] = 3,
) -> None:
    """The safest sensible route between two points, around the hazards in force."""
    import json

    from corridor.db.session import Actor, unit_of_work
    from corridor.operations import service as operations
    from corridor.routing import router

    origin, destination = _point(from_, "--from"), _point(to, "--to")
    if profile not in ("car", "foot"):
        fail("--profile: must be car or foot")
    runtime = _runtime()
    _require_current_schema(runtime)
    try:
        with unit_of_work(runtime.factory, Actor(label="cli")) as session:
            ref = operations.lookup(session, slug=operation)
            answer = router.route(
                session,
                operation_id=ref.id,
                profile=profile,
                origin=origin,
                destination=destination,
                alternatives=alternatives,
            )
    except CorridorError as exc:
        field = (
            {"from": "--from", "to": "--to"}.get(exc.problems[0].field, "") if exc.problems else ""
        )
        fail(f"{field}: {exc.problems[0].message}" if field else exc.detail)
    options = [answer.best, *answer.alternatives]
    if geojson:
        features = [
            {
                "type": "Feature",
                "geometry": o.geometry(),
                "properties": {
                    "rank": i,
                    "distance_m": o.distance_m,
                    "duration_s": o.duration_s,
                    "safe": o.safe,
                },
            }
            for i, o in enumerate(options)
        ]
        typer.echo(
            json.dumps({"type": "FeatureCollection", "status": answer.status, "features": features})
        )
        return
    if answer.status == "no_safe_route":
        names = ", ".join(
            f"#{e.hazard_id} {e.name or e.kind} ({e.metres:.0f} m inside)"
            for e in answer.best.avoid_entered
        )
        typer.echo(f"NO SAFE ROUTE: the least exposed route enters {names}")
    for index, option in enumerate(options):
        label = "route" if index == 0 else f"alternative {index}"
        exposure = "; ".join(
            f"{e.metres:.0f} m in #{e.hazard_id} ×{e.factor:g}" for e in option.exposure
        )
        typer.echo(
            f"{label}: {option.distance_m / 1000:.2f} km, {option.duration_s / 60:.1f} min"
            + (f", exposure {exposure}" if exposure else "")
        )


# demo ---------------------------------------------------------------------------------


@app.command()
def demo(
    host: HostOpt = None,
    port: PortOpt = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only load the data.")] = False,
) -> None:
    """Create or refresh the demo operation (slug `demo`), then serve it."""
    from corridor.db import migrate
    from corridor.demo import load_demo

    settings = get_settings()
    _banner(settings)
    runtime = _runtime(settings)
    migrate.upgrade(runtime.engine)
    password = settings.demo_password
    generated = password is None
    if generated:
        password = "-".join(secrets.token_hex(3) for _ in range(4))
    try:
        summary = load_demo(runtime, password=password)
    except CorridorError as exc:
        fail(exc.detail)
    runtime.dispose()
    console.print(f"demo operation [bold]{summary.operation_slug}[/bold] ready")
    console.print(
        f"sign in as [bold]demo[/bold] with password [bold]{password}[/bold]"
        + (" (generated; set CORRIDOR_DEMO_PASSWORD to choose one)" if generated else "")
    )
    console.print("the amnesty desk's officer, [bold]demo-ddr[/bold], has the same password")
    if not no_serve:
        _serve(settings, host, port, 1, None, None)


# linkage --------------------------------------------------------------------------------


@linkage_app.command("dedupe")
def linkage_dedupe(
    input_path: Annotated[Path, typer.Option("--input", help="CSV of registrations (see below).")],
    output_path: Annotated[
        Path,
        typer.Option("--output", help="CSV written: record_id, cluster_id, match_probability."),
    ],
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (one machine) or spark (a cluster).")
    ] = "duckdb",
) -> None:
    """Group the records of a CSV into persons.

    Columns: record_id, given_name, father_name, grandfather_name, family_name,
    sex (m/f), birth_date (YYYY, YYYY-MM or YYYY-MM-DD), origin (a place or a
    P-code); optional mother_name, phone, age_estimate, registered_on. Names may
    be in Arabic script or any Latin transliteration. Rows without any name or
    with an impossible date are reported and kept as persons of their own.

    Example: corridor linkage dedupe --input registrations.csv --output persons.csv
    """
    from corridor.linkage.csv_dedupe import DedupeInputError, run

    if engine not in ("duckdb", "spark"):
        fail(f"--engine: {engine!r} is not duckdb or spark")
    if not input_path.is_file():
        fail(f"--input: {input_path} is not a file")
    try:
        prepared = run(input_path, output_path, engine=engine)
    except DedupeInputError as error:
        fail(str(error))
    except UnicodeDecodeError:
        fail(f"--input: {input_path} is not UTF-8 text")
    for warning in prepared.warnings:
        typer.echo(f"warning: {warning}", err=True)
    console.print(
        f"{len(prepared.order):,} records read, {len(prepared.warnings):,} reported; "
        f"persons written to {output_path}"
    )


if __name__ == "__main__":
    app()
