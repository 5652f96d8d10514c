"""Stress the cohort reader (issue 14.8): wide files, a FIFO, a device.

    .venv/bin/python scripts/stress_input.py            # prints one line per case

Wide files: 5 rows x N columns (3 dictionary columns, the rest unknown), N doubling up to
60,000; the time to read and validate (``load_cohort``, in-process, best of 3) should grow
linearly (ratio about 2 per doubling, not 4). FIFO and /dev/zero: ``mscreport validate``
must answer at once with exit 2 (a timeout of 60 s marks a hang). Timings depend on the
machine's load; the tests assert only the results (tests/test_validation.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_wide(folder: Path, n: int) -> Path:
    """A 5-row CSV with n columns."""
    path = folder / f"wide_{n}.csv"
    header = ["patient_id", "hba1c_baseline", "hba1c_followup"] + [f"extra_{j}" for j in range(n - 3)]
    rows = [",".join([f"P{i}", "7.5", "6.8"] + ["1"] * (n - 3)) for i in range(5)]
    path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def time_wide(folder: Path) -> None:
    from mscreport.inputs.cohort import load_cohort

    previous = None
    for n in (7_500, 15_000, 30_000, 60_000):
        path = write_wide(folder, n)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            cohort = load_cohort(path)
            best = min(best, time.perf_counter() - t0)
        assert cohort.rows_analysed == 5 and len(cohort.file_notes) == n - 3
        ratio = f"  x{best / previous:.2f} for twice the columns" if previous else ""
        print(f"wide 5 x {n:>6} columns: {best:6.2f} s{ratio}")
        previous = best


def time_refusal(label: str, path: Path) -> None:
    exe = Path(sys.executable).parent / "mscreport"
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([str(exe), "validate", str(path)], capture_output=True, text=True, timeout=60)
        outcome = f"exit {proc.returncode}: {proc.stderr.strip()}"
    except subprocess.TimeoutExpired:
        outcome = "HANG (killed after 60 s)"
    print(f"{label}: {time.perf_counter() - t0:.2f} s (whole command, interpreter start included), {outcome}")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        time_wide(folder)
        if hasattr(os, "mkfifo"):
            fifo = folder / "cohort.csv"
            os.mkfifo(fifo)
            time_refusal("FIFO", fifo)
        if Path("/dev/zero").exists():
            time_refusal("/dev/zero", Path("/dev/zero"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
