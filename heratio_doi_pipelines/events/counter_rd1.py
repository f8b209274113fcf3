"""The usage report as release ``rd1``: the Code of Practice for Research Data Usage Metrics.

A SUSHI dataset report (DSR) in DataCite's hyphenated keys, checked in the tests against
DataCite's own rd1 JSON schema (datacite/sashimi). A gzip-compressed report says so with
the code-69 exception DataCite asks for in the header.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.usage_month import PLATFORM, ROBOTS_LIST, MonthUsage

RELEASE = "rd1"
COMPRESSED_EXCEPTION = {
    "code": 69,
    "severity": "warning",
    "message": "Report is compressed using gzip",
    "help-url": "https://github.com/datacite/sashimi",
    "data": "usage data needs to be uncompressed",
}


def dataset_report(
    usage: MonthUsage, config: EventsConfig, *, compress: bool, created: datetime
) -> dict[str, Any]:
    """The DSR of the month: one dataset per DOI, one instance per metric and access method."""
    period = {"begin-date": usage.month.isoformat(), "end-date": usage.last_day.isoformat()}
    publisher_id = (
        [{"type": "client-id", "value": config.repository_id.lower()}]
        if config.repository_id
        else []
    )
    datasets = [
        {
            "dataset-id": [{"type": "DOI", "value": dataset.doi}],
            "dataset-title": dataset.title or dataset.doi,
            "yop": dataset.year or str(usage.month.year),
            "uri": dataset.uri or f"https://doi.org/{dataset.doi}",
            "publisher": dataset.publisher or config.publisher,
            # required by DataCite's rd1 schema: the repository's DataCite client id
            "publisher-id": publisher_id,
            "platform": PLATFORM,
            "data-type": "dataset",
            "performance": [
                {
                    "period": period,
                    "instance": [
                        {"access-method": access, "metric-type": metric, "count": count}
                        for (metric, access), count in dataset.counts.items()
                    ],
                }
            ],
        }
        for dataset in usage.datasets
    ]
    return {
        "report-header": {
            "report-name": "dataset report",
            "report-id": "DSR",
            "release": RELEASE,
            "created": created.date().isoformat(),
            "created-by": config.repository_id or PLATFORM,
            "reporting-period": period,
            "report-filters": [],
            # which robots list filtered the counts (COUNTER-Robots, as the Code of Practice asks)
            "report-attributes": [{"name": "robots_list", "value": ROBOTS_LIST}],
            "exceptions": [COMPRESSED_EXCEPTION] if compress else [],
        },
        "report-datasets": datasets,
    }


def datasets(report: dict[str, Any]) -> int:
    return len(report["report-datasets"])


def content(report: dict[str, Any]) -> dict[str, Any]:
    """What DataCite would see change (the header's ``created`` date does not count)."""
    return {"period": report["report-header"]["reporting-period"], "d": report["report-datasets"]}
