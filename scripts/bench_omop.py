#!/usr/bin/env python3
"""Benchmark of an OMOP CDM build at the field's scale (issue 25): a benchmark, not a timed test.

Writes an OMOP CDM of N persons x 10 HbA1c measurements (default 1,000,000 x 10 = 10,000,000
rows; two cohorts, one per arm; a baseline measurement before each person's cohort start and
nine after it) as a Parquet folder (measurement.parquet, cohort.parquet,
cohort_definition.parquet, person.parquet) and as a DuckDB file, then times, in this process, the extraction
(``omop.read_omop``: the one query and the long frame) and the whole load and validation
(``cohort.load_cohort``), with the peak RSS of this process; with ``--build`` also
``mscreport build --force --data`` on the Parquet folder, as a user runs it (wall time, and
the peak memory summed over the build's process tree in a second build, as scripts/bench.py
measures it).

Usage: ``.venv/bin/python scripts/bench_omop.py [--persons 1e6] [--build] [--keep]``
Targets (issue 25): <= 60 s and <= 4 GiB summed RSS for the build of 1e7 rows.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fmt_bytes, load_now, run_build  # noqa: E402
from omop_tables import omop_duckdb, write_omop_tables  # noqa: E402

START = np.datetime64("2020-01-06")


def make_omop(n: int, folder: Path, seed: int = 25) -> Path:
    """N persons x 10 measurements (days -14, 30, 60, ... 270 around each person's start) and
    the persons' sex and birth year, as Parquet (``omop_tables.write_omop_tables``)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    k = 10
    person = np.arange(1, n + 1, dtype=np.int64)
    arm = (person % 2 + 1).astype(np.int64)
    start = START + rng.integers(0, 700, n).astype("timedelta64[D]")
    days = np.concatenate([[-14], np.arange(1, k) * 30]).astype("timedelta64[D]")
    pid = np.repeat(person, k)
    base = np.clip(rng.normal(8.2, 0.9, n), 6.3, 13.0)
    effect = np.where(arm == 2, -0.8, -0.2)
    step = np.tile(np.arange(k), n)
    value = np.round(np.clip(base[pid - 1] + effect[pid - 1] * np.minimum(step, 4) / 4 + rng.normal(0, 0.4, n * k),
                             4.5, 16.0), 1)
    dates = np.repeat(start, k) + np.tile(days, n)
    meas = pa.table({"measurement_id": np.arange(1, n * k + 1, dtype=np.int64), "person_id": pid,
                     "measurement_concept_id": np.full(n * k, 3004410, dtype=np.int64),
                     "measurement_date": pa.array(dates.astype("datetime64[D]")),
                     "value_as_number": value, "unit_concept_id": np.full(n * k, 8554, dtype=np.int64)})
    del pid, step, value, dates
    cohort = pa.table({"cohort_definition_id": arm, "subject_id": person,
                       "cohort_start_date": pa.array(start.astype("datetime64[D]")),
                       "cohort_end_date": pa.array((start + 365).astype("datetime64[D]"))})
    definition = pa.table({"cohort_definition_id": np.array([1, 2], dtype=np.int64),
                           "cohort_definition_name": ["placebo", "msc"]})
    persons = pa.table({"person_id": person, "gender_concept_id": np.where(rng.random(n) < 0.5, 8507, 8532),
                        "year_of_birth": rng.integers(1940, 2000, n), "month_of_birth": rng.integers(1, 13, n),
                        "day_of_birth": rng.integers(1, 29, n)})
    return write_omop_tables(folder, {"measurement": meas, "cohort": cohort, "cohort_definition": definition,
                                      "person": persons}, "parquet")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(label: str, fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    print(f"{label}: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} CPU s, "
          f"peak RSS of this process {fmt_bytes(peak_rss())}", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=float, default=1e6)
    ap.add_argument("--build", action="store_true", help="also time mscreport build on the Parquet folder")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    n = int(args.persons)
    work = Path(tempfile.mkdtemp(prefix="bench-omop-"))
    print(f"load before: {load_now()}")
    try:
        folder = timed(f"write {n * 10:,} rows as Parquet", lambda: make_omop(n, work / "omop"))
        db = timed("copy them into DuckDB", lambda: omop_duckdb(folder, work / "cdm.duckdb"))
        from mscreport.inputs.cohort import load_cohort
        from mscreport.inputs.omop import read_omop
        from mscreport.inputs.params import resolve_params

        params = resolve_params()
        for source in (folder, db):
            data = timed(f"extract ({source.name}: the one query and the long frame)", lambda: read_omop(source, params))
            print(f"  {len(data.frame):,} HbA1c rows of {data.frame['patient_id'].nunique():,} persons")
            del data
        cohort = timed("load_cohort (extraction, long rules, validation) of the Parquet folder",
                       lambda: load_cohort(folder, params))
        print(f"  {cohort.rows_analysed:,} patients analysed")
        del cohort
        if args.build:
            out = work / "out"
            r = run_build("--force", "--data", str(folder), "--output", str(out))
            print(f"build (wall, as a user runs it): {r['wall']:.1f} s")
            r = run_build("--force", "--data", str(folder), "--output", str(out), measure_memory=True)
            print(f"build with the memory sampler: {r['wall']:.1f} s, peak summed RSS {fmt_bytes(r['peak_sum'])}")
    finally:
        print(f"load after: {load_now()}")
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
