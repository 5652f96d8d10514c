#!/usr/bin/env python3
"""Benchmark of a long-file build (issue 10): a benchmark, not a timed test.

Writes a synthetic long cohort of N patients x 8 measurements (months 0, 3, 6, 12, 18, 24, 36,
48; the bundled long cohort's patient-level columns resampled, fresh ids, HbA1c from a random
intercept and slope per patient plus noise), then times ``mscreport build --force --data`` on
it: the wall time of the whole command as a user runs it (the figure for the target), then,
in a second build, the peak memory summed over the build and its descendants, as
``scripts/bench.py`` measures it (its sampler reads every process's smaps ten times a second:
about 2.5 CPU s over one build, which a 2-core machine takes from the build, so that build's
wall time is printed too but is not the build's own). In-process, before the builds: loading
+ deriving the cohort, and the trajectory analysis (time bins + mixed model) that chapter 07
runs, in wall and CPU seconds.

Usage: ``.venv/bin/python scripts/bench_long.py [--patients 100000] [--keep]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fmt_bytes, load_now, report_size, run_build  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VISITS = np.array([0, 3, 6, 12, 18, 24, 36, 48], dtype=float)


def make_long(n: int, path: Path, seed: int = 7) -> None:
    """N patients x 8 measurements, CSV."""
    rng = np.random.default_rng(seed)
    src = pd.read_csv(REPO / "data" / "reconstructed_cohort_long.csv", dtype=str).drop_duplicates("patient_id")
    pick = src.iloc[rng.integers(0, len(src), n)].reset_index(drop=True)
    intercept = np.clip(rng.normal(7.5, 1.0, n), 6.3, 12)
    slope = rng.normal(0.1, 0.3, n)
    k = len(VISITS)
    months = np.tile(VISITS, n)
    pid = np.repeat(np.arange(n), k)
    hba1c = np.clip(intercept[pid] - 0.6 * (months > 0) + slope[pid] * months / 12 + rng.normal(0, 0.3, n * k), 5, 15)
    frame = pick.drop(columns=["patient_id", "months", "hba1c"]).iloc[pid].reset_index(drop=True)
    frame.insert(0, "patient_id", [f"L{i:07d}" for i in pid])
    frame.insert(1, "months", months.astype(int))
    frame.insert(2, "hba1c", np.round(hba1c, 1))
    frame.to_csv(path, index=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=float, default=1e5)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    n = int(args.patients)
    tmp = Path(tempfile.mkdtemp(prefix="mscreport-bench-long-"))
    try:
        data = tmp / f"long_{n}.csv"
        t0 = time.perf_counter()
        make_long(n, data)
        print(f"wrote {n} patients x {len(VISITS)} measurements ({data.stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - t0:.1f} s")
        from mscreport.inputs.cohort import load_cohort
        from mscreport.analysis.trajectory import analyse_trajectory

        t0, c0 = time.perf_counter(), time.process_time()
        cohort = load_cohort(data)
        t_load, c_load = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        traj = analyse_trajectory(cohort)
        t_traj, c_traj = time.perf_counter() - t0, time.process_time() - c0
        m = traj.mixed
        print(f"in-process: load + derive {t_load:.1f} s ({c_load:.1f} CPU s); trajectory (bins + mixed model, "
              f"{m.engine}) {t_traj:.1f} s ({c_traj:.1f} CPU s); slope {m.slope_per_year['estimate']:.4f} per year, "
              f"converged {m.converged}")
        del cohort, traj
        out = tmp / "reports"
        res = run_build("--force", "--data", str(data), "--output", str(out))
        size, _ = report_size(out)
        print(f"mscreport build --force: {res['wall']:.1f} s wall (load {load_now()}), report {size / 2**20:.1f} MiB")
        for name, seconds in res["chapters"].items():
            print(f"  {name:<14} {seconds:.1f} s")
        mem = run_build("--force", "--data", str(data), "--output", str(out), measure_memory=True)
        print(f"peak memory (second build, sampled): RSS sum {fmt_bytes(mem['peak_sum'])} (PSS sum "
              f"{fmt_bytes(mem['peak_pss'])}); that build took {mem['wall']:.1f} s wall with the sampler running")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
