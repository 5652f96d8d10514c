"""OMOP CDM v5.4 (MEASUREMENT + COHORT, and PERSON when present) read into the project's long frame (see ``field_files``).

Sources (``--data``): a folder holding ``measurement.csv`` and ``cohort.csv``
(``cohort_definition.csv`` optional; ``.parquet`` files are read too), a DuckDB file holding
those tables, or a PostgreSQL URL (``postgresql://user@host:port/db``; the password from
``PGPASSWORD`` or ``~/.pgpass``, or in the URL, never shown). ``-p omop_schema=NAME`` names the
schema of a database (default: ``main`` in DuckDB, ``public`` in PostgreSQL).

All three are read by ONE query text (``hba1c_query``), run by DuckDB (which reads the CSV or
Parquet folder through views of the same table names) or by PostgreSQL: the selection is pushed
to the database, so only the HbA1c rows of persons in the selected cohorts leave it.

Rules (interface.md, "The field's own files" and its clarifications):

* HbA1c: ``measurement_concept_id`` in ``omop_concepts`` (default 3004410, LOINC 4548-4, and
  3005673, LOINC 17856-6);
* unit: ``unit_concept_id`` 8554 (percent) or 9579 (mmol/mol, converted with the master
  equation); 0 or empty: ``-p omop_unit=percent|mmol_mol`` when given, else the row is
  excluded with its reason; any other unit concept is an error naming it and the row;
* ``measurement.person_id = cohort.subject_id``; time zero = the person's earliest
  ``cohort_start_date`` among the selected cohorts (``-p omop_cohort_ids=1,2``; default all);
  days = ``measurement_date`` - time zero; measurements after ``cohort_end_date`` are kept;
* arms: the ``cohort_definition_id`` (named by ``cohort_definition.cohort_definition_name``
  when that table is there) when two or more cohorts are selected; a person in two selected
  cohorts is excluded with its reason; one cohort is a single-arm study;
* an empty ``value_as_number`` excludes the row with its reason;
* sex and age (optional): from the ``person`` table when the source has one (``person_query``):
  ``gender_concept_id`` 8507 male, 8532 female (``GENDER``); ``age_years`` in completed years
  at time zero from ``year_of_birth`` (+ ``month_of_birth``, ``day_of_birth``: ``age_years``).

Extraction at scale (10,000,000 rows): the rows leave DuckDB as Arrow and PostgreSQL as one
``COPY ... TO STDOUT`` stream read by pyarrow; the long frame is built column by column on numpy
arrays (the arm, sex and age as a few Python texts repeated), never a Python object made per row.

Row numbers (``FILE:ROW:COLUMN``, ``data.excluded[].row``): ``measurement_id``, the table's key;
FILE names the table (``SOURCE/measurement``). ``data.sha256``: SHA-256 of the extracted rows as
canonical CSV (``canonical_csv``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from mscreport.core.errors import InputError, Problem
from mscreport.inputs.field_data import FieldData, file_head, is_database_url, note, shown_source
from mscreport.core.units import ifcc_to_ngsp

DEFAULT_CONCEPTS = (3004410, 3005673)  # LOINC 4548-4 and 17856-6 (data/README.md cites the vocabulary)
UNIT_PERCENT, UNIT_MMOL_MOL = 8554, 9579
TABLES = {  # table -> columns the query reads (and their types, for CSV and Parquet files)
    "measurement": {"measurement_id": "BIGINT", "person_id": "BIGINT", "measurement_concept_id": "BIGINT",
                    "measurement_date": "DATE", "value_as_number": "DOUBLE", "unit_concept_id": "BIGINT"},
    "cohort": {"cohort_definition_id": "BIGINT", "subject_id": "BIGINT", "cohort_start_date": "DATE",
               "cohort_end_date": "DATE"},
}
DEFINITION_COLUMNS = {"cohort_definition_id": "BIGINT", "cohort_definition_name": "VARCHAR"}
PERSON_COLUMNS = {"person_id": "BIGINT", "gender_concept_id": "BIGINT", "year_of_birth": "BIGINT",
                  "month_of_birth": "BIGINT", "day_of_birth": "BIGINT"}  # the last two optional
PERSON_REQUIRED = ("person_id", "gender_concept_id", "year_of_birth")
GENDER = {8507: "male", 8532: "female"}  # OMOP Gender vocabulary (data/README.md cites it); others: not given
OPTIONAL_TABLES = {"cohort_definition": DEFINITION_COLUMNS, "person": PERSON_COLUMNS}
CANONICAL_COLUMNS = ("measurement_id", "person_id", "measurement_concept_id", "measurement_date",
                     "value_as_number", "unit_concept_id", "cohort_definition_id", "n_cohorts", "time_zero", "days")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_LISTED = 20


def is_duckdb_file(path) -> bool:
    """A DuckDB database file, by its header ('DUCK' at byte 8)."""
    if is_database_url(path):
        return False
    return file_head(path, 12)[8:12] == b"DUCK"


def parse_ids(text: str, name: str) -> tuple[int, ...]:
    """'1,2' -> (1, 2); InputError (naming the parameter) for anything but whole numbers."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        ids = tuple(int(p) for p in parts)
    except ValueError:
        raise InputError([Problem("-p", None, name, f"{name}={text!r}: expected whole numbers separated by commas "
                                                    "(e.g. 1,2)")]) from None
    if not ids:
        raise InputError([Problem("-p", None, name, f"{name}={text!r}: give at least one id")])
    return ids


def _persons_cte(prefix: str, cohort_ids: tuple[int, ...] | None) -> str:
    """The CTEs ``selected`` (cohort rows of the selected cohorts) and ``persons`` (one row per
    person in them: time zero, number of selected cohorts, the smallest cohort id)."""
    where = f"WHERE cohort_definition_id IN ({', '.join(str(int(i)) for i in cohort_ids)})" if cohort_ids else ""
    return f"""
WITH selected AS (
    SELECT subject_id, cohort_definition_id, cohort_start_date
    FROM {prefix}cohort
    {where}
), persons AS (
    SELECT subject_id, MIN(cohort_start_date) AS time_zero,
           COUNT(DISTINCT cohort_definition_id) AS n_cohorts, MIN(cohort_definition_id) AS cohort_definition_id
    FROM selected
    GROUP BY subject_id
)"""


def hba1c_query(prefix: str, concepts: tuple[int, ...], cohort_ids: tuple[int, ...] | None) -> str:
    """The one query of every source: the HbA1c rows of persons in the selected cohorts, with
    each person's time zero (earliest cohort_start_date among the selected cohorts), the number
    of selected cohorts the person is in, and days since time zero. ``prefix``: '' or a quoted
    schema and a dot. The ids are whole numbers (``parse_ids``), written into the text."""
    return _persons_cte(prefix, cohort_ids) + f"""
SELECT m.measurement_id, m.person_id, m.measurement_concept_id, m.measurement_date, m.value_as_number,
       m.unit_concept_id, p.cohort_definition_id, p.n_cohorts, p.time_zero,
       CAST(m.measurement_date - p.time_zero AS BIGINT) AS days
FROM {prefix}measurement m
JOIN persons p ON m.person_id = p.subject_id
WHERE m.measurement_concept_id IN ({', '.join(str(int(c)) for c in concepts)})
ORDER BY m.measurement_id
"""


def person_query(prefix: str, cohort_ids: tuple[int, ...] | None, columns) -> str:
    """The person rows of the persons in the selected cohorts, with their time zero, by
    person_id; ``month_of_birth`` / ``day_of_birth`` NULL when the table lacks them."""
    optional = ", ".join(f"pr.{c}" if c in columns else f"CAST(NULL AS BIGINT) AS {c}"
                         for c in ("month_of_birth", "day_of_birth"))
    return _persons_cte(prefix, cohort_ids) + f"""
SELECT pr.person_id, pr.gender_concept_id, pr.year_of_birth, {optional}, p.time_zero
FROM {prefix}person pr
JOIN persons p ON pr.person_id = p.subject_id
ORDER BY pr.person_id
"""


class _Source:
    """A connection to one OMOP source: ``query(sql) -> DataFrame``, ``columns(table)``."""

    def __init__(self, source, params: dict):
        self.source = str(source)
        self.shown = shown_source(source)
        schema = str(params.get("omop_schema", "") or "").strip()
        if schema and not _IDENTIFIER.match(schema):
            raise InputError([Problem("-p", None, "omop_schema", f"omop_schema={schema!r}: letters, digits and _ only")])
        if is_database_url(source):
            self.layout, self.kind = "omop_database", "postgresql"
            self.prefix = f'"{schema}".' if schema else ""
            self._connect_postgresql()
        elif Path(self.source).is_dir():
            self.layout, self.kind, self.prefix = "omop_files", "duckdb", ""
            import duckdb

            self.con = duckdb.connect()
            self._file_views()
        else:
            self.layout, self.kind = "omop_duckdb", "duckdb"
            self.prefix = f'"{schema}".' if schema else ""
            import duckdb

            try:
                self.con = duckdb.connect(self.source, read_only=True)
            except duckdb.Error as exc:
                raise self._error(None, f"cannot open this DuckDB file ({_short(exc)})") from None

    def table_name(self, table: str) -> str:
        """How a table is named in messages: the file of a folder, SOURCE/table otherwise."""
        if self.layout == "omop_files":
            return str(Path(self.shown) / self.files.get(table, f"{table}.csv"))
        return f"{self.shown}/{self.prefix.strip(chr(34) + '.') + '.' if self.prefix else ''}{table}"

    def _error(self, table: str | None, message: str) -> InputError:
        return InputError([Problem(self.table_name(table) if table else self.shown, None, None, message)])

    def _connect_postgresql(self) -> None:
        try:
            import psycopg
        except ImportError:  # pinned in pyproject.toml: only a broken install lacks it
            raise self._error(None, "reading PostgreSQL needs the psycopg package (pip install 'psycopg[binary]')") from None
        url = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", self.source)
        try:
            self.con = psycopg.connect(url, connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            raise self._error(None, f"cannot connect to the database ({_short(exc)}): check the URL, that the "
                                    "server runs, and the password (PGPASSWORD or ~/.pgpass)") from None

    def _file_views(self) -> None:
        """Views ``measurement``, ``cohort`` (and ``cohort_definition``) over the folder's CSV or
        Parquet files, every column read as text and cast to its type (a cell that does not cast
        is a problem naming the file, the key and the column: ``check_file_cells``)."""
        folder = Path(self.source)
        self.files = {}
        if not any((folder / f"{t}{x}").is_file() for t in TABLES for x in (".csv", ".parquet")):
            raise InputError([Problem(self.shown, None, None, "this is a folder, not a cohort file: give the path of a "
                                      "CSV, XLSX or Parquet file, an ADaM dataset, or an OMOP folder holding "
                                      "measurement.csv and cohort.csv")])
        for table in (*TABLES, *OPTIONAL_TABLES):
            found = [folder / f"{table}{suffix}" for suffix in (".csv", ".parquet")]
            found = [p for p in found if p.is_file()]
            if not found:
                if table in OPTIONAL_TABLES:
                    continue
                raise InputError([Problem(str(Path(self.shown) / f"{table}.csv"), None, None,
                                          f"file not found: an OMOP folder needs {table}.csv (or {table}.parquet): "
                                          "the folder has " + (", ".join(sorted(p.name for p in folder.iterdir())[:10])
                                                               or "no file"))])
            path = found[0]
            self.files[table] = path.name
            literal = str(path).replace("'", "''")
            reader = (f"read_parquet('{literal}')" if path.suffix == ".parquet"
                      else f"read_csv('{literal}', header = true, all_varchar = true)")
            try:
                self.con.execute(f'CREATE VIEW "raw_{table}" AS SELECT * FROM {reader}')
                have = [d[0].lower() for d in self.con.execute(f'SELECT * FROM "raw_{table}" LIMIT 0').description]
            except Exception as exc:  # duckdb's errors: a malformed file
                raise self._error(table, f"cannot read this file ({_short(exc)})") from None
            types = TABLES.get(table) or OPTIONAL_TABLES[table]
            missing = [c for c in types if c not in have and (table != "person" or c in PERSON_REQUIRED)]
            if missing:
                raise InputError([Problem(self.table_name(table), None, c, f"column {c} missing (the file has: "
                                          f"{', '.join(have[:20])})") for c in missing])
            casts = ", ".join(f'TRY_CAST("{c}" AS {t}) AS {c}' for c, t in types.items() if c in have)
            self.con.execute(f'CREATE VIEW "{table}" AS SELECT {casts} FROM "raw_{table}"')

    def check_file_cells(self) -> list[Problem]:
        """Cells of the CSV files that are not of their column's type (a text that is no
        number, a date that is not YYYY-MM-DD), located by the table's key."""
        problems: list[Problem] = []
        keys = {"measurement": "measurement_id", "cohort": "subject_id", "cohort_definition": "cohort_definition_id",
                "person": "person_id"}
        for table in self.files:
            types = TABLES.get(table) or OPTIONAL_TABLES[table]
            have = self.columns(f"raw_{table}", prefixed=False) or []
            for c, t in types.items():
                if t == "VARCHAR" or c not in have:
                    continue
                key = keys[table]
                rows = self.con.execute(
                    f'SELECT "{key}", "{c}" FROM "raw_{table}" WHERE "{c}" IS NOT NULL AND trim(CAST("{c}" AS VARCHAR)) <> \'\' '
                    f'AND TRY_CAST("{c}" AS {t}) IS NULL LIMIT {MAX_LISTED}').fetchall()
                for k, v in rows:
                    row = int(k) if str(k).strip().lstrip("-").isdigit() else None
                    what = "a date YYYY-MM-DD" if t == "DATE" else "a number"
                    problems.append(Problem(self.table_name(table), row, c, f"not {what}: {v!r}"
                                            + ("" if row is not None or c == key else f" ({key} {k!r})")))
        return problems

    def columns(self, table: str, prefixed: bool = True) -> list[str] | None:
        """The columns of a table (lower case), or None when the source has no such table."""
        try:
            name = f"{self.prefix}{table}" if prefixed else f'"{table}"'
            return [str(d[0]).lower() for d in self._describe(f"SELECT * FROM {name} WHERE 1 = 0")]
        except Exception:  # no such table (duckdb.CatalogException, psycopg.errors.UndefinedTable)
            if self.kind == "postgresql":
                self.con.rollback() if not self.con.autocommit else None
            return None

    def _describe(self, sql: str):
        if self.kind == "postgresql":
            with self.con.cursor() as cur:
                cur.execute(sql)
                return cur.description
        return self.con.execute(sql).description

    def query(self, sql: str) -> pd.DataFrame:
        """A (small) query's rows as a DataFrame (InputError naming the source when it fails)."""
        return self.query_arrow(sql).to_pandas()

    def query_arrow(self, sql: str, types: dict | None = None):
        """A query's rows as a pyarrow Table, fetched in bulk, column by column (no Python
        object per row): DuckDB hands over Arrow (``to_arrow_table``); PostgreSQL streams ``COPY (sql) TO STDOUT``
        as CSV, read by pyarrow with ``types`` (column -> pyarrow type) where given.
        InputError naming the source when it fails."""
        try:
            if self.kind == "postgresql":
                return self._copy_arrow(sql, types or {})
            return self.con.sql(sql).to_arrow_table()
        except InputError:
            raise
        except Exception as exc:  # the database's own errors
            raise self._error(None, f"the query of the HbA1c rows failed ({_short(exc)})") from None

    def _copy_arrow(self, sql: str, types: dict):
        """PostgreSQL: the rows of ``sql`` by ``COPY ... TO STDOUT`` (CSV with a header; an empty
        field is NULL, an empty text is quoted) into a pyarrow Table, block by block."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        blocks = []
        with self.con.cursor() as cur:
            with cur.copy(f"COPY ({sql.strip()}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                for block in copy:
                    blocks.append(bytes(block))
        data = b"".join(blocks)
        del blocks
        return pacsv.read_csv(pa.BufferReader(data), convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False))

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:  # closing never matters more than the answer
            pass


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def check_tables(src: _Source) -> None:
    """InputError naming each missing table or column of the source."""
    problems = []
    for table, columns in TABLES.items():
        have = src.columns(table)
        if have is None:
            problems.append(Problem(src.table_name(table), None, None,
                                    f"table {table} not found{' in schema ' + src.prefix.strip(chr(34) + '.') if src.prefix else ''}: "
                                    "an OMOP source needs measurement and cohort (-p omop_schema=NAME names the schema)"))
            continue
        problems += [Problem(src.table_name(table), None, c, f"column {c} missing from table {table}")
                     for c in columns if c not in have]
    if problems:
        raise InputError(problems)


def cohort_names(src: _Source) -> dict[int, str]:
    """cohort_definition_id -> cohort_definition_name (empty without the table)."""
    have = src.columns("cohort_definition")
    if not have or "cohort_definition_name" not in have:
        return {}
    frame = src.query(f"SELECT cohort_definition_id, cohort_definition_name FROM {src.prefix}cohort_definition")
    return {int(i): str(n).strip() for i, n in zip(frame["cohort_definition_id"], frame["cohort_definition_name"])
            if pd.notna(i) and pd.notna(n) and str(n).strip()}


CANONICAL_BLOCK = 1 << 20  # rows turned into text at a time (the hash never holds the whole text)
DATE_COLUMNS = ("measurement_date", "time_zero")
NO_UNIT = np.iinfo(np.int64).min  # an empty unit_concept_id, as a number


def arrow_types() -> dict:
    """The pyarrow type of each column of the query (``CANONICAL_COLUMNS``)."""
    import pyarrow as pa

    return {c: pa.date32() if c in DATE_COLUMNS else pa.float64() if c == "value_as_number" else pa.int64()
            for c in CANONICAL_COLUMNS}


def typed_rows(rows):
    """The query's rows (a pyarrow Table, or a DataFrame for small tables and tests) as a
    pyarrow Table of ``CANONICAL_COLUMNS`` with the types of ``arrow_types``: whole numbers
    int64, dates date32, ``value_as_number`` float64 (a DECIMAL column through its exact text,
    so the double is the correctly rounded one, as PostgreSQL's text gives)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(rows, pd.DataFrame):
        columns = {}
        for c, t in arrow_types().items():
            v = rows[c]
            if c in DATE_COLUMNS:
                columns[c] = pa.array(pd.to_datetime(v).to_numpy().astype("datetime64[D]"), type=t, from_pandas=True)
            elif c == "value_as_number":
                columns[c] = pa.array(pd.to_numeric(v, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
                                      type=t, from_pandas=True)
            else:
                columns[c] = pa.array(pd.array(pd.to_numeric(v), dtype="Int64"), type=t, from_pandas=True)
        return pa.table(columns)
    columns = {}
    for c, t in arrow_types().items():
        v = rows.column(c)
        if v.type != t:
            if pa.types.is_decimal(v.type):
                v = pc.cast(pc.cast(v, pa.string()), t)
            elif pa.types.is_timestamp(v.type):
                v = pc.cast(pc.cast(v, pa.timestamp("s")), pa.date32()) if c in DATE_COLUMNS else pc.cast(v, t)
            else:
                v = pc.cast(v, t)
        columns[c] = v
    return pa.table(columns)


def canonical_blocks(rows):
    """The extracted rows as canonical CSV, block by block (bytes-like): the text ``data.sha256``
    hashes. The columns ``CANONICAL_COLUMNS`` in that order, a header line, rows sorted by
    ``measurement_id``, ``\\n`` line ends, no quoting, an empty field for a missing value, whole
    numbers in decimal digits, ``value_as_number`` as the shortest text that reads back as the
    same double (Arrow's cast: 8 for 8.0, 7.1, 0.30000000000000004, 1e+20), dates YYYY-MM-DD.
    ``rows``: ``typed_rows``' table (a DataFrame is typed first). Written by pyarrow's CSV
    writer, blocks on every core at once, handed out in order (10,000,000 rows: see
    docs/performance.md)."""
    import pyarrow as pa

    table = typed_rows(rows) if isinstance(rows, pd.DataFrame) else rows
    yield (",".join(CANONICAL_COLUMNS) + "\n").encode("utf-8")
    table = table.select(list(CANONICAL_COLUMNS))
    keys = table.column("measurement_id").to_numpy(zero_copy_only=False)
    order = None if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])) else np.argsort(keys, kind="stable")
    del keys

    def block(at: int):
        part = (table.slice(at, CANONICAL_BLOCK) if order is None
                else table.take(pa.array(order[at:at + CANONICAL_BLOCK])))
        return csv_text(part)

    yield from in_order(block, range(0, table.num_rows, CANONICAL_BLOCK))


def csv_text(table):
    """A table's rows as CSV without a header (pyarrow's writer: ``\\n`` line ends, no quoting,
    an empty field for a null, each value as pyarrow's cast to text writes it); a pyarrow Buffer."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16))
    return sink.getvalue()


def in_order(make, items, workers: int | None = None):
    """``make(item)`` of each item, yielded in the items' order, computed by up to ``workers``
    threads at a time (default: the cores; pyarrow releases the GIL) with at most twice that
    many results held."""
    import os
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    workers = workers or max(1, min(4, os.cpu_count() or 1))
    items = iter(items)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = deque(pool.submit(make, item) for _, item in zip(range(2 * workers), items))
        while pending:
            result = pending.popleft().result()
            for item in items:
                pending.append(pool.submit(make, item))
                break
            yield result


def canonical_csv(rows) -> bytes:
    """The canonical CSV of the extracted rows, whole (``canonical_blocks``; small tables)."""
    return b"".join(bytes(block) for block in canonical_blocks(rows))


def canonical_sha256(rows, persons=None) -> str:
    """SHA-256 of ``canonical_csv(rows)``, hashed block by block; followed by the person rows'
    canonical CSV (``person_csv_blocks``) when the person table was read."""
    digest = hashlib.sha256()
    for block in canonical_blocks(rows):
        digest.update(block)
    for block in person_csv_blocks(persons) if persons is not None else ():
        digest.update(block)
    return digest.hexdigest()


def unit_problems(measurement_id: np.ndarray, unit: np.ndarray, name: str) -> list[Problem]:
    """A Problem for each row whose unit concept is neither percent, mmol/mol, 0 nor empty
    (``unit``: the concept ids, ``NO_UNIT`` for empty)."""
    bad = np.flatnonzero(~np.isin(unit, [NO_UNIT, 0, UNIT_PERCENT, UNIT_MMOL_MOL]))[:MAX_LISTED]
    return [Problem(name, int(measurement_id[i]), "unit_concept_id", f"unit concept {int(unit[i])} is not an HbA1c "
                                                                      "unit: use 8554 (percent) or 9579 (mmol/mol)")
            for i in bad]


def read_omop(source, params: dict) -> FieldData:
    """An OMOP source as the long frame (see the module's rules)."""
    concepts = parse_ids(params.get("omop_concepts", "3004410,3005673"), "omop_concepts")
    chosen = str(params.get("omop_cohort_ids", "all") or "all").strip()
    cohort_ids = None if chosen.lower() == "all" else parse_ids(chosen, "omop_cohort_ids")
    src = _Source(source, params)
    try:
        if src.layout == "omop_files":
            problems = src.check_file_cells()
            if problems:
                raise InputError(problems)
        else:
            check_tables(src)
        names = cohort_names(src)
        rows = typed_rows(src.query_arrow(hba1c_query(src.prefix, concepts, cohort_ids), arrow_types()))
        persons = read_persons(src, cohort_ids)
        if cohort_ids:
            present = set(src.query(f"SELECT DISTINCT cohort_definition_id FROM {src.prefix}cohort")
                          ["cohort_definition_id"].dropna().astype("int64"))
            unknown = [i for i in cohort_ids if i not in present]
            if unknown:
                raise InputError([Problem(src.table_name("cohort"), None, "cohort_definition_id",
                                          f"omop_cohort_ids: no cohort {', '.join(map(str, unknown))} in the cohort table "
                                          f"(it has {', '.join(map(str, sorted(present)[:20])) or 'none'})")])
    finally:
        src.close()
    return long_frame(rows, src, names, params, persons)


def _numbers(rows, column: str, missing) -> np.ndarray:
    """A column of ``typed_rows``' table as a numpy array, ``missing`` for a null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = rows.column(column)
    if isinstance(missing, float) and not pa.types.is_floating(cells.type):
        cells = pc.cast(cells, pa.float64())
    return pc.fill_null(cells, missing).to_numpy()


def read_persons(src: _Source, cohort_ids: tuple[int, ...] | None):
    """The person rows of the selected cohorts' persons (``person_query``) as a pyarrow Table
    typed as ``PERSON_COLUMNS`` plus ``time_zero``, or None when the source has no person
    table or it holds none of these persons. InputError naming a missing required column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    have = src.columns("person")
    if have is None:
        return None
    missing = [c for c in PERSON_REQUIRED if c not in have]
    if missing:
        raise InputError([Problem(src.table_name("person"), None, c, f"column {c} missing from table person "
                                  "(sex and age come from gender_concept_id and year_of_birth)") for c in missing])
    types = {**{c: pa.int64() for c in PERSON_COLUMNS}, "time_zero": pa.date32()}
    table = src.query_arrow(person_query(src.prefix, cohort_ids, have), types)
    if table.num_rows == 0:  # an empty person table (or none of these persons): as if there were none
        return None
    columns = {}
    for c, t in types.items():
        v = table.column(c)
        if v.type != t:
            v = pc.cast(pc.cast(v, pa.timestamp("s")), t) if pa.types.is_timestamp(v.type) else pc.cast(v, t)
        columns[c] = v
    return pa.table(columns)


def age_years(persons) -> np.ndarray:
    """Each person's age at time zero (the earliest selected cohort_start_date) in completed
    years (float; NaN without a year of birth): whole years since the birthday (born 1960-05-20:
    63 on 2024-05-19, 64 on 2024-05-20), a missing ``month_of_birth`` read as January and a
    missing ``day_of_birth`` as the 1st (the year only: time zero's year minus the year of birth)."""
    zero = persons.column("time_zero").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    year = zero.astype("datetime64[Y]").astype("int64") + 1970
    month = zero.astype("datetime64[M]").astype("int64") % 12 + 1
    day = (zero - zero.astype("datetime64[M]")).astype("int64") + 1
    born = _numbers(persons, "year_of_birth", -1).astype("float64")
    born[born < 0] = np.nan
    born_month = _numbers(persons, "month_of_birth", 1)
    born_day = _numbers(persons, "day_of_birth", 1)
    before = (month < born_month) | ((month == born_month) & (day < born_day))  # the birthday not reached yet
    return year - born - before


def person_columns(persons, person_id: np.ndarray) -> dict:
    """``sex`` and ``age_years`` for each measurement row (``person_id``: the row's person), as
    ``object_cells``: sex "male" (gender_concept_id
    8507) or "female" (8532), missing for any other concept or a person without a person row;
    age as ``age_years``' whole numbers written as text, missing without a year of birth."""
    ids = persons.column("person_id").to_numpy(zero_copy_only=False)
    if not len(ids):
        ids = np.array([np.iinfo(np.int64).min])  # no person: nobody is found
    at = np.clip(np.searchsorted(ids, person_id), 0, len(ids) - 1)
    found = ids[at] == person_id
    gender = _numbers(persons, "gender_concept_id", 0)
    sex_code = np.select([gender == k for k in GENDER], list(range(len(GENDER))), -1)
    age = age_years(persons)
    ages = np.unique(age[~np.isnan(age)]).astype("int64")
    age_code = np.where(np.isnan(age), -1, np.searchsorted(ages, np.nan_to_num(age, nan=0).astype("int64")))
    return {"sex": object_cells(list(GENDER.values()), np.where(found, sex_code[at], -1)),
            "age_years": object_cells([str(a) for a in ages], np.where(found, age_code[at], -1))}


def object_cells(values: list, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[code]`` for each code (-1: missing) as pandas' ``str`` column (Arrow text), made
    by one Arrow ``take`` of the few texts: the dtype pandas gives an object array of texts put
    in a frame, without its per-row conversion (10,000,000 rows: 0.3 instead of 1.7 CPU s a
    column; docs/performance.md)."""
    import pyarrow as pa

    table = pa.array([*values, None], type=pa.large_string())
    return pd.array(table.take(pa.array(np.where(codes < 0, len(values), codes))), dtype="str")


def person_csv_blocks(persons):
    """The person rows read, as canonical CSV (``PERSON_COLUMNS`` with a header, by person_id,
    empty fields for nulls): hashed after the HbA1c rows into ``data.sha256``."""
    yield (",".join(PERSON_COLUMNS) + "\n").encode("utf-8")
    table = persons.select(list(PERSON_COLUMNS))
    yield from in_order(lambda at: csv_text(table.slice(at, CANONICAL_BLOCK)), range(0, table.num_rows, CANONICAL_BLOCK))


def long_frame(rows, src: _Source, names: dict[int, str], params: dict, persons=None) -> FieldData:
    """The query's rows (``typed_rows``' pyarrow Table) as the long frame (index
    measurement_id), with the rows and persons excluded and their reasons. Column by column
    on numpy arrays: no Python object per row (10,000,000 rows: see docs/performance.md)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    name = src.table_name("measurement")
    if rows.num_rows == 0:
        raise InputError([Problem(name, None, "measurement_concept_id", "no HbA1c measurement (concepts "
                                  f"{params.get('omop_concepts', '3004410,3005673')}) of a person in the selected cohorts")])
    measurement_id = _numbers(rows, "measurement_id", -1)
    unit_read = _numbers(rows, "unit_concept_id", NO_UNIT)
    problems = unit_problems(measurement_id, unit_read, name)
    no_key = rows.column("measurement_id").is_null().to_numpy(zero_copy_only=False)
    if no_key.any():
        problems.append(Problem(name, None, "measurement_id", f"{int(no_key.sum())} HbA1c rows without measurement_id"))
    keyed = measurement_id[~no_key]
    if len(keyed) > 1 and not bool(np.all(keyed[1:] > keyed[:-1])):  # the query orders by measurement_id
        ordered = np.sort(keyed)
        twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        problems += [Problem(name, int(m), "measurement_id", "measurement_id appears twice") for m in twice[:MAX_LISTED]]
    if problems:
        raise InputError(problems)
    sha256 = canonical_sha256(rows, persons)
    fallback = str(params.get("omop_unit", "none") or "none").strip().lower()
    no_unit_read = (unit_read == NO_UNIT) | (unit_read == 0)
    unit = np.where(no_unit_read, {"percent": UNIT_PERCENT, "mmol_mol": UNIT_MMOL_MOL}.get(fallback, 0), unit_read)
    del unit_read
    hba1c = _numbers(rows, "value_as_number", np.nan)  # NGSP %: converted in place (10,000,000 rows: no copies)
    ifcc = unit == UNIT_MMOL_MOL
    if ifcc.any():
        hba1c = hba1c.copy() if not hba1c.flags.writeable else hba1c  # Arrow's buffer is read-only
        hba1c[ifcc] = ifcc_to_ngsp(hba1c[ifcc])
    del ifcc
    cohort_id = _numbers(rows, "cohort_definition_id", -1)
    ids = np.unique(cohort_id)
    arm_names = pa.array([names.get(int(i), f"cohort {int(i)}") for i in ids], type=pa.large_string())
    arm_code = np.searchsorted(ids, cohort_id).astype(np.int8 if len(ids) < 127 else np.int32)
    del cohort_id
    n_cohorts = _numbers(rows, "n_cohorts", 1)
    in_two = n_cohorts > 1
    excluded: list[tuple[int, str, str]] = []
    if in_two.any():
        person = _numbers(rows, "person_id", -1)
        two_person, first, two_n = person[in_two], measurement_id[in_two], n_cohorts[in_two]
        del person
        order = np.lexsort((first, two_person))
        starts = np.flatnonzero(np.r_[True, two_person[order][1:] != two_person[order][:-1]])
        for at in order[starts]:
            excluded.append((int(first[at]), f"COHORT: person in {int(two_n[at])} of the selected cohorts (no one arm)",
                             ""))
    del n_cohorts
    no_value = np.isnan(hba1c) & ~in_two
    no_unit = (unit == 0) & ~no_value & ~in_two
    del unit
    for at in np.flatnonzero(no_value):
        excluded.append((int(measurement_id[at]), "MEASUREMENT: value_as_number empty (no HbA1c value)",
                         arm_names[int(arm_code[at])].as_py()))
    for at in np.flatnonzero(no_unit):
        excluded.append((int(measurement_id[at]), "MEASUREMENT: no unit (unit_concept_id 0 or empty; "
                                                  "-p omop_unit=percent|mmol_mol gives it)",
                         arm_names[int(arm_code[at])].as_py()))
    keep = ~(in_two | no_value | no_unit)
    del in_two, no_value, no_unit
    every = bool(keep.all())
    at = None if every else np.flatnonzero(keep)

    def kept(array):
        """The rows kept, of a column of every row (no copy when every row is kept)."""
        return array if every else array[at]

    person_id = rows.column("person_id") if every else rows.column("person_id").take(pa.array(at))
    person = pc.cast(person_id, pa.large_string()).combine_chunks()  # Arrow text: no str per row
    out = pd.DataFrame({"patient_id": pd.arrays.ArrowStringArray(person), "hba1c": kept(hba1c)},
                       index=pd.Index(kept(measurement_id), name="row"))
    del person, hba1c
    out["days"] = kept(_numbers(rows, "days", np.nan))
    arm_code = kept(arm_code)
    if len(np.unique(arm_code)) >= 2:  # the few names' objects repeated: no text made per row
        out["arm"] = object_cells(arm_names.to_pylist(), arm_code)
    del arm_code
    if persons is not None:
        for column, cells in person_columns(persons, pc.fill_null(person_id, -1).to_numpy()).items():
            out[column] = cells
    del person_id
    notes = []
    if no_unit_read.any() and fallback in ("percent", "mmol_mol"):
        notes.append(note(name, "unit_concept_id", f"{int(no_unit_read.sum())} "
                                                   f"rows without a unit concept read as {fallback} (omop_unit)"))
    if out.empty:
        raise InputError([Problem(name, None, None, "no HbA1c measurement left to analyse: "
                                  + "; ".join(sorted({e[1] for e in excluded})[:5]))])
    return FieldData(layout=src.layout, shown=src.shown, name=name, frame=out, sha256=sha256,
                     excluded=tuple(excluded), notes=tuple(notes), table="MEASUREMENT",
                     headers={"patient_id": "person_id", "hba1c": "value_as_number", "days": "measurement_date",
                              **({"arm": "cohort_definition_id"} if "arm" in out.columns else {}),
                              **({"sex": "gender_concept_id", "age_years": "year_of_birth"} if persons is not None else {})})
