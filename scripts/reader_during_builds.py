#!/usr/bin/env python3
"""What a reader sees while builds replace a report (issue 14.3): a stress script, not a test.

Runs ``--builds`` builds one after another into one output folder (alternating ``alpha``,
so consecutive reports differ) while a reader polls the folder as fast as it can. Each poll
opens the folder once and reads results.json, index.html and every chapter page in both
renderings through that handle, as a browser following links would within one report. It
counts polls that found a page missing and polls whose pages came from different builds
(the alpha each page shows differs from results.json's).

Usage: ``.venv/bin/python scripts/reader_during_builds.py [--builds 4] [--chapters 01_cohort]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALPHA_IN_PAGE = re.compile(r"<code>alpha</code> = ([0-9.e-]+)")


def poll(out: Path, pages: list[str]) -> str:
    """'ok', 'absent' (no report yet), 'missing' or 'mixed' for one look at the folder."""
    try:
        dfd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return "absent"
    try:
        def read(rel: str) -> str:
            with open(rel, encoding="utf-8", opener=lambda p, f: os.open(p, f, dir_fd=dfd)) as fh:
                return fh.read()

        try:
            alpha = json.loads(read("results.json"))["params"]["alpha"]
            shown = [ALPHA_IN_PAGE.search(read(rel)) for rel in pages]
            read("index.html")
        except FileNotFoundError:
            return "missing"
        except ValueError:
            return "mixed"  # a half-written file
        return "ok" if all(m and float(m.group(1)) == alpha for m in shown) else "mixed"
    finally:
        os.close(dfd)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", type=int, default=4)
    ap.add_argument("--chapters", default="01_cohort", help="comma-separated chapter names (fewer = quicker)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mscreport-readers-"))
    nb = tmp / "notebooks"
    nb.mkdir()
    names = a.chapters.split(",")
    for n in names:
        shutil.copy(REPO / "notebooks" / f"{n}.py", nb / f"{n}.py")
    out = tmp / "reports"
    pages = [f"{n}.html" for n in names] + [f"teaching/{n}.html" for n in names]
    counts = {"ok": 0, "absent": 0, "missing": 0, "mixed": 0}
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            counts[poll(out, pages)] += 1

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    cmd = [str(Path(sys.executable).parent / "mscreport"), "build", "--output", str(out)]
    rcs = []
    t0 = time.perf_counter()
    for i in range(a.builds):
        alpha = ("0.05", "0.01")[i % 2]
        rcs.append(subprocess.run([*cmd, "-p", f"alpha={alpha}"], env={**os.environ, "MSCREPORT_NOTEBOOKS": str(nb)},
                                  capture_output=True, text=True).returncode)
    stop.set()
    t.join()
    shutil.rmtree(tmp, ignore_errors=True)
    polls = sum(v for k, v in counts.items() if k != "absent")
    print(f"{a.builds} builds (exit codes {rcs}) in {time.perf_counter() - t0:.0f} s; {polls} reader polls of a "
          f"report: {counts['missing']} saw a page missing, {counts['mixed']} saw pages from two builds")
    return 0 if counts["missing"] == counts["mixed"] == 0 and not any(rcs) else 1


if __name__ == "__main__":
    sys.exit(main())
