"""Funding CSV import: per-row validation with line numbers, upsert, re-import, queueing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.funding.importer import FundingFileError, import_funding_csv
from heratio_doi_pipelines.funding.validation import (
    RowError,
    normalize_ror_strict,
)
from heratio_doi_pipelines.store.tables import ahg_doi_queue, ahg_io_funding
from heratio_doi_pipelines_tests.events.conftest import described_records, give_dois

HEADER = [
    "record_id",
    "reference_code",
    "funder_name",
    "funder_identifier",
    "funder_identifier_type",
    "award_number",
    "award_uri",
    "award_title",
]


def _row(*values: str) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().removesuffix("\r\n")


class CsvBuilder:
    """Physical lines of a CSV, remembering which line each expectation is on."""

    def __init__(self) -> None:
        self.lines = [_row(*HEADER)]
        self.expected: list[tuple[int, str]] = []

    def good(self, *values: str) -> int:
        line = len(self.lines) + 1
        self.lines.extend(_row(*values).split("\n"))
        return line

    def bad(self, reason: str, *values: str, raw: str | None = None) -> None:
        line = len(self.lines) + 1
        self.lines.append(raw if raw is not None else _row(*values))
        self.expected.append((line, reason))

    def blank(self) -> None:
        self.lines.append("")

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path


@pytest.fixture
def catalogue(engine: sa.Engine) -> tuple[sa.Engine, list[int], dict[int, str]]:
    generate_sample_archive(engine, records=30, seed=5)
    reader = CatalogueReader(engine)
    records = reader.read_records(described_records(engine))
    codes = {r.id: r.reference_code for r in records if r.reference_code}
    counts: dict[str, int] = {}
    for code in codes.values():
        counts[code] = counts.get(code, 0) + 1
    chosen = [rid for rid, code in codes.items() if counts[code] == 1][:3]
    return engine, chosen, {rid: codes[rid] for rid in chosen}


def _funding_csv(tmp_path: Path, r1: int, r2: int, r3: int, code2: str) -> CsvBuilder:
    b = CsvBuilder()
    first = b.good(
        str(r1),
        "",
        "European Research Council",
        "https://ror.org/013meh722",
        "ROR",
        "ERC-1",
        "https://cordis.europa.eu/project/id/1",
        "Archives in motion",
    )
    b.good(
        "",
        code2,
        "Wellcome Trust",
        "10.13039/100004440",
        "Crossref Funder ID",
        "WT-1",
        "https://wellcome.org/grants/1",
        "Letters",
    )
    b.good(str(r3), "", "The Royal Society", "0000 0001 2146 438X", "isni", "", "", "")
    b.blank()
    b.good(str(r1), "", "University of Cambridge", "grid.5335.8", "GRID", "", "", "")
    b.good(str(r2), "", "Internal fund", "internal-42", "Other", "A-7", "", "")
    b.good(str(r3), "", "Local Heritage Fund", "", "", "LHF-2026", "", "Phase 1\nPhase 2")
    b.bad("record_id or reference_code is required", "", "", "Funder", "", "", "", "", "")
    b.bad("record_id 'abc' is not a record number", "abc", "", "Funder", "", "", "", "", "")
    b.bad("record_id '0' is not a record number", "0", "", "Funder", "", "", "", "", "")
    b.bad("record 999999 does not exist in the catalogue", "999999", "", "F", "", "", "", "", "")
    b.bad("record 1 does not exist in the catalogue", "1", "", "F", "", "", "", "", "")
    b.bad(
        "reference code 'NO SUCH CODE' matches no description",
        "",
        "NO SUCH CODE",
        "F",
        "",
        "",
        "",
        "",
        "",
    )
    b.bad("name different descriptions", str(r1), code2, "F", "", "", "", "", "")
    b.bad("funder_name is required", str(r1), "", "  ", "", "", "", "", "")
    b.bad(
        "funder_identifier_type is required with a funder_identifier",
        str(r1),
        "",
        "F",
        "https://ror.org/013meh722",
        "",
        "",
        "",
        "",
    )
    b.bad(
        "funder_identifier_type 'ROR' is given without a funder_identifier",
        str(r1),
        "",
        "F",
        "",
        "ROR",
        "",
        "",
        "",
    )
    b.bad(
        "funder_identifier_type 'FundRef' is not one of ROR, ISNI, Crossref Funder ID, GRID, Other",
        str(r1),
        "",
        "F",
        "100004440",
        "FundRef",
        "",
        "",
        "",
    )
    b.bad(
        "is not a ROR id (https://ror.org/ + 0",
        str(r1),
        "",
        "F",
        "ror.org/12345",
        "ROR",
        "",
        "",
        "",
    )
    b.bad(
        "is not a ROR id (https://ror.org/ + 0",
        str(r1),
        "",
        "F",
        "https://ror.org/0ilou0099",
        "ROR",
        "",
        "",
        "",
    )
    b.bad(
        "is not a ROR id: its checksum does not match",
        str(r1),
        "",
        "F",
        "https://ror.org/013meh723",
        "ROR",
        "",
        "",
        "",
    )
    b.bad(
        "is not an ISNI (16 characters ending in a valid check character)",
        str(r1),
        "",
        "F",
        "0000000121464381",
        "ISNI",
        "",
        "",
        "",
    )
    b.bad("'12345' is not an ISNI", str(r1), "", "F", "12345", "ISNI", "", "", "")
    b.bad(
        "is not a Crossref Funder ID: it must be a DOI under 10.13039/",
        str(r1),
        "",
        "F",
        "10.5555/123",
        "Crossref Funder ID",
        "",
        "",
        "",
    )
    b.bad(
        "'501100000780x' is not a DOI (Crossref Funder ID)",
        str(r1),
        "",
        "F",
        "501100000780x",
        "Crossref Funder ID",
        "",
        "",
        "",
    )
    b.bad("'grid.abc' is not a GRID id", str(r1), "", "F", "grid.abc", "GRID", "", "", "")
    b.bad(
        "award_uri 'ftp://example.org/a' must be an http or https URL",
        str(r1),
        "",
        "F",
        "",
        "",
        "",
        "ftp://example.org/a",
        "",
    )
    b.bad(
        "award_uri 'https:///grants/1' has no valid host",
        str(r1),
        "",
        "F",
        "",
        "",
        "",
        "https:///grants/1",
        "",
    )
    b.bad(
        "award_uri 'https://example.org/a b' contains spaces",
        str(r1),
        "",
        "F",
        "",
        "",
        "",
        "https://example.org/a b",
        "",
    )
    b.bad(
        "is not a well-formed URL",
        str(r1),
        "",
        "F",
        "",
        "",
        "",
        "https://example.org:99999999/",
        "",
    )
    b.bad(
        "funder_name is longer than 255 characters (300)",
        str(r1),
        "",
        "F" * 300,
        "",
        "",
        "",
        "",
        "",
    )
    b.bad(
        "award_title is longer than 1024 characters (1100)",
        str(r1),
        "",
        "F",
        "",
        "",
        "",
        "",
        "t" * 1100,
    )
    b.bad("the row has 3 fields, the header has 8", raw=f"{r1},,Funder")
    b.bad(
        f"same record, funder and award as line {first}",
        str(r1),
        "",
        "Another name",
        "013meh722",
        "ror",
        "erc-1",
        "",
        "",
    )
    return b


def test_bad_rows_are_reported_with_line_and_reason(
    catalogue: tuple[sa.Engine, list[int], dict[int, str]], tmp_path: Path
) -> None:
    engine, (r1, r2, r3), codes = catalogue
    builder = _funding_csv(tmp_path, r1, r2, r3, codes[r2])
    assert len(builder.expected) >= 20
    report = import_funding_csv(engine, engine, builder.write(tmp_path / "funding.csv"))
    assert [r.line for r in report.rejected] == [line for line, _ in builder.expected]
    for rejection, (line, reason) in zip(report.rejected, builder.expected, strict=True):
        assert reason in rejection.reason, f"line {line}: {rejection.reason!r}"
    assert (report.imported, report.updated, report.unchanged) == (6, 0, 0)
    assert report.rows == 6 + len(builder.expected)

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_io_funding).where(
                ahg_io_funding.c.information_object_id.in_([r1, r2, r3])
            )
        ).all()
    stored = {
        (r.information_object_id, r.funder_identifier_type, r.funder_identifier) for r in rows
    }
    assert (r1, "ROR", "https://ror.org/013meh722") in stored
    assert (r2, "Crossref Funder ID", "https://doi.org/10.13039/100004440") in stored
    assert (r3, "ISNI", "000000012146438X") in stored
    assert (r1, "GRID", "grid.5335.8") in stored
    assert any(r.award_title == "Phase 1 Phase 2" for r in rows)


def test_reimport_updates_instead_of_duplicating_and_queues_records_with_a_doi(
    catalogue: tuple[sa.Engine, list[int], dict[int, str]], tmp_path: Path
) -> None:
    engine, (r1, r2, r3), codes = catalogue
    give_dois(engine, [r1, r2])
    path = _funding_csv(tmp_path, r1, r2, r3, codes[r2]).write(tmp_path / "funding.csv")
    first = import_funding_csv(engine, engine, path)
    assert first.changed_records == sorted([r1, r2, r3])
    assert first.queued == sorted([r1, r2])  # r3 has no DOI

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(ahg_io_funding)).scalar_one()

    before = count()
    again = import_funding_csv(engine, engine, path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 6)
    assert again.changed_records == [] and again.queued == []
    assert count() == before

    with engine.begin() as conn:
        conn.execute(ahg_doi_queue.update().values(status="completed"))
    path.write_text(path.read_text().replace("Letters", "Letters and diaries"))
    changed = import_funding_csv(engine, engine, path)
    assert (changed.imported, changed.updated, changed.unchanged) == (0, 1, 5)
    assert changed.changed_records == [r2] and changed.queued == [r2]
    assert count() == before


def test_a_file_with_the_wrong_header_is_refused(engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("record_id,funder_name,award_url\n1,X,https://x.org\n")
    with pytest.raises(FundingFileError, match="unknown column"):
        import_funding_csv(engine, engine, path)
    path.write_text("record_id,award_number\n1,X\n")
    with pytest.raises(FundingFileError, match="needs funder_name"):
        import_funding_csv(engine, engine, path)


def test_ror_ids_in_their_documented_format() -> None:
    for good in ("04wxnsj81", "https://ror.org/05dxps055", "ror.org/013meh722", "00F54P054"):
        assert normalize_ror_strict(good).startswith("https://ror.org/0")
    for bad in ("14wxnsj81", "04wxnsj8", "04wxnsi81", "https://ror.org/04wxnsj82", ""):
        with pytest.raises(RowError):
            normalize_ror_strict(bad)
