"""The ``heratio-doi`` click group; each area registers its commands below."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="heratio-doi-pipelines")
def main() -> None:
    """Mint, update, verify and report DataCite DOIs for a Heratio/AtoM catalogue."""


def _register() -> None:
    # One line per area; each module exposes click commands/groups.
    pass


_register()
