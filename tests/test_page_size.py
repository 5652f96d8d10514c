"""Chapter pages stay under 150 KB for any cohort (issue 24.13): a long file with 10,000
measurements of one patient made chapter 7's page 205 KB, its trajectory figure drawing every
measurement as a vertex of a per-patient line."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mscreport.analysis import trajectory as tr
from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.display.figures import figure_data_uri
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DATA_DIR, REPO_ROOT

PAGE_BUDGET = 150_000  # bytes: the README's promise, as tests/test_offline_html.py checks it for the bundled cohort
FIGURE_BUDGET = 60_000  # bytes of one figure's data URI, leaving room for the page's text and tables


def long_file_with_one_busy_patient(folder: Path, extra: int = 10_000, span_months: float = 120.0) -> Path:
    """The bundled long file plus ``extra`` measurements of its first patient, spread over
    ``span_months`` (distinct times; values that zig-zag, so no vertex can be simplified away)."""
    with open(DATA_DIR / "reconstructed_cohort_long.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    first = next(r for r in body if r[0] == body[0][0])
    months, hba1c = header.index("months"), header.index("hba1c")
    for i in range(extra):
        row = list(first)
        row[months] = f"{0.01 + i * span_months / extra:.4f}"
        row[hba1c] = f"{6 + (i * 7919 % 50) / 10:.1f}"
        body.append(row)
    path = folder / "long_busy.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    return path


def test_the_trajectory_figure_stays_small_with_10000_measurements_of_one_patient(tmp_path):
    cohort = load_cohort(long_file_with_one_busy_patient(tmp_path), dict(DEFAULTS))
    traj = tr.analyse_trajectory(cohort)
    assert len(traj.model_frame) > 10_000
    size = len(figure_data_uri(tr.trajectory_figure(traj, DEFAULTS["aggregate_above"])))
    assert size < FIGURE_BUDGET, f"trajectory figure {size} bytes"
    caption = tr.trajectory_caption(traj, DEFAULTS["aggregate_above"])
    assert f"more than {tr.MAX_LINE_MEASUREMENTS} measurements" in caption and "no line per patient" in caption


def test_the_bundled_long_file_still_draws_a_line_per_patient():
    cohort = load_cohort(DATA_DIR / "reconstructed_cohort_long.csv", dict(DEFAULTS))
    traj = tr.analyse_trajectory(cohort)
    assert tr.draws_patient_lines(traj, DEFAULTS["aggregate_above"])
    assert "each patient's measurements" in tr.trajectory_caption(traj, DEFAULTS["aggregate_above"])


@pytest.mark.slow
def test_chapter_7_pages_stay_under_150_kb_with_10000_measurements_of_one_patient(tmp_path):
    chapter = next(c for c in list_chapters() if c.name.startswith("07"))
    nb = tmp_path / "notebooks"
    nb.mkdir()
    shutil.copy(chapter.source, nb / chapter.source.name)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mscreport.cli", "build", "--data",
                           str(long_file_with_one_busy_patient(tmp_path)), "--output", str(out), "-q"],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=900,
                          env={**os.environ, "MSCREPORT_NOTEBOOKS": str(nb)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    for page in (out / chapter.html_name, out / "teaching" / chapter.html_name):
        size = page.stat().st_size
        assert size < PAGE_BUDGET, f"{page.relative_to(out)}: {size} bytes"
