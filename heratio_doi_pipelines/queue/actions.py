"""Queue actions, and how they are stored in Heratio's narrower ``action`` enum.

Heratio's ``ahg_doi_queue.action`` allows mint, update, delete and verify. The pipeline's
other actions are stored in the closest Heratio value plus the full name in the additive
``pipeline_action`` column, so Heratio's queue screen still shows something sensible.
"""

from __future__ import annotations

MINT = "mint"
UPDATE = "update"
VERIFY = "verify"
DEACTIVATE = "deactivate"
REINSTATE = "reinstate"
SYNC = "sync"

ACTIONS = (MINT, UPDATE, VERIFY, DEACTIVATE, REINSTATE)

HERATIO_ACTION = {
    MINT: "mint",
    UPDATE: "update",
    VERIFY: "verify",
    DEACTIVATE: "delete",
    REINSTATE: "update",
}

TARGET_STATES = ("findable", "registered", "draft")
DEFAULT_TARGET_STATE = "findable"

# Queue statuses in which a worker holds the item (Heratio's own processor writes in_progress).
IN_FLIGHT = ("processing", "in_progress")
OPEN_STATUSES = ("pending", *IN_FLIGHT)


def action_of(heratio_action: str, pipeline_action: str | None) -> str:
    """The pipeline action of a queue row (rows written by Heratio have no pipeline_action)."""
    if pipeline_action:
        return pipeline_action
    return DEACTIVATE if heratio_action == "delete" else heratio_action
