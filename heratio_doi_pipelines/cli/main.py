"""The ``heratio-doi`` click group; each area registers its commands below."""

from __future__ import annotations

import click

from heratio_doi_pipelines.cli.errors import OperatorErrorGroup


@click.group(cls=OperatorErrorGroup)
@click.version_option(package_name="heratio-doi-pipelines")
@click.option("-v", "--verbose", is_flag=True, help="Show the traceback of an error too.")
def main(verbose: bool) -> None:
    """Mint, update, verify and report DataCite DOIs for a Heratio/AtoM catalogue."""


def _register() -> None:
    # One line per area; each module exposes click commands/groups.
    from heratio_doi_pipelines.cli.init import init_command

    main.add_command(init_command)
    from heratio_doi_pipelines.cli import lifecycle

    lifecycle.register(main)
    from heratio_doi_pipelines.cli.demo import demo_command, ui_command

    main.add_command(demo_command)
    main.add_command(ui_command)
    from heratio_doi_pipelines.cli.emulator import emulator

    main.add_command(emulator)
    from heratio_doi_pipelines.cli import reports

    reports.register(main)
    from heratio_doi_pipelines.cli.metadata import metadata_command

    main.add_command(metadata_command)
    from heratio_doi_pipelines.cli.sample import sample_command

    main.add_command(sample_command)
    from heratio_doi_pipelines.cli import usage

    usage.register(main)
    from heratio_doi_pipelines.cli.linkcheck import linkcheck_command

    main.add_command(linkcheck_command)


_register()
