"""``python -m heratio_doi_pipelines.cli`` runs the ``heratio-doi`` command line."""

from heratio_doi_pipelines.cli import main

main()
