"""OMOP CDM v5.4 (MEASUREMENT + COHORT) read into the project's long frame (see ``field_files``).

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
* an empty ``value_as_number`` excludes the row with its reason.

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


def hba1c_query(prefix: str, concepts: tuple[int, ...], cohort_ids: tuple[int, ...] | None) -> str:
    """The one query of every source: the HbA1c rows of persons in the selected cohorts, with
    each person's time zero (earliest cohort_start_date among the selected cohorts), the number
    of selected cohorts the person is in, and days since time zero. ``prefix``: '' or a quoted
    schema and a dot. The ids are whole numbers (``parse_ids``), written into the text."""
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
)
SELECT m.measurement_id, m.person_id, m.measurement_concept_id, m.measurement_date, m.value_as_number,
       m.unit_concept_id, p.cohort_definition_id, p.n_cohorts, p.time_zero,
       CAST(m.measurement_date - p.time_zero AS BIGINT) AS days
FROM {prefix}measurement m
JOIN persons p ON m.person_id = p.subject_id
WHERE m.measurement_concept_id IN ({', '.join(str(int(c)) for c in concepts)})
ORDER BY m.measurement_id
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
        for table in (*TABLES, "cohort_definition"):
            found = [folder / f"{table}{suffix}" for suffix in (".csv", ".parquet")]
            found = [p for p in found if p.is_file()]
            if not found:
                if table == "cohort_definition":
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
            types = TABLES.get(table, DEFINITION_COLUMNS)
            missing = [c for c in types if c not in have]
            if missing:
                raise InputError([Problem(self.table_name(table), None, c, f"column {c} missing (the file has: "
                                          f"{', '.join(have[:20])})") for c in missing])
            casts = ", ".join(f'TRY_CAST("{c}" AS {t}) AS {c}' for c, t in types.items())
            self.con.execute(f'CREATE VIEW "{table}" AS SELECT {casts} FROM "raw_{table}"')

    def check_file_cells(self) -> list[Problem]:
        """Cells of the CSV files that are not of their column's type (a text that is no
        number, a date that is not YYYY-MM-DD), located by the table's key."""
        problems: list[Problem] = []
        keys = {"measurement": "measurement_id", "cohort": "subject_id", "cohort_definition": "cohort_definition_id"}
        for table in self.files:
            types = TABLES.get(table, DEFINITION_COLUMNS)
            for c, t in types.items():
                if t == "VARCHAR":
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

    def columns(self, table: str) -> list[str] | None:
        """The columns of a table (lower case), or None when the source has no such table."""
        try:
            return [str(d[0]).lower() for d in self._describe(f"SELECT * FROM {self.prefix}{table} WHERE 1 = 0")]
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
        """A query's rows as a DataFrame (InputError naming the source when it fails)."""
        try:
            if self.kind == "postgresql":
                with self.con.cursor() as cur:
                    cur.execute(sql)
                    names = [d.name for d in cur.description]
                    return pd.DataFrame.from_records(cur.fetchall(), columns=names)
            return self.con.execute(sql).df()
        except InputError:
            raise
        except Exception as exc:  # the database's own errors
            raise self._error(None, f"the query of the HbA1c rows failed ({_short(exc)})") from None

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


def canonical_blocks(rows: pd.DataFrame):
    """The extracted rows as canonical CSV, block by block (bytes): the text ``data.sha256``
    hashes. The columns ``CANONICAL_COLUMNS`` in that order, a header line, rows sorted by
    ``measurement_id``, ``\\n`` line ends, no quoting, an empty field for a missing value, whole
    numbers in decimal digits, ``value_as_number`` as the shortest text that reads back as the
    same double (Arrow's cast: 8 for 8.0, 7.1, 0.30000000000000004, 1e+20), dates YYYY-MM-DD.
    Built column-wise by pyarrow (10,000,000 rows in seconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    yield (",".join(CANONICAL_COLUMNS) + "\n").encode("utf-8")
    keys = rows["measurement_id"].to_numpy()
    order = None if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])) else np.argsort(keys, kind="stable")
    for at in range(0, len(rows), CANONICAL_BLOCK):
        take = slice(at, at + CANONICAL_BLOCK) if order is None else order[at:at + CANONICAL_BLOCK]
        texts = []
        for c in CANONICAL_COLUMNS:
            v = rows[c].iloc[take] if order is None else rows[c].take(take)
            if c in ("measurement_date", "time_zero"):
                cells = pa.array(pd.to_datetime(v).to_numpy().astype("datetime64[D]"), from_pandas=True)
            elif c == "value_as_number":
                cells = pa.array(v.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
            else:
                cells = pa.array(pd.array(v, dtype="Int64"), type=pa.int64(), from_pandas=True)
            texts.append(pc.fill_null(pc.cast(cells, pa.string()), ""))
        lines = pc.binary_join_element_wise(*texts, ",")
        lines = pc.binary_join_element_wise(lines, pa.scalar(""), "\n")  # each line ends with \n
        yield _string_bytes(lines)


def _string_bytes(array) -> bytes:
    """The concatenated values of a pyarrow string array without nulls (its data buffer)."""
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    return data.to_pybytes()[offsets[0]:offsets[-1]] if len(array) else b""


def canonical_csv(rows: pd.DataFrame) -> bytes:
    """The canonical CSV of the extracted rows, whole (``canonical_blocks``; small tables)."""
    return b"".join(canonical_blocks(rows))


def canonical_sha256(rows: pd.DataFrame) -> str:
    """SHA-256 of ``canonical_csv(rows)``, hashed block by block."""
    digest = hashlib.sha256()
    for block in canonical_blocks(rows):
        digest.update(block)
    return digest.hexdigest()


def unit_problems(rows: pd.DataFrame, name: str) -> list[Problem]:
    """A Problem for each row whose unit concept is neither percent, mmol/mol, 0 nor empty."""
    unit = rows["unit_concept_id"]
    bad = unit.notna() & ~unit.isin([0, UNIT_PERCENT, UNIT_MMOL_MOL])
    return [Problem(name, int(m), "unit_concept_id", f"unit concept {int(u)} is not an HbA1c unit: use 8554 "
                                                      "(percent) or 9579 (mmol/mol)")
            for m, u in zip(rows.loc[bad, "measurement_id"], unit[bad])][:MAX_LISTED]


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
        rows = src.query(hba1c_query(src.prefix, concepts, cohort_ids))
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
    return long_frame(rows, src, names, params)


def long_frame(rows: pd.DataFrame, src: _Source, names: dict[int, str], params: dict) -> FieldData:
    """The query's rows as the long frame (index measurement_id), with the rows and persons
    excluded and their reasons."""
    name = src.table_name("measurement")
    cohort_table = src.table_name("cohort")
    if rows.empty:
        raise InputError([Problem(name, None, "measurement_concept_id", "no HbA1c measurement (concepts "
                                  f"{params.get('omop_concepts', '3004410,3005673')}) of a person in the selected cohorts")])
    for c in ("measurement_id", "person_id", "cohort_definition_id", "n_cohorts", "days"):
        rows[c] = pd.to_numeric(rows[c])
    rows["value_as_number"] = pd.to_numeric(rows["value_as_number"], errors="coerce").astype("float64")
    rows["unit_concept_id"] = pd.to_numeric(rows["unit_concept_id"]).astype("Float64")
    problems = unit_problems(rows, name)
    no_key = rows["measurement_id"].isna()
    if no_key.any():
        problems.append(Problem(name, None, "measurement_id", f"{int(no_key.sum())} HbA1c rows without measurement_id"))
    dup = rows["measurement_id"].duplicated(keep="first") & ~no_key
    problems += [Problem(name, int(m), "measurement_id", "measurement_id appears twice")
                 for m in rows.loc[dup, "measurement_id"]][:MAX_LISTED]
    if problems:
        raise InputError(problems)
    sha256 = canonical_sha256(rows)
    fallback = str(params.get("omop_unit", "none") or "none").strip().lower()
    unit = rows["unit_concept_id"].fillna(0).astype("int64").to_numpy()
    unit = np.where(unit == 0, {"percent": UNIT_PERCENT, "mmol_mol": UNIT_MMOL_MOL}.get(fallback, 0), unit)
    value = rows["value_as_number"].to_numpy()
    hba1c = np.where(unit == UNIT_MMOL_MOL, ifcc_to_ngsp(value), value)
    cohort_id = rows["cohort_definition_id"].astype("int64")
    arms_of = pd.Series({int(i): names.get(int(i), f"cohort {int(i)}") for i in cohort_id.unique()}, dtype=object)
    arm = pd.Series(arms_of.reindex(cohort_id.to_numpy()).to_numpy(), index=rows.index, dtype=object)
    excluded: list[tuple[int, str, str]] = []
    in_two = (rows["n_cohorts"] > 1).to_numpy()
    for pid, first in rows.loc[in_two].groupby("person_id")["measurement_id"].min().items():
        n = int(rows.loc[rows["person_id"] == pid, "n_cohorts"].iloc[0])
        excluded.append((int(first), f"COHORT: person in {n} of the selected cohorts (no one arm)", ""))
    no_value = np.isnan(value) & ~in_two
    no_unit = (unit == 0) & ~no_value & ~in_two
    for m, a in zip(rows.loc[no_value, "measurement_id"], arm[no_value]):
        excluded.append((int(m), "MEASUREMENT: value_as_number empty (no HbA1c value)", a))
    for m, a in zip(rows.loc[no_unit, "measurement_id"], arm[no_unit]):
        excluded.append((int(m), "MEASUREMENT: no unit (unit_concept_id 0 or empty; -p omop_unit=percent|mmol_mol "
                                 "gives it)", a))
    keep = ~(in_two | no_value | no_unit)
    import pyarrow as pa

    person = pa.array(rows["person_id"].to_numpy(dtype="int64")).cast(pa.large_string())  # Arrow text: no str per row
    out = pd.DataFrame({"patient_id": pd.arrays.ArrowStringArray(person),
                        "hba1c": hba1c, "days": rows["days"].astype("float64").to_numpy()},
                       index=pd.Index(rows["measurement_id"].astype("int64").to_numpy(), name="row"))
    if len(set(arm[keep])) >= 2:
        out["arm"] = arm.to_numpy()
    out = out[keep]
    notes = []
    if (unit == 0).any() and fallback in ("percent", "mmol_mol"):
        notes.append(note(name, "unit_concept_id", f"{int(((rows['unit_concept_id'].fillna(0) == 0).to_numpy()).sum())} "
                                                   f"rows without a unit concept read as {fallback} (omop_unit)"))
    if out.empty:
        raise InputError([Problem(name, None, None, "no HbA1c measurement left to analyse: "
                                  + "; ".join(sorted({e[1] for e in excluded})[:5]))])
    del cohort_table
    return FieldData(layout=src.layout, shown=src.shown, name=name, frame=out, sha256=sha256,
                     excluded=tuple(excluded), notes=tuple(notes), table="MEASUREMENT",
                     headers={"patient_id": "person_id", "hba1c": "value_as_number", "days": "measurement_date",
                              **({"arm": "cohort_definition_id"} if "arm" in out.columns else {})})
