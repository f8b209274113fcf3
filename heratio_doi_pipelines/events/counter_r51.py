"""The usage report as COUNTER Release 5.1: a Global Item Report (``IR``) of datasets.

Release 5.1 folds research data into the main Code of Practice: a data repository reports
item usage in the Item Report, each item with Data_Type ``Dataset``, and usage that is not
attributed to an institution goes to "The World" (Institution_ID ``0000000000000000`` under
the platform ID). The shape follows the COUNTER API 5.1.0.1 JSON schema (``IR``), which the
tests validate against; the counts are the month's same totals as the ``rd1`` report:

- metrics ``Total_Item_Investigations``, ``Unique_Item_Investigations`` (views) and
  ``Total_Item_Requests``, ``Unique_Item_Requests`` (downloads), monthly (``YYYY-MM``);
- one Attribute_Performance per access method (``Regular``; ``TDM`` would be machine use,
  which the counting filters out), with the YOP (``0001`` when unknown, as COUNTER asks);
- Item_ID with the DOI and the landing page, Publisher_ID with the publisher's ROR if known;
- the robots list that filtered the counts as an informational exception (code 0), and a
  gzip-compressed report says so with DataCite's code-69 exception, as in ``rd1``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.usage_month import (
    PLATFORM,
    ROBOTS_LIST,
    DatasetUsage,
    MonthUsage,
)
from heratio_doi_pipelines.metadata.identifiers import normalize_ror

RELEASE = "5.1"
THE_WORLD = "The World"
WORLD_CUSTOMER_ID = "0000000000000000"
DATA_TYPE = "Dataset"
UNKNOWN_YOP = "0001"
METRIC_TYPES = {
    "total-dataset-investigations": "Total_Item_Investigations",
    "unique-dataset-investigations": "Unique_Item_Investigations",
    "total-dataset-requests": "Total_Item_Requests",
    "unique-dataset-requests": "Unique_Item_Requests",
}
ACCESS_METHODS = {"regular": "Regular", "machine": "TDM"}
COMPRESSED_EXCEPTION = {
    "Code": 69,
    "Message": "Report is compressed using gzip",
    "Help_URL": "https://github.com/datacite/sashimi",
    "Data": "usage data needs to be uncompressed",
}
ROBOTS_EXCEPTION = {"Code": 0, "Message": f"Robots and machines filtered with {ROBOTS_LIST}"}
_NOT_IN_PLATFORM_ID = re.compile(r"[^A-Za-z0-9_./]")
_YEAR = re.compile(r"^[0-9]{4}$")


def platform_id(config: EventsConfig) -> str:
    """COUNTER's namespace for local identifiers: the DataCite repository id in the characters
    a platform ID may have (letters, digits, ``_ . /``, at most 17), else ``Heratio``."""
    text = _NOT_IN_PLATFORM_ID.sub("", config.repository_id)[:17]
    return text if len(text) >= 2 and text[0].isalpha() else PLATFORM


def _ror_id(*candidates: str | None) -> str | None:
    """The first valid ROR, bare (``0abcdef12``), as the schema's ROR pattern wants it."""
    for value in candidates:
        ror = normalize_ror(value)
        if ror:
            return ror.rsplit("/", 1)[-1]
    return None


def _item(dataset: DatasetUsage, config: EventsConfig, label: str) -> dict[str, Any]:
    by_access: dict[str, dict[str, dict[str, int]]] = {}
    for (metric, access), count in dataset.counts.items():
        performance = by_access.setdefault(ACCESS_METHODS[access], {})
        performance[METRIC_TYPES[metric]] = {label: count}
    year = dataset.year if dataset.year and _YEAR.match(dataset.year) else UNKNOWN_YOP
    item: dict[str, Any] = {
        "Item": dataset.title or dataset.doi,
        "Publisher": dataset.publisher or config.publisher,
    }
    ror = _ror_id(dataset.publisher_ror, config.publisher_ror)
    if ror:
        item["Publisher_ID"] = {"ROR": [ror]}
    item["Platform"] = PLATFORM
    item["Item_ID"] = {"DOI": dataset.doi, "URI": dataset.uri or f"https://doi.org/{dataset.doi}"}
    item["Attribute_Performance"] = [
        {"Data_Type": DATA_TYPE, "YOP": year, "Access_Method": access, "Performance": performance}
        for access, performance in by_access.items()
    ]
    return item


def item_report(
    usage: MonthUsage, config: EventsConfig, *, compress: bool, created: datetime
) -> dict[str, Any]:
    """The month's Global Item Report: every DOI with usage as one item."""
    label = f"{usage.month.year:04d}-{usage.month.month:02d}"
    exceptions = [ROBOTS_EXCEPTION, COMPRESSED_EXCEPTION] if compress else [ROBOTS_EXCEPTION]
    created_by = config.repository_id if len(config.repository_id) >= 2 else PLATFORM
    items = [_item(dataset, config, label) for dataset in usage.datasets]
    return {
        "Report_Header": {
            "Report_Name": "Item Report",
            "Report_ID": "IR",
            "Release": RELEASE,
            "Institution_Name": THE_WORLD,
            "Institution_ID": {"Proprietary": [f"{platform_id(config)}:{WORLD_CUSTOMER_ID}"]},
            "Report_Filters": {
                "Begin_Date": usage.month.isoformat(),
                "End_Date": usage.last_day.isoformat(),
                "Data_Type": [DATA_TYPE],
            },
            "Report_Attributes": {"Attributes_To_Show": ["YOP", "Access_Method"]},
            "Exceptions": exceptions,
            "Created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Created_By": created_by,
            "Registry_Record": "",  # no COUNTER Registry record: COUNTER asks for a blank
        },
        "Report_Items": [{"Items": items}] if items else [],
    }


def datasets(report: dict[str, Any]) -> int:
    return sum(len(group["Items"]) for group in report["Report_Items"])


def content(report: dict[str, Any]) -> dict[str, Any]:
    """What DataCite would see change (the header's ``Created`` time does not count)."""
    header = report["Report_Header"]
    return {"r": header["Release"], "f": header["Report_Filters"], "i": report["Report_Items"]}
