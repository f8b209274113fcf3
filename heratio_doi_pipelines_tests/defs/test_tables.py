"""Previews in the Dagster UI are typed tables, whatever the cells hold."""

from datetime import datetime

import pandas as pd

from heratio_doi_pipelines.defs.shared.tables import table


def test_frame_becomes_a_typed_table() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "share": [0.5, float("nan")],
            "doi": ["10.5072/a", None],
            "when": [datetime(2026, 11, 1, 9, 30), pd.NaT],
        }
    )
    value = table(frame)
    assert [(c.name, c.type) for c in value.schema.columns] == [
        ("id", "int"),
        ("share", "float"),
        ("doi", "string"),
        ("when", "string"),
    ]
    assert value.records[0].data == {
        "id": 1,
        "share": 0.5,
        "doi": "10.5072/a",
        "when": "2026-11-01 09:30:00",
    }
    assert value.records[1].data == {"id": 2, "share": None, "doi": None, "when": None}


def test_dict_rows_and_no_rows() -> None:
    value = table([{"record": 5, "reasons": "titles: missing"}])
    assert value.records[0].data == {"record": 5, "reasons": "titles: missing"}
    assert table(pd.DataFrame()).records == []
