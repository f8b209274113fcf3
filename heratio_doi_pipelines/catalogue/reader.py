"""Batched, read-only access to an AtoM/Heratio catalogue: ids in, ``CatalogueRecord`` out.

Why batches: a site has hundreds of thousands of descriptions and the metadata builder needs
a dozen related tables per record, so ``read_records`` runs a fixed set of at most 15 queries
per batch of up to ``IN_CHUNK`` records, never one per record (the list is in ``batch``).
What the reader learns once (which sidecar tables exist, AtoM's reference-code settings) is
probed on first use and kept until ``refresh()``.

Reading never writes: only SELECT/WITH statements are issued and connections are rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as t
from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.catalogue.batch import (
    AHG_DOI,
    IN_CHUNK,
    PLACE_COORD_COLUMNS,
    BatchReader,
    CatalogueSchema,
    pick,
    unique_ids,
)
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.errors import HeratioDoiError

__all__ = ["IN_CHUNK", "CatalogueNotFoundError", "CatalogueReader"]


class CatalogueNotFoundError(HeratioDoiError):
    """The database has no AtoM catalogue (``information_object`` is missing)."""


def _same_database(a: sa.Engine, b: sa.Engine) -> bool:
    return a is b or a.url == b.url


class CatalogueReader:
    """Reads descriptions from an AtoM catalogue in batches; counts the SQL it issues.

    ``culture_fallback`` is the site's default culture: used when a row has no text in the
    record's own source culture, and for level-of-description names (the language that
    ``auto_mint_levels`` is written in). ``doi_engine`` is the database holding ``ahg_doi``
    when it is not the catalogue's; Heratio's other sidecars are read from the catalogue.
    """

    def __init__(
        self,
        engine: sa.Engine,
        culture_fallback: str = "en",
        doi_engine: sa.Engine | None = None,
    ) -> None:
        self.engine = engine
        self.culture_fallback = culture_fallback
        self.doi_engine = (
            doi_engine
            if doi_engine is not None and not _same_database(engine, doi_engine)
            else None
        )
        self.queries_issued = 0  # every statement the reader's connections executed
        self.last_batch_queries = 0  # statements of the latest read_records call
        self.statements: list[str] | None = None  # set to [] to record the SQL text issued
        self._schema: CatalogueSchema | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.queries_issued += 1
        if self.statements is not None:
            self.statements.append(statement)

    @contextmanager
    def _connect(self, engine: sa.Engine) -> Iterator[sa.Connection]:
        with engine.connect() as conn:
            sa.event.listen(conn, "before_cursor_execute", self._count)
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def _doi_connection(self, conn: sa.Connection) -> Iterator[sa.Connection | None]:
        schema = self._ensure_schema(recheck_doi_table=True)
        if "ahg_doi" not in schema.doi_tables:
            yield None
        elif self.doi_engine is None:
            yield conn
        else:
            with self._connect(self.doi_engine) as doi_conn:
                yield doi_conn

    def refresh(self) -> None:
        """Forget what was learned about tables and settings (after a schema or setting change)."""
        self._schema = None

    def _ensure_schema(self, recheck_doi_table: bool = False) -> CatalogueSchema:
        """The cached probe; a missing ``ahg_doi`` is looked for again when asked, because
        ``heratio-doi init`` may create it while a long-lived reader is in use (and treating
        minted records as DOI-less would queue them twice)."""
        if self._schema is None or (recheck_doi_table and "ahg_doi" not in self._schema.doi_tables):
            self._schema = self._probe()
        return self._schema

    def _probe(self) -> CatalogueSchema:
        with self.engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = frozenset(inspector.get_table_names())
            if "information_object" not in tables:
                raise CatalogueNotFoundError(
                    "AtoM catalogue tables not found (no information_object table) at "
                    f"{self.engine.url.render_as_string(hide_password=True)}"
                )
            coord_columns: tuple[str, ...] = ()
            if "ahg_place_coords" in tables:
                present = {col["name"] for col in inspector.get_columns("ahg_place_coords")}
                coord_columns = tuple(col for col in PLACE_COORD_COLUMNS if col in present)
            settings = self._read_settings(conn) if "setting" in tables else {}
            conn.rollback()
        if self.doi_engine is None:
            doi_tables = tables
        else:
            with self.doi_engine.connect() as doi_conn:
                doi_tables = frozenset(sa.inspect(doi_conn).get_table_names())
                doi_conn.rollback()
        inherit = settings.get(c.SETTING_INHERIT_CODE)
        separator = settings.get(c.SETTING_SEPARATOR)
        return CatalogueSchema(
            tables=tables,
            doi_tables=doi_tables,
            place_coord_columns=coord_columns,
            # AtoM treats a missing setting as "inherit" (sfConfig default 1)
            inherit_reference_code=(inherit is None or inherit.strip() not in ("0", "")),
            separator=separator if separator else c.DEFAULT_SEPARATOR,
        )

    def _read_settings(self, conn: sa.Connection) -> dict[str, str]:
        s, si = t.setting, t.setting_i18n
        rows = conn.execute(
            sa.select(s.c.name, s.c.scope, s.c.source_culture, si.c.culture, si.c.value)
            .select_from(s.outerjoin(si, si.c.id == s.c.id))
            .where(s.c.name.in_([c.SETTING_INHERIT_CODE, c.SETTING_SEPARATOR]))
            .order_by(s.c.id)
        ).all()
        values: dict[str, dict[str, str]] = defaultdict(dict)
        source: dict[str, str] = {}
        for name, scope, source_culture, culture, value in rows:
            if scope or culture is None or value is None:
                continue
            values[name].setdefault(culture, value)
            source.setdefault(name, source_culture)
        return {
            name: pick(by_culture, source.get(name), self.culture_fallback)
            for name, by_culture in values.items()
        }

    # -- id listings --------------------------------------------------------------------------

    def all_record_ids(self) -> list[int]:
        """Every description id (not the root), ascending."""
        io = t.information_object
        with self._connect(self.engine) as conn:
            return list(
                conn.execute(
                    sa.select(io.c.id)
                    .where(io.c.id != c.ROOT_INFORMATION_OBJECT_ID)
                    .order_by(io.c.id)
                ).scalars()
            )

    def changed_since(self, timestamp: datetime | str) -> list[int]:
        """Descriptions whose ``object.updated_at`` is after ``timestamp`` (AtoM's local time)."""
        return self.changes_since(timestamp)[0]

    def changes_since(self, timestamp: datetime | str) -> tuple[list[int], datetime | None]:
        """``changed_since`` and the newest change of any object (description or not; None
        when nothing changed), so a sensor's next cursor costs no second walk of the index
        and never lags behind objects that are not descriptions."""
        if isinstance(timestamp, str):
            timestamp = datetime.fromisoformat(timestamp)
        if timestamp.tzinfo is not None:
            timestamp = timestamp.astimezone(UTC).replace(tzinfo=None)
        io, obj = t.information_object, t.object_
        # Driven by AtoM's object_updated_at index (a sensor asks this every tick), each
        # changed object looked up as a description by primary key. An outer join keeps the
        # index in the lead (with an inner join SQLite would walk every description), and
        # the rows are sorted here for the same reason.
        with self._connect(self.engine) as conn:
            rows = conn.execute(
                sa.select(obj.c.id, obj.c.updated_at, io.c.id.label("description_id"))
                .select_from(obj.outerjoin(io, io.c.id == obj.c.id))
                .where(obj.c.updated_at > timestamp)
            ).all()
        newest = max((_as_datetime(row.updated_at) for row in rows), default=None)
        descriptions = (
            row.id
            for row in rows
            if row.description_id is not None and row.id != c.ROOT_INFORMATION_OBJECT_ID
        )
        return sorted(descriptions), newest

    def last_changed(self, ids: Iterable[int]) -> dict[int, datetime | None]:
        """``object.updated_at`` of each description among ``ids`` that exists (not the root):
        ids missing from the answer are not descriptions of this catalogue."""
        io, obj = t.information_object, t.object_
        wanted = unique_ids(ids)
        found: dict[int, datetime | None] = {}
        with self._connect(self.engine) as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                rows = conn.execute(
                    sa.select(io.c.id, obj.c.updated_at)
                    .select_from(io.outerjoin(obj, obj.c.id == io.c.id))
                    .where(io.c.id.in_(wanted[start : start + IN_CHUNK]))
                )
                found.update({row.id: row.updated_at for row in rows})
        return found

    def records_without_doi(self, limit: int | None = None) -> list[int]:
        """Descriptions (not the root) that have no ``ahg_doi`` row at all, ascending.

        With ``ahg_doi`` in the catalogue database this is one anti-join; with a separate DOI
        database the DOI'd ids are loaded once and catalogue ids are streamed past them.
        """
        schema = self._ensure_schema(recheck_doi_table=True)
        io = t.information_object
        base = sa.select(io.c.id).where(io.c.id != c.ROOT_INFORMATION_OBJECT_ID).order_by(io.c.id)
        if "ahg_doi" not in schema.doi_tables:
            with self._connect(self.engine) as conn:
                stmt = base.limit(limit) if limit is not None else base
                return list(conn.execute(stmt).scalars())
        if self.doi_engine is None:
            stmt = base.where(~sa.exists().where(AHG_DOI.c.information_object_id == io.c.id))
            stmt = stmt.limit(limit) if limit is not None else stmt
            with self._connect(self.engine) as conn:
                return list(conn.execute(stmt).scalars())
        with self._connect(self.doi_engine) as doi_conn:
            minted = set(doi_conn.execute(sa.select(AHG_DOI.c.information_object_id)).scalars())
        found: list[int] = []
        with self._connect(self.engine) as conn:
            result = conn.execution_options(yield_per=5000).execute(base)
            for record_id in result.scalars():
                if record_id not in minted:
                    found.append(record_id)
                    if limit is not None and len(found) >= limit:
                        break
            result.close()
        return found

    # -- records ------------------------------------------------------------------------------

    def iter_records(
        self, ids: Iterable[int], batch_size: int = IN_CHUNK
    ) -> Iterator[list[CatalogueRecord]]:
        """``read_records`` over ``ids`` in batches (ids may be a lazy iterable)."""
        iterator = iter(ids)
        while batch := list(islice(iterator, batch_size)):
            yield self.read_records(batch)

    def read_records(self, ids: Sequence[int] | Iterable[int]) -> list[CatalogueRecord]:
        """The records for ``ids`` in the given order; unknown ids and the root are left out."""
        wanted = unique_ids(ids)
        if not wanted:
            self.last_batch_queries = 0
            return []
        schema = self._ensure_schema()
        before = self.queries_issued
        with self._connect(self.engine) as conn:
            records = BatchReader(
                schema, conn, wanted, self.culture_fallback, self._doi_connection
            ).read()
        self.last_batch_queries = self.queries_issued - before
        return records


def _as_datetime(value: datetime | str) -> datetime:
    """A timestamp as the driver gave it (a datetime, or text from a loosely typed column)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
