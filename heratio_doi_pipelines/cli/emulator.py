"""``heratio-doi emulator``: run the local DataCite stand-in in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from heratio_doi_pipelines.devtools.emulator import (
    DEFAULT_BEARER_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_PORT,
    DEFAULT_PREFIX,
    DEFAULT_REPOSITORY_ID,
    EmulatorConfig,
    parse_rate_limit,
    serve,
)


def _rate_limit(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    try:
        return parse_rate_limit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=int, default=DEFAULT_PORT, show_default=True, help="0 picks a free port."
)
@click.option("--latency-ms", type=float, default=0, show_default=True, help="Delay per response.")
@click.option(
    "--prefix",
    "prefixes",
    multiple=True,
    default=[DEFAULT_PREFIX],
    show_default=True,
    help="DOI prefix of the repository (repeatable).",
)
@click.option("--repository-id", default=DEFAULT_REPOSITORY_ID, show_default=True)
@click.option(
    "--password",
    default=DEFAULT_PASSWORD,
    envvar="HERATIO_EMULATOR_PASSWORD",
    help=f"Repository password (env HERATIO_EMULATOR_PASSWORD; demo default {DEFAULT_PASSWORD}).",
)
@click.option(
    "--bearer-token",
    "bearer_tokens",
    multiple=True,
    default=[DEFAULT_BEARER_TOKEN],
    help=f"Accepted API token (repeatable; demo default {DEFAULT_BEARER_TOKEN}).",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep DOIs, events and reports in this JSON file across restarts.",
)
@click.option(
    "--rate-limit",
    callback=_rate_limit,
    default=None,
    metavar="N/S",
    help="At most N requests per S seconds per client IP (e.g. 3000/300), then 429.",
)
@click.option(
    "--events-accept-basic-auth",
    is_flag=True,
    help="Let repository credentials write /events (real DataCite answers 403).",
)
def emulator(
    host: str,
    port: int,
    latency_ms: float,
    prefixes: tuple[str, ...],
    repository_id: str,
    password: str,
    bearer_tokens: tuple[str, ...],
    state_file: Path | None,
    rate_limit: tuple[int, float] | None,
    events_accept_basic_auth: bool,
) -> None:
    """Run the DataCite emulator (/dois, /events, /reports) until interrupted."""
    config = EmulatorConfig(
        prefix=list(prefixes),
        repository_id=repository_id,
        password=password,
        latency_ms=latency_ms,
        state_file=state_file,
        rate_limit=rate_limit,
        events_accept_basic_auth=events_accept_basic_auth,
        bearer_tokens=set(bearer_tokens),
    )

    def announce(url: str) -> None:
        click.echo(
            f"DataCite emulator listening on {url} "
            f"(repository {repository_id}, prefixes {', '.join(config.prefixes)})",
            nl=True,
        )

    serve(config, host=host, port=port, on_ready=announce)
