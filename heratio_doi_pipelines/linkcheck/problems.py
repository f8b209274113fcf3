"""What a landing-page check can find wrong with a DOI, most fundamental first.

A DOI gets the first problem of this list that applies: a DOI that resolves elsewhere is
reported as that even when its registered page also fails, and a changed slug explains the
404 of the old URL, so it is reported (and repaired) as the slug change.
"""

from __future__ import annotations

PROBLEMS: dict[str, str] = {
    "no_registered_url": "the pipeline holds no registered URL for the DOI",
    "handle_not_found": "the handle system does not know the DOI",
    "resolver_error": "the handle resolver did not answer properly",
    "resolves_elsewhere": "the DOI resolves to a URL other than the one registered",
    "slug_changed": "the catalogue's public URL for the record is no longer the registered one",
    "no_catalogue_url": "the catalogue has no public URL (slug) for the record",
    "timeout": "the registered page did not answer in time",
    "unreachable": "the registered page's server could not be reached",
    "redirect_loop": "the registered URL redirects in a loop",
    "too_many_redirects": "the registered URL redirects more than the allowed number of times",
    "error_page": "the registered URL answers with an HTTP error",
    "not_html": "the registered URL answers with something other than an HTML page",
    "doi_not_shown": "the landing page does not show the DOI",
    "check_error": "the check itself failed (the reason is in the detail)",
}

# Problems that leave a reader without the record: the asset check fails on them (ERROR).
BREAKING_PROBLEMS = frozenset(
    {
        "no_registered_url",
        "handle_not_found",
        "resolves_elsewhere",
        "timeout",
        "unreachable",
        "redirect_loop",
        "too_many_redirects",
        "error_page",
    }
)

ORDER = {kind: position for position, kind in enumerate(PROBLEMS)}


def first_problem(found: list[tuple[str, str]]) -> tuple[str | None, str]:
    """The most fundamental (kind, detail) of ``found``; (None, "") when nothing is wrong."""
    if not found:
        return None, ""
    return min(found, key=lambda item: ORDER[item[0]])
