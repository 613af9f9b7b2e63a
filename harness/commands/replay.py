"""`harness replay`: play the real clients' Postman collection against a running server.

    harness replay --base-url http://127.0.0.1:5000 [--collection PATH] [--unique-user] [--json]

Exit 0 when every request got its documented success status and passed the collection's client checks, 1
otherwise, 2 on a bad URL or collection, 3 when the server cannot be reached.
"""
from __future__ import annotations

import http.client
from pathlib import Path

import click

from harness.core import paths
from harness.core.command import EXIT_GATE_FAILED, harness_errors
from harness.core.errors import ConfigError, TargetError
from harness.core.urlguard import UnsafeUrl, check_base_url
from harness.report.replay import replay_json, replay_text
from harness.seed import accounts


@click.command()
@click.option("--base-url", required=True, metavar="URL", help="A running implementation of the API, on loopback.")
@click.option("--collection", type=click.Path(dir_okay=False, path_type=Path), default=paths.POSTMAN,
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
    from harness.replay.postman import CollectionError, HttpTransport
    from harness.replay.unpuzzle_flow import UnpuzzleReplay

    with harness_errors():
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
        except TimeoutError:
            raise TargetError(f"cannot reach {base}: no answer in time") from None
        except OSError as exc:
            raise TargetError(f"cannot reach {base}: {exc}") from None
        except http.client.HTTPException as exc:
            raise TargetError(f"{base} broke the exchange: {exc.__class__.__name__}") from None
        click.echo(replay_json(report) if as_json else replay_text(report))
        if report.failures:
            for step in report.failures:
                click.echo(f"reproduce {step.rid}: {step.curl}", err=True)
            raise SystemExit(EXIT_GATE_FAILED)

