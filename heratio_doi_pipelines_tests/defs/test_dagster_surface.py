"""The Dagster surface as data engineers see it in the UI: every asset's key, group, kinds,
tags, owners, pool and checks, and what every job, schedule and sensor targets. Compared with
``dagster_surface.json`` so an accidental change shows in review.

After an intended change: ``HERATIO_UPDATE_SURFACE=1 pytest heratio_doi_pipelines_tests/defs/
test_dagster_surface.py`` rewrites the file; commit it with the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from heratio_doi_pipelines.definitions import defs

SNAPSHOT = Path(__file__).with_name("dagster_surface.json")
KIND_TAG = "dagster/kind/"  # kinds are listed on their own


def _surface() -> dict[str, Any]:
    repository = defs().get_repository_def()
    graph = repository.asset_graph
    checks: dict[str, list[str]] = {}
    for check_key in graph.asset_check_keys:
        checks.setdefault(check_key.asset_key.to_user_string(), []).append(check_key.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        spec = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "tags": {
                k: v for k, v in sorted(node.tags.items()) if not k.startswith("dagster/kind/")
            },
            "owners": sorted(node.owners),
            "pool": node.pools and sorted(node.pools) or None,
            "partitioned": node.partitions_def is not None,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(checks.get(name, [])),
        }
        assets[name] = spec
    jobs = {}
    for job in sorted(repository.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        keys = job.asset_layer.executable_asset_keys
        jobs[job.name] = sorted(k.to_user_string() for k in keys) or sorted(job.graph.node_names())
    schedules = {
        s.name: {"cron": s.cron_schedule, "job": s.job_name}
        for s in sorted(repository.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        s.name: sorted(t.job_name for t in s.targets) if s.targets else []
        for s in sorted(repository.sensor_defs, key=lambda s: s.name)
    }
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_dagster_surface_matches_the_snapshot() -> None:
    surface = _surface()
    text = json.dumps(surface, indent=2, sort_keys=True) + "\n"
    if os.environ.get("HERATIO_UPDATE_SURFACE") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert surface == expected, (
        "the Dagster surface changed; if intended, rerun with HERATIO_UPDATE_SURFACE=1 and "
        "commit dagster_surface.json"
    )
