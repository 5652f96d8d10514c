"""Issue 24, item 3: the hypothesis property over two-arm cohorts and long files (strata x arms x
time bins), in both disclosure modes. Small random cohorts go through the chapters' own table
functions; the test reads which rows a page shows (a row whose mean is not suppressed), knows
which patients each row summarises, and checks, by its own linear algebra (not
``disclosure.recoverable_small_groups``), that no set of 1 or 2 patients (strict: 1 to 7) is a
sum or difference of shown rows: their values would follow from the shown means and counts.
Figures: no patient of a hidden group is a drawn point or line vertex."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from test_hidden_stays_hidden import drawn_points

from mscreport.analysis import arms, trajectory
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core import disclosure
from mscreport.core.errors import InputError
from mscreport.display.tables import paired_table
from mscreport.inputs.cohort import load_cohort

MODES = st.sampled_from(["standard", "strict"])


class _Page:
    """A stand-in for ``report.Chapter`` that keeps the tables and sentences a chapter function shows."""

    def __init__(self, cohort):
        self.cohort, self.params, self.tables, self.text = cohort, cohort.params, [], []

    def table(self, frame, caption, index=False, basis=None):
        if frame is not None:
            self.tables.append((caption, frame))

    def say(self, text, basis=None):
        self.text.append(text)

    def record(self, key, value):
        pass

    def figure(self, fig, caption, alt):
        pass


def _shown(frame: pd.DataFrame, value: str) -> set[str]:
    """The groups of a formatted table whose ``value`` cell is a number (not suppressed, not empty)."""
    return {str(g) for g, v in zip(frame["group"], frame[value]) if v and "suppressed" not in str(v)}


def recoverable(masks: list[np.ndarray], largest: int, blocks=None) -> list[tuple]:
    """Sets of 1 to ``largest`` units (within one of ``blocks``, lists of unit indices; default all)
    whose indicator lies in the span of ``masks``: each shown mean times its count is the sum over
    its units, so such a set's sum (and mean) follows from the shown numbers."""
    if not masks:
        return []
    a = np.array(masks, dtype=float)
    _, sv, vt = np.linalg.svd(a, full_matrices=False)
    q = vt[sv > 1e-9 * max(1.0, float(sv.max()))]
    found = []
    for block in blocks or [list(range(a.shape[1]))]:
        for size in range(1, min(largest, len(block)) + 1):
            for combo in itertools.combinations(block, size):
                v = np.zeros(a.shape[1])
                v[list(combo)] = 1.0
                if np.abs(v - (v @ q.T) @ q).max() < 1e-7:
                    found.append(combo)
    return found


patient = st.tuples(st.integers(640, 1190), st.integers(-250, 60), st.sampled_from([2e8, 2e9, None]),
                    st.sampled_from(["control", "msc"]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: a failure prints its file's rows
@given(st.lists(patient, min_size=2, max_size=12), MODES)
def test_no_patient_of_a_two_arm_cohort_follows_from_its_tables(tmp_path, patients, mode):
    rows = [(f"P{i}", arm, b / 100, (b + d) / 100, dose) for i, (b, d, dose, arm) in enumerate(patients)]
    path = tmp_path / "arms.csv"
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup", "dose_cells"]).to_csv(path, index=False)
    c = load_cohort(path, {"disclosure": mode})
    f = c.frame
    try:
        disclosure.set_mode(mode)
        page = _Page(c)
        arms.show_strata(page)
        arms.show_paired(page)
        tables = [("pooled", paired_table({"all patients": analyse_overall(c), **analyse_strata(c)},
                                          disclosure.hidden_groups(f)))] + page.tables
        arm, stratum = f["arm"].astype(str).to_numpy(), f["stratum"].astype(str).to_numpy()
        masks = []
        for caption, frame in tables:
            if "group" not in frame or "baseline, mean (SD)" not in frame:
                continue
            for g in _shown(frame, "baseline, mean (SD)"):
                if g == "all patients":
                    masks.append(np.ones(len(f)))
                elif ": " in g:  # "arm: stratum"
                    a, s = g.split(": ")
                    masks.append((arm == a) & (stratum == s))
                elif g in set(stratum) and caption == "pooled":
                    masks.append(stratum == g)
                else:
                    masks.append(arm == g)
        largest = disclosure.current_policy().min_values - 1
        assert not recoverable(masks, largest), (mode, rows)
        hidden = disclosure.hidden_rows(f)
        points = drawn_points(arms.paired_by_arm_figure(f, sorted(set(arm)), 2000, arms.hidden_arms_of(
            arms.analyse_arms(c).interface()) if arms.analyse_arms(c) else ()))
        for _, r in f[hidden].iterrows():
            assert not any(abs(p[1] - r["hba1c_baseline"]) < 1e-9 for p in points
                           if abs(p[0]) < 1e-9 and (f["hba1c_baseline"] == r["hba1c_baseline"]).sum() == 1), r["patient_id"]
    finally:
        disclosure.set_mode("standard")


visit = st.tuples(st.sampled_from([0, 3, 6, 12]), st.integers(600, 1200))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: a failure prints its file's rows
@given(st.lists(st.tuples(st.sampled_from(["control", "msc"]), st.lists(visit, min_size=1, max_size=4)),
                min_size=2, max_size=10), MODES)
def test_no_measurement_of_a_long_file_follows_from_its_time_bins(tmp_path, patients, mode):
    rows = []
    for i, (arm, visits) in enumerate(patients):
        seen = {}
        for months, v in visits:  # one measurement per patient and time
            seen.setdefault(months, v)
        rows += [(f"P{i}", m, v / 100, arm) for m, v in sorted(seen.items())]
    path = tmp_path / "long.csv"
    pd.DataFrame(rows, columns=["patient_id", "months", "hba1c", "arm"]).to_csv(path, index=False)
    try:
        c = load_cohort(path, {"disclosure": mode})
    except InputError:  # e.g. no patient with a follow-up measurement: refused, nothing shown
        return
    try:
        disclosure.set_mode(mode)
        traj = trajectory.analyse_trajectory(c)
        if traj is None:
            return
        table = trajectory.by_time_table(traj)
        frame = traj.model_frame.reset_index(drop=True)
        bins = trajectory.time_bins(frame, traj.width).astype(float)
        arm_of = frame["arm"].astype(str).to_numpy() if "arm" in frame else np.array(["all patients"] * len(frame))
        masks = []
        for r in table.itertuples(index=False):
            cell = getattr(r, "_3")  # "mean HbA1c"
            if not cell or "suppressed" in str(cell):
                continue
            in_bin = np.isclose(bins, float(r.month))
            masks.append(in_bin if r.group == "all patients" else in_bin & (arm_of == r.group))
        blocks = [list(np.flatnonzero(np.isclose(bins, b))) for b in np.unique(bins)]
        largest = disclosure.current_policy().min_values - 1
        assert not recoverable(masks, largest, blocks), (mode, rows)
    finally:
        disclosure.set_mode("standard")
