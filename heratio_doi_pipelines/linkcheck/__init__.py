"""Landing-page health: every confirmed DOI resolves to its record, whose page answers and
shows the DOI.

- ``problems``: the kinds of problem a check can find, and which of them break a DOI;
- ``polite``: per-host concurrency and rate caps, the User-Agent, one fetch per page a run;
- ``probe``: the handle lookup and the page fetch (redirects, timeouts, DOI on the page);
- ``run``: the run itself (oldest results first, stored per DOI, repairs, the CSV report).
"""

from heratio_doi_pipelines.linkcheck.problems import BREAKING_PROBLEMS, PROBLEMS
from heratio_doi_pipelines.linkcheck.run import (
    CHECKED_STATES,
    LANDING_CSV,
    LinkcheckReport,
    run_linkcheck,
)

__all__ = [
    "BREAKING_PROBLEMS",
    "CHECKED_STATES",
    "LANDING_CSV",
    "PROBLEMS",
    "LinkcheckReport",
    "run_linkcheck",
]
