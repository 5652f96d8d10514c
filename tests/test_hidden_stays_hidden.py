"""Issue 24, items 1 to 5: what is hidden stays hidden (figures, differences across splits,
order statistics, long files, the true reason). Each test plants patients whose values must
not appear, and reads what a reader sees: page text, and the coordinates a figure draws
(matplotlib artists' data)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from pagetext import visible_text

from mscreport.analysis import strata, table_one, trajectory, trust
from mscreport.analysis.dose import analyse_dose, dose_box_figure, dose_scatter_figure, hidden_dose, within_table
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core import disclosure
from mscreport.display import figures
from mscreport.display.fmt import fmt_change, fmt_hba1c, html_table
from mscreport.display.tables import paired_table
from mscreport.inputs.cohort import load_cohort
from mscreport.pipeline.render import headline_table
from mscreport.report.blocks import compute_results

matplotlib.use("Agg")
COLS = ["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months", "bmi"]


def _cohort(tmp_path, rows, name="c.csv", **params):
    path = tmp_path / name
    pd.DataFrame(rows, columns=COLS).to_csv(path, index=False)
    return load_cohort(path, params or None)


def drawn_points(fig) -> list[tuple[float, float]]:
    """Every (x, y) a figure draws: scatter offsets, line vertices and line-collection segments."""
    out = []
    for ax in fig.axes:
        for coll in ax.collections:
            if isinstance(coll, LineCollection):
                for seg in coll.get_segments():
                    out += [tuple(p) for p in np.asarray(seg, float)]
            elif isinstance(coll, PathCollection):
                out += [tuple(p) for p in np.asarray(coll.get_offsets(), float)]
        for line in ax.lines:
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            out += list(zip(x.tolist(), y.tolist()))
    matplotlib.pyplot.close(fig)
    return [(x, y) for x, y in out if np.isfinite(x) and np.isfinite(y)]


def _near(points, value, axis, tol=1e-6) -> bool:
    return any(abs(p[axis] - value) < tol for p in points)


def _moderate(i, dose=2e8):  # moderate patients with ordinary values, low dose
    j = i % 10  # baselines 6.40 to 7.93 %: all moderate
    return (f"M{i}", 6.4 + 0.17 * j + 0.001 * i, 6.1 + 0.13 * j + 0.011 * j * j, dose, "UC", 10 + 2 * i, 25.0 + i)


# ------------------------------------------------------------------ 1. figures
LONE = ("S1", 12.37, 9.41, 2e9, "UC", 67, 30.0)  # the one severe patient (the 12.37 -> 9.41)


@pytest.fixture
def one_severe(tmp_path):
    return _cohort(tmp_path, [_moderate(i) for i in range(10)] + [LONE])


def test_a_lone_severe_patient_is_no_point_in_any_figure(one_severe):
    c = one_severe
    assert "severe" in disclosure.hidden_strata(c.frame)
    change = 9.41 - 12.37
    oldham = drawn_points(trust.oldham_plot(c.frame, 2000))
    assert not _near(oldham, change, 1) and not _near(oldham, (12.37 + 9.41) / 2, 0)
    assert not _near(drawn_points(trust.durability_figure(c)), change, 1)
    scatter = drawn_points(dose_scatter_figure(c, analyse_dose(c)))
    assert not _near(scatter, change, 1) and not _near(scatter, np.log10(2e9), 0)
    assert not _near(drawn_points(figures.qq_plot(c.frame["change"], 2000, disclosure.drawable_rows(c.frame))), change, 1)
    paired = drawn_points(figures.paired_plot(c.frame, 2000))
    assert not _near(paired, 12.37, 1) and not _near(paired, 9.41, 1)


def test_the_dose_scatter_draws_no_patient_of_a_dose_group_not_drawn(tmp_path):
    # two high-dose patients: the box plot leaves the group out, so must the scatter
    rows = [_moderate(i) for i in range(10)] + [("H1", 7.11, 6.02, 3e9, "UC", 20, None), ("H2", 7.23, 5.87, 3e9, "UC", 22, None)]
    c = _cohort(tmp_path, rows)
    assert "high" in disclosure.hidden_dose_groups(c.frame)
    scatter = drawn_points(dose_scatter_figure(c, analyse_dose(c)))
    for change in (6.02 - 7.11, 5.87 - 7.23):
        assert not _near(scatter, change, 1)
    assert not _near(scatter, np.log10(3e9), 0)
    box = drawn_points(dose_box_figure(c, analyse_dose(c)))
    assert not any(_near(box, v, 1) for v in (6.02 - 7.11, 5.87 - 7.23))


# ------------------------------------------------------------------ 2. differences across splits
@pytest.fixture
def severe_four(tmp_path):
    """Severe n = 4, high dose n = 3 all severe: severe minus high is the fourth patient (10.67 -> 8.32)."""
    rows = [_moderate(i) for i in range(9)]
    rows += [("S1", 9.1, 8.0, 2e9, "UC", 12, None), ("S2", 9.3, 8.2, 2e9, "UC", 14, None),
             ("S3", 8.8, 7.9, 2e9, "UC", 16, None), ("S4", 10.67, 8.32, 2e8, "UC", 30, None)]
    return _cohort(tmp_path, rows)


def test_no_patient_follows_from_strata_and_dose_groups(severe_four):
    c = severe_four
    hidden = disclosure.hidden_groups(c.frame)
    shown = {g: n for g, n in (("severe", 4), ("moderate", 9), ("high", 3), ("low", 10)) if g not in hidden}
    # severe minus high, or low minus moderate, is the fourth severe patient: one of each pair is hidden
    assert not {"severe", "high"} <= set(shown) and not {"low", "moderate"} <= set(shown)
    overall, by_stratum = analyse_overall(c), analyse_strata(c)
    dose = analyse_dose(c)
    text = visible_text(html_table(paired_table({"all patients": overall, **by_stratum}, hidden), index=True)
                        + html_table(within_table(dose, hidden_dose(dose, c.rows_analysed)), index=True))
    f = c.frame
    for g, rows in (("severe", f[f["stratum"] == "severe"]), ("high", f[f["dose_group"] == "high"]),
                    ("moderate", f[f["stratum"] == "moderate"]), ("low", f[f["dose_group"] == "low"])):
        if g in hidden:
            assert fmt_hba1c(rows["hba1c_baseline"].mean()) not in text, g


def test_the_general_rule_finds_a_patient_across_any_two_splits():
    atoms = {("sev", "high"): 3, ("sev", "low"): 1, ("mod", "low"): 9}
    groups = [set(atoms), {("sev", "high"), ("sev", "low")}, {("sev", "high")}, {("mod", "low")}, {("sev", "low"), ("mod", "low")}]
    assert frozenset({("sev", "low")}) in disclosure.recoverable_small_groups(atoms, groups)
    assert not disclosure.recoverable_small_groups(atoms, [set(atoms), {("mod", "low")}])


# ------------------------------------------------------------------ 4. long files
def _long(tmp_path, rows, name="long.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["patient_id", "months", "hba1c", "arm"]).to_csv(path, index=False)
    return load_cohort(path, None)


def test_a_time_bin_gives_no_lone_arm_back(tmp_path):
    rows = []
    for i in range(4):
        rows += [(f"C{i}", 0, 7.5 + 0.1 * i, "control"), (f"C{i}", 3, 7.1 + 0.1 * i, "control"), (f"C{i}", 6, 7.2 + 0.1 * i, "control")]
    for i in range(4):  # msc patients seen at 0 and 6 months only, except one at 3
        rows += [(f"T{i}", 0, 7.6 + 0.1 * i, "msc"), (f"T{i}", 6, 6.8 + 0.1 * i, "msc")]
    rows += [("T0", 3, 6.53, "msc")]
    c = _long(tmp_path, rows)
    traj = trajectory.analyse_trajectory(c)
    table = trajectory.by_time_table(traj)
    at3 = table[table["month"] == "3"].set_index("group")
    assert at3.loc["msc", "patients"] == "1"
    # all patients 5 and control 4 shown would give msc's lone 6.53 back
    assert "suppressed" in at3.loc["control", "mean HbA1c"] or "suppressed" in at3.loc["all patients", "mean HbA1c"]
    assert fmt_hba1c(6.53) not in visible_text(html_table(table))
    fig = trajectory.trajectory_figure(traj, 2000)
    means = [(x, y) for line in fig.axes[0].lines if str(line.get_label()).startswith("mean")
             for x, y in zip(line.get_xdata(), line.get_ydata())]
    assert not any(abs(x - 3) < 1e-9 and abs(y - 6.53) < 1e-6 for x, y in means)  # msc's mean at 3 months: one patient
    assert all(abs(x - 3) > 1e-9 for line in fig.axes[0].lines if str(line.get_label()) == "mean, msc"
               for x in line.get_xdata())


def test_a_one_patient_file_draws_no_trajectory(tmp_path):
    c = _long(tmp_path, [("P1", 0, 9.37, "msc"), ("P1", 3, 8.11, "msc"), ("P1", 6, 7.93, "msc")])
    traj = trajectory.analyse_trajectory(c)
    pts = drawn_points(trajectory.trajectory_figure(traj, 2000))
    for v in (9.37, 8.11, 7.93):
        assert not _near(pts, v, 1)


# ------------------------------------------------------------------ 5. the true reason
def test_a_group_hidden_by_another_says_why(tmp_path):
    # one patient without a dose: high (13) is hidden because, with the cohort, it would give it back
    rows = [_moderate(i, dose=3e9 if i < 13 else 2e8) for i in range(29)] + [("X", 7.0, 6.5, None, "UC", 12, None)]
    c = _cohort(tmp_path, rows)
    results = compute_results(c)
    text = visible_text(headline_table(results))
    assert "suppressed (n < 3)" not in text
    assert disclosure.SUPPRESSED_SECONDARY in text


def test_the_threshold_table_gives_the_true_reason(severe_four):
    shown = strata.format_sensitivity(strata.threshold_sensitivity(severe_four), 8.0)
    sens = strata.threshold_sensitivity(severe_four)
    for n, cell in zip(sens["n_severe"], shown["mean_change_severe"]):
        if "suppressed" in cell and n >= 3:
            assert cell != disclosure.SUPPRESSED, (n, cell)


# ------------------------------------------------------------------ 3. order statistics
def test_order_statistics_only_from_groups_of_five(severe_four):
    # the severe stratum has 4 patients: its dose median [IQR]; range would give the values back
    c = severe_four
    table = table_one.format_table_one(table_one.describe_cohort(c))
    text = visible_text(html_table(table, index=True))
    severe = table["severe"].to_dict()
    assert "range" not in severe["dose (cells), median [IQR]; range"]
    assert "range" not in severe["followup months, median [IQR]; range"]
    assert disclosure.SUPPRESSED_ORDER in severe["dose (cells), median [IQR]; range"]
    assert "range" in table["overall"]["followup months, median [IQR]; range"]  # 13 patients: shown
    for months in (12, 14, 16, 30):
        assert f"range 12.0-30.0" not in text
    # the Hodges-Lehmann bounds of 4 changes are a single patient's change
    from mscreport.display.tables import pairs_extra_table
    extra = pairs_extra_table(analyse_strata(c), frozenset()).set_index("group")
    assert extra.loc["severe", "Hodges-Lehmann shift"] == disclosure.SUPPRESSED_ORDER and extra.loc["severe", "its CI"] == ""


def test_the_index_hides_what_the_crossed_splits_hide(severe_four):
    results = compute_results(severe_four)
    hidden = disclosure.hidden_groups(severe_four.frame)
    assert hidden and disclosure.hidden_in_results(results) >= hidden
    text = visible_text(headline_table(results))
    f = severe_four.frame
    assert hidden & {"high", "low"}
    for g in hidden & {"high", "low"}:  # the index's key findings show no change of a group the chapters hide
        assert fmt_change(f.loc[f["dose_group"] == g, "change"].mean()).replace("\u2212", "-") not in text, g


# ------------------------------------------------------------------ strict mode
def test_strict_mode_hides_seven_or_fewer_rounds_counts_and_shows_no_extremes():
    try:
        disclosure.set_mode("strict")
        assert disclosure.too_few(7) and not disclosure.too_few(8) and not disclosure.too_few(0)
        assert disclosure.shown_count(0) == "0" and disclosure.shown_count(7) == disclosure.HIDDEN_COUNT
        assert disclosure.shown_count(13).startswith("15") and disclosure.shown_count(12).startswith("10")
        assert not disclosure.extremes_shown(500) and disclosure.order_shown(500)
        assert disclosure.suppressed(6) == disclosure.SUPPRESSED_STRICT
        assert disclosure.hidden_parts(20, {"a": 6, "b": 14}) == {"a", "b"}
    finally:
        disclosure.set_mode("standard")
    assert not disclosure.too_few(7) and disclosure.extremes_shown(5) and not disclosure.extremes_shown(4)
    with pytest.raises(ValueError):
        disclosure.set_mode("lenient")


# ------------------------------------------------------------------ gaps found when mapping issue 24 to its tests
def test_a_source_and_the_strata_together_give_no_patient_back(tmp_path):
    """Item 2 for sources: the four severe patients all had UC cells and one moderate patient too,
    so 'UC' minus 'severe' would be that one moderate patient; one of the two groups is hidden."""
    rows = [(f"S{i}", 8.6 + 0.3 * i, 7.9 + 0.2 * i, 2e8, "UC", 12, None) for i in range(4)]
    rows += [("U1", 7.11, 6.37, 2e8, "UC", 12, None)]
    rows += [(f"B{i}", 6.5 + 0.1 * i, 6.2 + 0.1 * i, 2e8, "BM", 12, None) for i in range(8)]
    c = _cohort(tmp_path, rows)
    solved = disclosure.solve_splits(c.frame)
    assert "UC" in solved["msc_source"] or "severe" in solved["stratum"], solved
    hidden = disclosure.hidden_rows(c.frame)
    assert hidden[c.frame["patient_id"].to_numpy() == "U1"].all() or hidden[c.frame["stratum"].to_numpy() == "severe"].all()


def test_a_small_groups_hodges_lehmann_bounds_are_not_printed_in_a_teaching_cell(tmp_path):
    """Item 3: with 4 patients the signed-rank interval's bounds are single patients' changes
    (its lower bound here is the lone -2.96); a teaching cell printed them."""
    from mscreport.methods import stats
    from mscreport.report import lesson

    path = tmp_path / "four.csv"
    pd.DataFrame({"patient_id": list("ABCD"), "hba1c_baseline": [7.0, 7.5, 8.5, 9.9],
                  "hba1c_followup": [6.5, 7.4, 7.9, 6.94]}).to_csv(path, index=False)
    c = load_cohort(path)
    text = lesson.describe_result(stats.signed_rank_test(c.frame["change"], 0.05), c)
    assert "-2.96" not in text and "-0.1\n" not in text and "hl_ci_low      suppressed (n < 5)" in text
    assert "p              0.125" in text  # the test itself is shown (R: wilcox.test(x, exact = TRUE)$p.value)


def test_a_hidden_patient_of_a_long_file_has_no_line_in_chapter_7(tmp_path):
    """Item 4 within a multi-patient file: the lone severe patient (hidden in every table) had a
    thin line among the others' in the trajectory figure."""
    rows = []
    for i in range(9):
        rows += [(f"M{i}", 0, 6.6 + 0.1 * i, "msc"), (f"M{i}", 6, 6.3 + 0.1 * i, "msc"), (f"M{i}", 12, 6.4 + 0.1 * i, "msc")]
    rows += [("S1", 0, 10.37, "msc"), ("S1", 6, 9.13, "msc"), ("S1", 12, 8.71, "msc")]
    c = _long(tmp_path, rows)
    assert "severe" in disclosure.hidden_groups(c.frame)
    pts = drawn_points(trajectory.trajectory_figure(trajectory.analyse_trajectory(c), 2000))
    assert pts  # the other patients are drawn
    for v in (10.37, 9.13, 8.71):
        assert not _near(pts, v, 1), v


def test_the_data_card_writes_down_the_strict_rule_and_its_anchor():
    """Deliver: disclosure=strict written down in the data card with the anchor it follows."""
    from mscreport.core.paths import REPO_ROOT

    card = (REPO_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    section = card[card.index("## Disclosure control of the pages"):]
    for phrase in ("**`strict`**", "OpenSAFELY", "https://docs.opensafely.org/outputs/", "7 or fewer",
                   "nearest 5", "no minimum or maximum", "**`standard`**", "at least 5"):
        assert phrase in section, phrase
    assert f"counts of {disclosure.STRICT_MAX_HIDDEN} or fewer" in section and disclosure.STRICT_ROUND == 5
