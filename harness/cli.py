"""The `harness` command (DESIGN.md "The command").

    harness verify [--config FILE] [--legacy URL|IMPORT] [--candidate URL|IMPORT] [--out DIR] [--json]
    harness contract ... / harness data ...   (the areas' own commands, same common options)
    harness seed --db URL --scale small|medium|large --seed N [--reset] [--create-schema] [--json]
    harness serve legacy [--host 127.0.0.1] [--port 5000] [--db URL] [--seed N] [--scale small]
    harness replay --base-url http://127.0.0.1:5000 [--collection PATH] [--unique-user] [--json]

Exit codes: 0 ok, 1 a gate failed, 2 usage or configuration error (with a one-line reason),
3 a target could not be started or reached. Progress goes to stderr and only on a terminal, so
stdout stays clean for `--json` and CI logs stay quiet.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import sqlalchemy as sa

from harness.core import command as core_command
from harness.core import discover_areas, registered_areas, run_areas, select_areas
from harness.core.command import (  # the exit codes have one home; area commands import them from here too
    EXIT_GATE_FAILED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CommonOptions,
    common_options,
    harness_errors,
)
from harness.core.urlguard import UnsafeUrl, check_base_url, require_loopback_host
from harness.seed import (
    SCALES,
    DatabaseUnreachable,
    SeedError,
    SeedReport,
    accounts,
    connection_error,
    database_url,
    holds_rows,
    open_database,
    planned_rows,
    seed_database,
)


class ConfigError(click.ClickException):
    """A usage or configuration problem: bad URL, unreachable database, missing schema, ..."""

    exit_code = EXIT_USAGE


class TargetError(click.ClickException):
    """A target could not be started (a port already taken, say)."""

    exit_code = EXIT_UNREACHABLE


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def _progress(total: Callable[[], int], enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    """A rich progress bar over `total()` rows on a terminal; nothing otherwise."""
    console = _stderr_console() if enabled else None
    if console is None or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("rows"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("seeding", total=total())
        yield lambda table, rows: bar.update(task, advance=rows, description=table)


#: Area commands defined in the area's own package, imported only when used (or listed by --help), so an area
#: that does not exist yet, or does not import, never breaks the other commands. The module either defines a
#: click command of that name (`data`), or attaches subcommands to the group of that name below (`contract`).
AREA_COMMANDS = {"contract": "harness.contracts.cli", "data": "harness.data.cli"}


class HarnessGroup(click.Group):
    """The top-level group; it resolves the area commands of AREA_COMMANDS lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(name for name in AREA_COMMANDS
                                                      if self.get_command(ctx, name) is not None)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in AREA_COMMANDS:
            return super().get_command(ctx, cmd_name)
        try:
            module = importlib.import_module(AREA_COMMANDS[cmd_name])
        except ModuleNotFoundError as exc:
            if exc.name is None or not AREA_COMMANDS[cmd_name].startswith(exc.name):
                return _unavailable(cmd_name, exc)
            module = None  # the area has no command module yet
        except Exception as exc:  # noqa: BLE001 - a broken area module must not break the other commands
            return _unavailable(cmd_name, exc)
        found = getattr(module, cmd_name, None)
        return found if isinstance(found, click.Command) else super().get_command(ctx, cmd_name)


def _unavailable(name: str, error: Exception) -> click.Command:
    def fail() -> None:
        raise ConfigError(f"the {name} command is unavailable: {AREA_COMMANDS[name]} does not import "
                          f"({type(error).__name__}: {error})")

    return click.Command(name, callback=fail, help=f"(unavailable: {AREA_COMMANDS[name]} does not import)",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unpuzzle-migration-harness", prog_name="harness")
def main() -> None:
    """Verify and benchmark the Unpuzzle Flask -> Django migration."""


# -- harness verify ---------------------------------------------------------------------------------

@main.command()
@common_options
def verify(options: CommonOptions) -> None:
    """Start both targets, run every area against them and write reports/<run-id>/<area>.json.

    Exit 0 when every gate passed, 1 when one failed, 2 on a bad setting, 3 when a target could not be
    started or reached."""
    with harness_errors():
        settings = options.settings()
        discover_areas()
        areas = select_areas(settings)
        try:
            with core_command.terminal_progress() as progress:
                run, results = run_areas(settings, areas, progress=progress)
        except core_command.Interrupted as exc:  # SIGINT/SIGTERM/SIGHUP: everything stopped, partial results written
            raise SystemExit(core_command.interrupted_verdict(exc, as_json=settings.json)) from None
    raise SystemExit(core_command.verdict(run, results, as_json=settings.json))


# -- harness contract -------------------------------------------------------------------------------
# The group and its common options live here; harness/contracts/cli.py attaches the subcommands
# (`from harness.cli import contract`, then `@contract.command()`), imported when `contract` is used.

@main.group(invoke_without_command=True)
@common_options
@click.pass_context
def contract(ctx: click.Context, options: CommonOptions) -> None:
    """API contract parity: conformance, differential, coverage and spec diff.

    Without a subcommand: the contract gate on both targets (reports/<run-id>/contract.json, contract.junit.xml,
    contract.md). Exit 0 when the candidate matches legacy with no unexplained difference, 1 otherwise, 2 on a bad
    setting, 3 when a target could not be started or reached."""
    ctx.obj = options  # the subcommands take them with @click.pass_obj
    if ctx.invoked_subcommand is not None:
        return
    with harness_errors():
        settings = options.settings()
        discover_areas()
        areas = [area for area in registered_areas() if area.name == "contract"]
        if not areas:
            raise ConfigError("the contract area is not registered (harness/contracts/area.py failed to import?)")
        try:
            with core_command.terminal_progress() as progress:
                run, results = run_areas(settings, areas, progress=progress)
        except core_command.Interrupted as exc:  # SIGINT/SIGTERM/SIGHUP: everything stopped, partial results written
            raise SystemExit(core_command.interrupted_verdict(exc, as_json=settings.json)) from None
    summary = run.out_dir / "contract.md"
    if not settings.json and summary.is_file():  # cases sent, pairs compared, operations and statuses covered
        block = summary.read_text(encoding="utf-8").split("```")
        if len(block) >= 3:
            click.echo(block[1].strip("\n"))
    raise SystemExit(core_command.verdict(run, results, as_json=settings.json))


# -- harness seed -----------------------------------------------------------------------------------

@main.command()
@click.option("--db", "db_url", required=True, envvar="DATABASE_URL", metavar="URL",
              help="Database to seed (env DATABASE_URL). It must have the shared schema.")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="How much data: small (tests), medium (~55 k rows), large (>= 1 M rows).")
@click.option("--seed", "seed_value", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Same seed, same rows (UUIDs and password hashes included).")
@click.option("--reset", is_flag=True,
              help="Delete the seeded tables' rows first (otherwise the database must be empty).")
@click.option("--create-schema", is_flag=True,
              help="Create the shared schema first, by starting the legacy app once on URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, even on a terminal.")
def seed(db_url: str, scale: str, seed_value: int, reset: bool, create_schema: bool, as_json: bool,
         quiet: bool) -> None:
    """Fill a database that has the shared schema with the deterministic seed data.

    Exit 2 when URL is wrong (malformed, a missing database or role, a file that is not SQLite), 3 when its
    server cannot be reached."""
    _check_database(db_url)
    try:
        if create_schema:
            _create_legacy_schema(db_url)
        with _progress(lambda: sum(planned_rows(scale, seed_value).values()), enabled=not quiet) as progress:
            report = seed_database(db_url, scale=scale, seed=seed_value, reset=reset, progress=progress)
    except SeedError as exc:
        raise _seed_error(exc) from None
    except sa.exc.DBAPIError as exc:
        raise _database_error(db_url, exc) from None
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else _describe(report))


def _database_error(url: str, exc: sa.exc.DBAPIError) -> click.ClickException:
    """A failed connection by the harness's one rule (harness.seed.connection_error): the URL's fault is a
    configuration error (exit 2), a server that cannot be reached is exit 3."""
    return _seed_error(connection_error(database_url(url).render_as_string(hide_password=True), exc,
                                        database_url(url).get_backend_name()))


def _seed_error(error: SeedError) -> click.ClickException:
    return TargetError(str(error)) if isinstance(error, DatabaseUnreachable) else ConfigError(str(error))


def _refusal(exc: BaseException) -> str:
    """The innermost reason of a failed connection ("[Errno 111] Connection refused"), not urllib3's wrappers."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None) or next((arg for arg in exc.args if isinstance(arg, BaseException)), None)
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return str(exc).rsplit(": ", 1)[-1] or type(exc).__name__


def _check_database(url: str) -> None:
    """Connect once before anything else, so that every way a database URL can fail gives its one line and exit
    code. A SQLite file that does not exist is left alone (the seed refuses it, --create-schema creates it)."""
    try:
        parsed = database_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not parsed.database.startswith("file:"):
            path = Path(parsed.database)
            if not path.exists():
                return
            if not path.is_file():
                raise SeedError(f"cannot open the database at {url}: {path} is not a file")
        open_database(parsed).dispose()
    except SeedError as exc:
        raise _seed_error(exc) from None


def _describe(report: SeedReport) -> str:
    method = "COPY" if report.method == "copy" else "INSERT"
    width = max(map(len, report.rows), default=5)
    lines = [f"Seeded {report.url} (scale {report.scale}, seed {report.seed}, {method})"]
    lines += [f"  {table:<{width}} {rows:>12,}" for table, rows in report.rows.items()]
    lines.append(f"  {'total':<{width}} {report.total:>12,} rows in {report.seconds:.1f} s "
                 f"({report.rows_per_second:,.0f} rows/s)")
    return "\n".join(lines)


def _start_legacy_app(url: str, **settings):
    """The legacy app on `url`; its create_app() creates the shared schema where it is missing."""
    open_database(url, must_exist=False).dispose()  # a one-line reason when the URL or server is bad
    from legacy_flask import create_app

    target = database_url(url).render_as_string(hide_password=False)
    try:
        return create_app({"DATABASE_URL": target, **settings})
    except sa.exc.SQLAlchemyError as exc:
        raise SeedError(f"could not create the schema: {str(exc).strip().splitlines()[0]}") from None


def _create_legacy_schema(url: str) -> None:
    """--create-schema: the only place `harness seed` touches an app, and only when asked."""
    app = _start_legacy_app(url, REDIS_URL=None, RATELIMIT_ENABLED=False)
    app.extensions["db_engine"].dispose()


# -- harness serve ----------------------------------------------------------------------------------

@main.group()
def serve() -> None:
    """Serve a bundled app on 127.0.0.1, seeded, for trying the API by hand."""


@serve.command("legacy")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address; nothing else is allowed.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--db", "db_url", envvar="DATABASE_URL", metavar="URL",
              help="Database to serve (env DATABASE_URL; default: the embedded SQLite file under reports/).")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="Seed scale when the database is empty.")
@click.option("--seed", "seed_value", type=click.IntRange(min=0), default=0, show_default=True, metavar="N")
@click.option("--rate-limits/--no-rate-limits", default=False, show_default=True,
              help="Enforce the API's rate limits (API.md §1.9).")
def serve_legacy(host: str, port: int, db_url: str | None, scale: str, seed_value: int, rate_limits: bool) -> None:
    """Create the schema, seed it if empty, and serve the legacy API (HTTP and Socket.IO) until Ctrl-C.

    It is werkzeug's threaded development server, on loopback, for trying the API by hand and for tests; it is
    not a production server (use gunicorn with legacy_flask:create_app() for load work). One line per request on
    stderr, coloured only on a terminal."""
    _require_loopback(host)
    _require_free_port(host, port)
    from legacy_flask.config import DEFAULT_DB

    url = db_url or DEFAULT_DB
    try:
        parsed = database_url(url)
        if db_url is None and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)  # reports/ on a fresh checkout
    except SeedError as exc:
        raise ConfigError(str(exc)) from None
    _check_database(url)
    try:
        app = _start_legacy_app(url, RATELIMIT_ENABLED=rate_limits)
        engine = app.extensions["db_engine"]
        if holds_rows(engine):
            shown = engine.url.render_as_string(hide_password=True)
            click.echo(f"Database {shown} already holds rows; serving it as is.")
        else:
            click.echo(_describe(seed_database(engine, scale=scale, seed=seed_value)))
    except SeedError as exc:
        raise _seed_error(exc) from None
    except sa.exc.DBAPIError as exc:
        raise _database_error(url, exc) from None
    click.echo(_welcome(host, port, rate_limits))
    _serve(app, host, port)


def _serve(app, host: str, port: int) -> None:
    """Serve `app` (its Socket.IO middleware included) with werkzeug's threaded server until Ctrl-C.

    `socketio.run()` would go through `app.run()`: Flask's banner, werkzeug's development-server warning, a
    production-deployment warning, `.env` files loaded from the working directory. Here: none of that, and the
    request log is plain text unless stderr is a terminal."""
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True, request_handler=_request_log_handler())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _request_log_handler():
    import os
    import sys

    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.urls import uri_to_iri

    colour = sys.stderr.isatty() and not os.environ.get("NO_COLOR")

    class RequestLog(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if colour:
                return super().log_request(code, size)
            try:
                line = f"{self.command} {uri_to_iri(self.path)} {self.request_version}"
            except AttributeError:  # a request line that did not parse
                line = self.requestline
            self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    return RequestLog


DEFAULT_COLLECTION = Path(__file__).resolve().parent.parent.parent / "shared" / "legacy-api" / "unpuzzle-postman-collection.json"


@main.command()
@click.option("--base-url", required=True, metavar="URL", help="A running implementation of the API, on loopback.")
@click.option("--collection", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_COLLECTION,
              show_default=True, help="The Postman collection to play.")
@click.option("--admin-email", default=accounts.ADMIN.email, show_default=True,
              help="An admin account of the target (P10 needs one).")
@click.option("--admin-password", default=accounts.ADMIN.password, show_default=True)
@click.option("--unique-user", is_flag=True,
              help="Sign up a fresh e-mail address instead of the collection's, so the replay can run again "
                   "against a server that already has that user.")
@click.option("--json", "as_json", is_flag=True, help="Print every step as JSON.")
def replay(base_url: str, collection: Path, admin_email: str, admin_password: str, unique_user: bool,
           as_json: bool) -> None:
    """Play the real clients' Postman collection against a running server; exit 1 if any request does not get
    its documented success status or fails what the collection's client checks (a JSON body served as JSON, the
    API envelope, the fields its test scripts read). Exit 2 on a bad URL or collection, 3 when the server cannot
    be reached."""
    import requests

    from harness.replay.postman import CollectionError, HttpTransport
    from harness.replay.unpuzzle_flow import UnpuzzleReplay

    try:
        base = check_base_url(base_url)
    except UnsafeUrl as exc:
        if exc.host is not None:
            raise ConfigError(f"refusing to send requests to {exc.host!r}: the harness works on loopback only "
                              "(e.g. 127.0.0.1)") from None
        raise ConfigError(f"refusing --base-url {base_url!r}: {exc}") from None
    if not collection.is_file():
        raise ConfigError(f"no Postman collection at {collection}")
    try:
        runner = UnpuzzleReplay(HttpTransport(base), collection, admin=(admin_email, admin_password),
                                unique_user=unique_user)
        report = runner.run()
    except CollectionError as exc:
        raise ConfigError(str(exc)) from None
    except requests.Timeout:
        raise TargetError(f"cannot reach {base}: no answer in time") from None
    except requests.ConnectionError as exc:
        raise TargetError(f"cannot reach {base}: {_refusal(exc)}") from None
    except requests.RequestException as exc:
        raise TargetError(f"{base} broke the exchange: {exc.__class__.__name__}") from None
    if as_json:
        click.echo(json.dumps([{"id": s.rid, "name": s.name, "status": s.status, "expected": s.expected,
                                "problems": s.problems, "passed": s.passed, "fixup": s.fixup,
                                "reproduce": s.curl} for s in report.steps], indent=2))
    else:
        click.echo(report.summary())
        played = len(report.collection_steps)
        click.echo(f"{played - sum(not s.passed for s in report.collection_steps)}/{played} collection requests "
                   f"got their documented status and passed the collection's checks "
                   f"({len(report.steps) - played} fixup steps).")
    if report.failures:
        for step in report.failures:
            click.echo(f"reproduce {step.rid}: {step.curl}", err=True)
        raise SystemExit(EXIT_GATE_FAILED)


def _require_loopback(host: str) -> None:
    try:
        require_loopback_host(host)
    except UnsafeUrl:
        raise ConfigError(f"refusing to listen on {host!r}: the harness works on loopback only (e.g. 127.0.0.1)") \
            from None


def _require_free_port(host: str, port: int) -> None:
    # Werkzeug would print its own advice and exit 1; say it in one line, with the documented code.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server's own socket does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise TargetError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _welcome(host: str, port: int, rate_limits: bool) -> str:
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    width = max(len(a.email) for a in accounts.DOCUMENTED)
    lines = [f"Legacy Unpuzzle API on {base}/api/v1 (health: {base}/health, Socket.IO: {base}/socket.io/)",
             "Accounts:"]
    lines += [f"  {a.email:<{width}}  {a.password:<15} {', '.join(a.roles)}" for a in accounts.DOCUMENTED]
    lines.append(f"  {'generated users':<{width}}  {accounts.GENERATED_PASSWORD:<15} "
                 f"(student<N>@seed.unpuzzle.test, instructor<N>@seed.unpuzzle.test)")
    lines.append(f"Rate limits {'on' if rate_limits else 'off (--rate-limits to enforce them)'}.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
