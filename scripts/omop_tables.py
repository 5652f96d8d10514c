"""Write OMOP CDM tables: the one writer of scripts/field_trial.py (the constructed trial, CSV)
and scripts/bench_omop.py (10,000,000 rows, Parquet), and the copy of such a folder into DuckDB.

    write_omop_tables(folder, {"measurement": table, "cohort": ..., "person": ...}, "csv")
    omop_duckdb(folder, Path("cdm.duckdb"))

A table is a pandas DataFrame or a pyarrow Table whose date columns hold dates; CSV files get
ISO dates (YYYY-MM-DD) and empty fields for nulls (pandas' CSV), as an OMOP export has them.
"""

from __future__ import annotations

from pathlib import Path

TABLES = ("measurement", "cohort", "cohort_definition", "person")  # in the order written


def write_omop_tables(folder: Path, tables: dict, fmt: str = "csv") -> Path:
    """Each table as ``folder/<name>.csv`` or ``.parquet`` (``fmt``); returns the folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be csv or parquet, not {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table if isinstance(table, pa.Table) else pa.Table.from_pandas(table, preserve_index=False),
                           path)
        else:
            (table.to_pandas() if isinstance(table, pa.Table) else table).to_csv(path, index=False)
    return folder


def omop_duckdb(folder: Path, path: Path) -> Path:
    """The folder's OMOP tables (CSV or Parquet, as ``write_omop_tables`` wrote them) copied
    into the DuckDB file ``path`` (tables replaced); returns it."""
    import duckdb

    folder = Path(folder)
    with duckdb.connect(str(path)) as con:
        for name in TABLES:
            for fmt, reader in (("parquet", "read_parquet"), ("csv", "read_csv")):
                file = folder / f"{name}.{fmt}"
                if file.is_file():
                    literal = str(file).replace("'", "''")
                    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {reader}('{literal}')")
                    break
    return path
