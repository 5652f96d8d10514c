#!/usr/bin/env python3
"""CPU seconds of the validation and of each chapter's code on one cohort file, in one process
(a measurement, not a test): what a build spends on the analyses, without kernels, papermill
or rendering, and fair on a shared machine (``time.process_time``, not wall time).

The cohort is validated and saved as a snapshot as the build does (``cohort.load_cohort``,
``snapshot.save_snapshot``); each chapter's source (``notebooks/0N_*.py``) then runs with
``runpy`` under ``MSCREPORT_SNAPSHOT``, with the ``mscreport`` modules dropped between
chapters, as a reused kernel does. ``--profile PREFIX`` writes one cProfile file per step
(``PREFIX.val``, ``PREFIX.01``, ...), ``--outputs FILE`` everything the chapters printed
(their recorded results among it: compare two runs to see that no number moved).

Usage: ``.venv/bin/python scripts/chapter_cpu.py COHORT.csv [--chapters 1,3] [--profile /tmp/p] [--outputs /tmp/o.txt]``
(a synthetic cohort: ``scripts/bench.py --keep --sizes 1e6`` keeps the one it writes).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import resource
import runpy
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="cohort file")
    ap.add_argument("--chapters", default="1,2,3,4,5,6,7", help="chapter numbers, comma-separated")
    ap.add_argument("--profile", default="", help="prefix of the cProfile files to write")
    ap.add_argument("--outputs", default="", help="file for what the chapters print")
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(REPO / "lib"))
    os.chdir(REPO)
    t = time.perf_counter()
    import matplotlib.pyplot as plt
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import seaborn  # noqa: F401
    import statsmodels.api  # noqa: F401

    print(f"imports (wall)        {time.perf_counter() - t:6.2f} s")
    from mscreport.inputs.cohort import load_cohort
    from mscreport.inputs.snapshot import SNAPSHOT_ENV, save_snapshot

    printed = open(args.outputs, "w", encoding="utf-8") if args.outputs else io.StringIO()
    total = 0.0

    def step(label: str, key: str, run) -> float:
        prof = cProfile.Profile() if args.profile else None
        t0 = time.process_time()
        with contextlib.redirect_stdout(printed):
            if prof:
                prof.enable()
            run()
            if prof:
                prof.disable()
        cpu = time.process_time() - t0
        if prof:
            prof.dump_stats(f"{args.profile}.{key}")
        print(f"{label:<22}{cpu:6.2f} CPU s", flush=True)
        return cpu

    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "snapshot"
        step("validate + snapshot", "val", lambda: save_snapshot(load_cohort(args.data), snap))
        os.environ[SNAPSHOT_ENV] = str(snap)
        wanted = {int(c) for c in args.chapters.split(",") if c}
        for source in sorted((REPO / "notebooks").glob("0[0-9]_*.py")):
            if int(source.name[:2]) not in wanted:
                continue
            for name in [m for m in sys.modules if m == "mscreport" or m.startswith("mscreport.")]:
                del sys.modules[name]
            total += step(source.stem, source.name[:2], lambda: runpy.run_path(str(source), run_name="__main__"))
            plt.close("all")
    print(f"{'chapters':<22}{total:6.2f} CPU s")
    print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    printed.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
