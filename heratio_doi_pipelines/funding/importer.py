"""Bulk import of funding references from CSV into Heratio's ``ahg_io_funding``.

Columns: ``record_id`` or ``reference_code`` (AtoM's full reference code, as shown on the
record), ``funder_name``, ``funder_identifier``, ``funder_identifier_type``,
``award_number``, ``award_uri``, ``award_title``. Bad rows are skipped and reported with
their line number and reason; good rows are upserted: the same record, funder (identifier,
else name) and award number update the existing row, so importing a file twice adds nothing.
The import never deletes rows a file does not mention.

Records whose funding changed and that have a DOI DataCite knows (``confirmed_at`` set) are
queued for ``update``, so DataCite gets the new fundingReferences.

The rows are written where the catalogue reader reads them: the catalogue database (the
same database as the DOI tables on a standard Heratio site).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.catalogue.constants import ROOT_INFORMATION_OBJECT_ID
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.funding.validation import (
    FundingRow,
    Rejection,
    RowError,
    match_key,
    normalize_identifier,
    validate_row,
)
from heratio_doi_pipelines.queue.actions import UPDATE
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_io_funding

COLUMNS = (
    "record_id",
    "reference_code",
    "funder_name",
    "funder_identifier",
    "funder_identifier_type",
    "award_number",
    "award_uri",
    "award_title",
)
FIELDS = (
    "funder_name",
    "funder_identifier",
    "funder_identifier_type",
    "award_number",
    "award_uri",
    "award_title",
)
IN_CHUNK = 500


class FundingFileError(HeratioDoiError):
    """The file as a whole cannot be imported (unreadable, wrong header)."""


@dataclass
class FundingImportReport:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    changed_records: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    already_queued: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.imported} imported, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected; "
            f"{len(self.queued)} record(s) queued for a DataCite update"
        )


def _header(raw: Sequence[str]) -> list[str]:
    names = [" ".join(name.replace("\ufeff", "").split()).lower().replace(" ", "_") for name in raw]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise FundingFileError(
            f"unknown column(s): {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
        )
    if "funder_name" not in names or not {"record_id", "reference_code"} & set(names):
        raise FundingFileError(
            "the header needs funder_name and record_id or reference_code; "
            f"found {', '.join(names) or 'nothing'}"
        )
    return names


def read_rows(path: Path | str) -> Iterator[tuple[int, dict[str, str | None] | Rejection]]:
    """(line number, values by column) per non-empty record, or a Rejection for a bad shape."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise FundingFileError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = _header(next(reader))
        except StopIteration:
            raise FundingFileError(f"{path} is empty") from None
        except UnicodeDecodeError:
            raise FundingFileError(f"{path} is not UTF-8 text") from None
        line = reader.line_num
        while True:
            start = line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                line = reader.line_num
                yield start, Rejection(start, f"unreadable CSV: {exc}")
                continue
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                yield (
                    start,
                    Rejection(
                        start, f"the row has {len(fields)} fields, the header has {len(header)}"
                    ),
                )
                continue
            yield start, dict(zip(header, fields, strict=True))


class RecordResolver:
    """Record ids and AtoM reference codes → information_object ids (a few batched queries)."""

    def __init__(self, catalogue_engine: sa.Engine, doi_engine: sa.Engine | None = None):
        self.engine = catalogue_engine
        self.doi_engine = doi_engine

    def existing_ids(self, ids: Sequence[int]) -> set[int]:
        io = atom.information_object
        found: set[int] = set()
        wanted = sorted(set(ids) - {ROOT_INFORMATION_OBJECT_ID})
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[start : start + IN_CHUNK]
                found.update(conn.execute(sa.select(io.c.id).where(io.c.id.in_(chunk))).scalars())
        return found

    def by_reference_code(self, codes: Sequence[str]) -> dict[str, list[int]]:
        """Each code's matching records: candidates by their own identifier (a suffix of the
        code), confirmed by the reference code the catalogue reader builds for them."""
        wanted = {_code_key(c): c for c in codes}
        suffixes: set[str] = set()
        for code in wanted.values():
            suffixes.update(_suffixes(code))
        io = atom.information_object
        candidates: set[int] = set()
        with self.engine.connect() as conn:
            values = sorted(suffixes)
            for start in range(0, len(values), IN_CHUNK):
                chunk = values[start : start + IN_CHUNK]
                candidates.update(
                    conn.execute(
                        sa.select(io.c.id).where(
                            io.c.identifier.in_(chunk), io.c.id != ROOT_INFORMATION_OBJECT_ID
                        )
                    ).scalars()
                )
        found: dict[str, list[int]] = {code: [] for code in codes}
        if not candidates:
            return found
        reader = CatalogueReader(self.engine, doi_engine=self.doi_engine)
        for batch in reader.iter_records(sorted(candidates)):
            for record in batch:
                key = _code_key(record.reference_code or "")
                if key in wanted:
                    found[wanted[key]].append(record.id)
        return found


def _code_key(code: str) -> str:
    return " ".join(code.split()).casefold()


def _suffixes(code: str) -> set[str]:
    """The code and every tail of it that starts after a separator (``-``, space, ``/``...)."""
    text = " ".join(code.split())
    out = {text}
    for i in range(1, len(text)):
        if not text[i - 1].isalnum() and text[i].isalnum():
            out.add(text[i:])
    return out


def funding_engine(doi_engine: sa.Engine, catalogue_engine: sa.Engine) -> sa.Engine:
    """The database whose ``ahg_io_funding`` the catalogue reader reads."""
    if "ahg_io_funding" in sa.inspect(catalogue_engine).get_table_names():
        return catalogue_engine
    if "ahg_io_funding" in sa.inspect(doi_engine).get_table_names() and (
        doi_engine.url == catalogue_engine.url
    ):
        return doi_engine
    raise FundingFileError(
        "the catalogue database has no ahg_io_funding table (Heratio creates it on boot; "
        "`heratio-doi init` does when the DOI tables share the catalogue's database)"
    )


def import_funding_csv(
    doi_engine: sa.Engine, catalogue_engine: sa.Engine, path: Path | str
) -> FundingImportReport:
    """Validate, upsert and queue; see the module docstring."""
    report = FundingImportReport()
    valid: list[FundingRow] = []
    for line, item in read_rows(path):
        report.rows += 1
        if isinstance(item, Rejection):
            report.rejected.append(item)
            continue
        try:
            valid.append(validate_row(line, item))
        except RowError as exc:
            report.rejected.append(Rejection(line, str(exc)))
    resolved = _resolve(valid, catalogue_engine, doi_engine, report)
    target = funding_engine(doi_engine, catalogue_engine)
    changed = _upsert(target, resolved, report)
    report.changed_records = sorted(changed)
    if changed:
        with doi_engine.connect() as conn:
            ids = sorted(changed)
            with_doi: list[int] = []
            for start in range(0, len(ids), IN_CHUNK):
                with_doi.extend(
                    conn.execute(
                        sa.select(ahg_doi.c.information_object_id).where(
                            ahg_doi.c.information_object_id.in_(ids[start : start + IN_CHUNK]),
                            ahg_doi.c.confirmed_at.is_not(None),
                        )
                    ).scalars()
                )
        if with_doi:
            queued = enqueue(doi_engine, UPDATE, sorted(with_doi))
            report.queued, report.already_queued = queued.queued, queued.already_queued
    report.rejected.sort(key=lambda r: r.line)
    return report


def _resolve(
    rows: list[FundingRow],
    catalogue_engine: sa.Engine,
    doi_engine: sa.Engine,
    report: FundingImportReport,
) -> list[tuple[int, FundingRow]]:
    resolver = RecordResolver(catalogue_engine, doi_engine)
    existing = resolver.existing_ids([r.record_id for r in rows if r.record_id is not None])
    by_code = resolver.by_reference_code(
        sorted({r.reference_code for r in rows if r.reference_code})
    )
    out: list[tuple[int, FundingRow]] = []
    seen: dict[tuple[int, str, str], int] = {}
    for row in rows:
        record_id = row.record_id
        if record_id is not None and record_id not in existing:
            report.rejected.append(
                Rejection(row.line, f"record {record_id} does not exist in the catalogue")
            )
            continue
        if row.reference_code:
            matches = by_code.get(row.reference_code, [])
            if not matches:
                report.rejected.append(
                    Rejection(
                        row.line, f"reference code {row.reference_code!r} matches no description"
                    )
                )
                continue
            if len(matches) > 1 and record_id is None:
                ids = ", ".join(str(i) for i in sorted(matches))
                report.rejected.append(
                    Rejection(
                        row.line,
                        f"reference code {row.reference_code!r} matches {len(matches)} "
                        f"descriptions ({ids}): use record_id",
                    )
                )
                continue
            if record_id is not None and record_id not in matches:
                report.rejected.append(
                    Rejection(
                        row.line,
                        f"record_id {record_id} and reference code {row.reference_code!r} "
                        "name different descriptions",
                    )
                )
                continue
            record_id = record_id if record_id is not None else matches[0]
        assert record_id is not None
        key = match_key(record_id, row.funder_name, row.funder_identifier, row.award_number)
        if key in seen:
            report.rejected.append(
                Rejection(row.line, f"same record, funder and award as line {seen[key]}")
            )
            continue
        seen[key] = row.line
        out.append((record_id, row))
    return out


def _existing_key(row: Any) -> tuple[int, str, str]:
    identifier = row.funder_identifier
    if identifier and row.funder_identifier_type:
        with contextlib.suppress(RowError):  # a stored value we cannot read matches as-is
            identifier = normalize_identifier(row.funder_identifier_type, identifier)
    return match_key(row.information_object_id, row.funder_name or "", identifier, row.award_number)


def _upsert(
    engine: sa.Engine, rows: list[tuple[int, FundingRow]], report: FundingImportReport
) -> set[int]:
    """Insert new references, update differing ones; returns the records that changed."""
    t = ahg_io_funding
    changed: set[int] = set()
    now = utcnow()
    record_ids = sorted({record_id for record_id, _ in rows})
    with engine.begin() as conn:
        existing: dict[tuple[int, str, str], Any] = {}
        for start in range(0, len(record_ids), IN_CHUNK):
            chunk = record_ids[start : start + IN_CHUNK]
            for stored in conn.execute(sa.select(t).where(t.c.information_object_id.in_(chunk))):
                existing.setdefault(_existing_key(stored), stored)
        inserts, updates = [], []
        for record_id, row in rows:
            values = {name: getattr(row, name) for name in FIELDS}
            current = existing.get(
                match_key(record_id, row.funder_name, row.funder_identifier, row.award_number)
            )
            if current is None:
                inserts.append(
                    {
                        "information_object_id": record_id,
                        **values,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                report.imported += 1
                changed.add(record_id)
            elif any(getattr(current, name) != value for name, value in values.items()):
                updates.append({"row_id": current.id, **{f"new_{k}": v for k, v in values.items()}})
                report.updated += 1
                changed.add(record_id)
            else:
                report.unchanged += 1
        if inserts:
            conn.execute(t.insert(), inserts)
        if updates:
            conn.execute(
                t.update()
                .where(t.c.id == sa.bindparam("row_id"))
                .values(
                    **{name: sa.bindparam(f"new_{name}") for name in FIELDS},
                    updated_at=now,
                ),
                updates,
            )
    return changed
