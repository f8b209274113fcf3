"""Tables for the Dagster UI: rows shown with ``dg.MetadataValue.table``, which the UI renders,
sorts and lets one copy, instead of markdown text."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import dagster as dg
import pandas as pd

_TYPES = {"i": "int", "u": "int", "f": "float", "b": "bool"}


def _cell(value: Any) -> str | int | float | bool | None:
    """A value the UI's table accepts: numbers and booleans as they are, the rest as text."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None  # None, NaN, NaT
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return str(value)


def table(rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> dg.TableMetadataValue:
    """Rows (a DataFrame or dicts with the same keys) as a typed Dagster table."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = [
        dg.TableColumn(str(name), _TYPES.get(frame[name].dtype.kind, "string"))
        for name in frame.columns
    ]
    records = [
        dg.TableRecord({str(k): _cell(v) for k, v in zip(frame.columns, row, strict=True)})
        for row in frame.itertuples(index=False, name=None)
    ]
    return dg.MetadataValue.table(records=records, schema=dg.TableSchema(columns=columns))
