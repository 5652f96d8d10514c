"""Controlled studies, chapters 4 and 5: dose and the trust analyses within each arm
(results.json ``arms.dose``, ``arms.trust``) against R (tests/r/arms_dose.R ->
tests/fixtures/r_arms_dose.json, rel 1e-9), what the pages say per arm, and the disclosure
rule across arms (an arm x stratum or arm x dose-group cell of 1 or 2 patients, and its
complements, hidden; tests/test_disclosure.py's pattern: a planted patient's values appear
nowhere in the page text)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from pagetext import visible_text
from test_arms import DATASETS, FIX, _cohort, assert_close

from mscreport.analysis import arm_dose, arm_trust, arms
from mscreport.core import disclosure
from mscreport.analysis.arm_compare import analyse_arms
from mscreport.display.fmt import SUPPRESSED, fmt_hba1c
from mscreport.display.fmt import fmt_change as _fmt_change
from mscreport.display.fmt import fmt_num as _fmt_num


def fmt_change(v) -> str:
    """A change as the page text reads it (pagetext.visible_text writes the minus sign as '-')."""
    return _fmt_change(v).replace("\u2212", "-")


def fmt_num(v) -> str:
    return _fmt_num(v).replace("\u2212", "-")

R = json.loads((FIX / "r_arms_dose.json").read_text())
DOSE_DATA = {"dose": FIX / "arms_dose.csv", "two": DATASETS["two"]}


# ------------------------------------------------------------------ against R
@pytest.mark.parametrize("name", DOSE_DATA)
def test_dose_and_trust_per_arm_agree_with_r(name):
    block = analyse_arms(_cohort(DOSE_DATA[name])).interface()
    assert list(block["dose"]) == list(R[name]["dose"]) == list(block["groups"])  # reference first
    assert_close(block["dose"], R[name]["dose"], f"{name}.dose")
    assert_close(block["trust"], R[name]["trust"], f"{name}.trust")


def test_the_fixture_covers_what_the_pages_show():
    """The constructed data set exercises every new number: a comparator without a dose, an
    active arm with both dose groups, events in both arms, durability in both."""
    d, t = R["dose"]["dose"], R["dose"]["trust"]
    assert d["placebo"]["n_with_dose"] == 0 and not d["placebo"]["varies"]
    assert d["msc"]["varies"] and d["msc"]["high"]["n"] >= 3 and d["msc"]["low"]["n"] >= 3
    assert d["msc"]["adjusted"]["partial_p"] is not None
    assert all(t[a]["safety"]["events"] >= 1 for a in t) and t["placebo"]["safety"]["not_recorded"] == 1
    assert all(t[a]["durability"]["slope_per_year"] is not None for a in t)
    assert R["two"]["trust"]["msc"]["safety"] is None and R["two"]["dose"]["msc"]["n_with_dose"] == 0


def test_a_single_dose_or_no_dose_is_said_per_arm(tmp_path):
    rows = [(f"P{i}", "placebo" if i < 6 else "msc", 7.0 + 0.3 * i, 6.9 + 0.2 * i, None if i < 6 else 1e9)
            for i in range(12)]
    path = tmp_path / "single.csv"
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup", "dose_cells"]).to_csv(path, index=False)
    block = analyse_arms(_cohort(path)).interface()["dose"]
    assert block["msc"]["single_dose_cells"] == 1e9 and not block["msc"]["varies"] and block["msc"]["pearson"] is None
    assert "same dose (1e9 cells)" in arm_dose.say_arm_dose("msc", block["msc"], 1e9)
    assert "no patient has a dose" in arm_dose.say_arm_dose("placebo", block["placebo"], 1e9)
    assert arm_dose.say_arm_dose_tests("msc", block["msc"], frozenset(), 0.05) == ""


# ------------------------------------------------------------------ the crossed-split rule
def test_crossed_cells_hide_small_cells_and_their_complements():
    # arms x strata with every margin shown: placebo has 1 severe patient
    cells = {("placebo", "moderate"): 10, ("placebo", "severe"): 1, ("msc", "moderate"): 12, ("msc", "severe"): 9}
    rows, cols, hidden = disclosure.solve_crossed(cells, {"placebo": 11, "msc": 21}, {"moderate": 22, "severe": 10})
    # the lone cell and its complement in the arm (placebo moderate = placebo - lone); the pooled
    # severe stratum (= lone + msc severe) gives way, then pooled moderate (= whole - severe);
    # the arms and msc's strata stay
    assert hidden == {("placebo", "severe"), ("placebo", "moderate")}
    assert cols == {"moderate", "severe"} and rows == set()
    # 3 or more everywhere: nothing hidden
    cells3 = {("placebo", "moderate"): 10, ("placebo", "severe"): 3, ("msc", "moderate"): 12, ("msc", "severe"): 9}
    assert disclosure.solve_crossed(cells3, {"placebo": 13, "msc": 21}, {"moderate": 22, "severe": 12}) == (set(), set(), set())


def test_a_remainder_without_a_dose_counts_in_its_row():
    # msc: 1 patient without a dose; its high and low cells shown would give that patient back
    cells = {("msc", "high"): 8, ("msc", "low"): 6, ("placebo", "high"): 0, ("placebo", "low"): 0}
    rows, cols, hidden = disclosure.solve_crossed(cells, {"msc": 15, "placebo": 10}, {"high": 8, "low": 6})
    assert {c for c in hidden if cells[c]} == {("msc", "low")} and rows == set()
    # the pooled low-dose group is msc's (placebo has no dose): shown, it would give msc low back,
    # and with msc's total and its high-dose group, the one msc patient without a dose
    assert cols == {"low"}


def test_stratum_by_dose_group_cells_follow_the_same_rule():
    """The crossed split stratum x dose group (pooled): a cell of 2, its complement in its
    stratum, and the dose groups it belongs to."""
    cells = {("moderate", "high"): 2, ("moderate", "low"): 9, ("severe", "high"): 7, ("severe", "low"): 5}
    rows, cols, hidden = disclosure.solve_crossed(cells, {"moderate": 11, "severe": 12}, {"high": 9, "low": 14})
    assert hidden == {("moderate", "high"), ("moderate", "low")} and cols == {"high", "low"} and rows == set()


# ------------------------------------------------------------------ planted small cells in pages
PLANTED = ("Z1", "placebo", 10.43, 7.77, 43, None, "no")  # the one severe placebo patient


def _planted(tmp_path) -> "object":
    rows = [(f"P{i}", "placebo", 6.6 + 0.13 * i, 6.5 + 0.11 * i + 0.01 * i * i, 6 + 3 * i, None, "no") for i in range(10)]
    rows += [(f"M{i}", "msc", 6.5 + 0.31 * i, 6.2 + 0.24 * i - 0.006 * i * i, 8 + 2 * i,
              1e9 if i % 3 else 5e8, "yes" if i == 4 else "no") for i in range(14)]
    rows += [PLANTED]
    path = tmp_path / "planted.csv"
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup", "followup_months",
                                "dose_cells", "serious_adverse_event"]).to_csv(path, index=False)
    return _cohort(path)


class _Page:
    """A Chapter stand-in that keeps what a chapter cell shows, as HTML."""

    def __init__(self, cohort):
        from mscreport.inputs.params import DEFAULTS

        self.cohort, self.params, self.parts = cohort, dict(DEFAULTS), []

    def say(self, markdown):
        import mistune

        self.parts.append(mistune.html(markdown))

    def table(self, frame, caption, index=False):
        from mscreport.display.fmt import html_table

        if frame is not None and len(frame):
            self.parts.append(html_table(frame, caption))

    def figure(self, *args, **kwargs):
        pass

    def record(self, *args):
        pass

    def text(self):
        return visible_text("".join(self.parts))


def _per_arm_pages(cohort) -> str:
    from mscreport.analysis import arms

    page = _Page(cohort)
    for show in (arms.show_strata, arms.show_paired, arms.show_dose, arms.show_trust):
        show(page)
    return page.text()


def test_a_lone_severe_patient_in_one_arm_is_in_no_per_arm_page(tmp_path):
    cohort = _planted(tmp_path)
    text = _per_arm_pages(cohort)
    f = cohort.frame
    assert ((f["arm"] == "placebo") & (f["stratum"] == "severe")).sum() == 1
    lone = [fmt_hba1c(10.43), fmt_hba1c(7.77), fmt_num(7.77 - 10.43), fmt_num(10.43 - 7.77)]
    for v in lone:
        assert v not in text, v
    # the complement in the arm (placebo moderate = placebo minus the lone patient) is hidden too
    mod = f[(f["arm"] == "placebo") & (f["stratum"] == "moderate")]
    for v in (fmt_hba1c(mod["hba1c_baseline"].mean()), fmt_change(mod["change"].mean())):
        assert v not in text, v
    # msc's severe cell is shown, so the pooled severe stratum (msc severe + the lone patient)
    # gives way, in the pooled tables too
    from mscreport.display.tables import paired_table
    from mscreport.analysis.paired import analyse_overall, analyse_strata

    assert disclosure.hidden_strata(f) == {"moderate", "severe"}
    page = _Page(cohort)
    page.table(paired_table({"all": analyse_overall(cohort), **analyse_strata(cohort)}, disclosure.hidden_groups(f)), "pooled")
    text += page.text()
    sev = f[(f["arm"] == "msc") & (f["stratum"] == "severe")]
    assert fmt_change(sev["change"].mean()) in text
    assert fmt_change(cohort.stratum("severe")["change"].mean()) not in text
    assert SUPPRESSED in text and "placebo: severe" in text


def test_an_arm_dose_group_of_two_and_its_complement_are_hidden(tmp_path):
    cohort = _planted(tmp_path)
    # two msc patients below the cut-off, every other msc patient above: an msc low-dose cell of 2
    frame = pd.read_csv(cohort.path)
    msc = frame.index[frame["arm"] == "msc"]
    frame.loc[msc, "dose_cells"] = 1e9
    frame.loc[msc[:2], "dose_cells"] = 2e8
    path = tmp_path / "low_two.csv"
    frame.to_csv(path, index=False)
    cohort = _cohort(path)
    rows = cohort.frame
    two = rows.index[rows["dose_cells"] == 2e8]
    assert len(two) == 2
    hidden = arm_dose.hidden_dose_cells(cohort)
    assert ("msc", "low") in hidden and ("msc", "high") in hidden
    page = _Page(cohort)
    arms.show_dose(page)
    text = page.text()
    low = rows.loc[two]
    for v in (fmt_hba1c(low["hba1c_baseline"].mean()), fmt_change(low["change"].mean()),
              fmt_hba1c(low["hba1c_baseline"].iloc[0]), fmt_hba1c(low["hba1c_baseline"].iloc[1])):
        assert v not in text, v
    assert "Welch" not in text  # the high-vs-low comparison would give the pair's mean back
    assert re.search(r"msc: high \(≥ 1e9\)\s+\d+\s+" + re.escape(disclosure.SUPPRESSED_SECONDARY), text)  # the true reason: low (2) is the one too small


def test_an_arm_of_two_patients_is_hidden_with_its_complement(tmp_path):
    rows = [(f"M{i}", "msc", 6.5 + 0.31 * i, 6.2 + 0.24 * i, 8 + 2 * i, 1e9, "no") for i in range(12)]
    rows += [("C1", "placebo", 9.37, 8.81, 12, None, "no"), ("C2", "placebo", 7.19, 7.23, 30, None, "yes")]
    path = tmp_path / "two.csv"
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup", "followup_months",
                                "dose_cells", "serious_adverse_event"]).to_csv(path, index=False)
    cohort = _cohort(path)
    assert disclosure.hidden_arms(cohort.frame) == {"placebo", "msc"}
    text = _per_arm_pages(cohort)
    for v in (fmt_hba1c(9.37), fmt_hba1c(7.19), fmt_hba1c((9.37 + 7.19) / 2), fmt_change(((8.81 - 9.37) + (7.23 - 7.19)) / 2)):
        assert v not in text, v
    msc = cohort.frame[cohort.frame["arm"] == "msc"]
    assert fmt_change(msc["change"].mean()) not in text and fmt_hba1c(msc["hba1c_baseline"].mean()) not in text


# ------------------------------------------------------------------ the built report
@pytest.mark.slow
def test_two_arm_dose_build_shows_chapters_4_and_5_per_arm(tmp_path):
    from mscreport.cli import main

    out = tmp_path / "reports"
    # the R fixture applies the paper's inclusion rule (baseline >= 6.2 %)
    assert main(["build", "--data", str(DOSE_DATA["dose"]), "-p", "inclusion_min=6.2", "--output", str(out), "--force"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert_close(r["arms"]["dose"], R["dose"]["dose"], "results.json arms.dose")
    assert_close(r["arms"]["trust"], R["dose"]["trust"], "results.json arms.trust")
    dose = visible_text((out / "04_dose.html").read_text())
    assert "placebo : no patient has a dose" in dose and "Paired analysis within each dose group of each arm" in dose
    assert "msc: high (≥ 1e9)" in dose and "all arms pooled" in dose
    trust = visible_text((out / "05_trust.html").read_text())
    for caption in ("Normality of the change within each arm", "Serious adverse events per arm",
                    "Durability within each arm", "Regression to the mean acts on every arm alike"):
        assert caption in trust, caption
    assert "No arm column" not in dose + trust


def test_the_per_arm_flow_does_not_reread_the_cohort_file(tmp_path):
    """Chapters run in another folder than the one the file was named from (a relative --data
    path) and must use the build's snapshot: the arm of an excluded row is kept at load time."""
    import shutil

    from mscreport.analysis.arm_compare import arm_flow

    path = tmp_path / "moved.csv"
    shutil.copy(DOSE_DATA["dose"], path)
    cohort = _cohort(path)
    path.unlink()
    flow = arm_flow(cohort).set_index("arm")
    assert flow.loc["placebo", "excluded"] == 1 and flow.loc["msc", "excluded"] == 1
    assert int(flow["rows read"].sum()) == cohort.rows_read == 37


def test_dose_tests_of_an_arm_whose_dose_groups_are_all_hidden_are_not_shown():
    block = {"varies": True, "high": {"n": 5}, "low": {"n": 4}, "welch": None, "mann_whitney": None,
             "pearson": {"r": 0.123456, "p": 0.5, "ci_low": -0.2, "ci_high": 0.4}, "spearman": None,
             "adjusted": None, "n_with_dose": 9}
    text = arm_dose.say_arm_dose_tests("msc", block, {("msc", "high"), ("msc", "low")}, 0.05)
    assert "not shown" in text and "0.12" not in text
    assert "0.12" in arm_dose.say_arm_dose_tests("msc", block, frozenset(), 0.05)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_per_arm_sections_render_for_every_arms_fixture(name):
    """Two arms, three arms (one ANCOVA, two comparisons) and sparse arms without follow-up time:
    the chapters' per-arm cells give their tables and sentences, none fails."""
    text = _per_arm_pages(_cohort(DATASETS[name]))
    assert "Regression to the mean acts on every arm alike" in text
    assert "Normality of the change within each arm" in text
    assert ("Durability within each arm" in text) == (name != "sparse")
    assert "no `dose_cells` column" not in text and "no dose_cells column" in text


# ------------------------------------------------------------------ the rule, on any crossed table
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(counts=st.lists(st.integers(0, 6), min_size=4, max_size=9), extra=st.lists(st.integers(0, 3), min_size=3, max_size=3))
def test_no_shown_group_of_a_crossed_table_gives_one_or_two_patients_back(counts, extra):
    """For any table of 2 x 2 or 3 x 3 cells (each row with a remainder of patients without a
    level, e.g. without a dose), with its margins hidden by the one-way rule of their own pages:
    every cell of 1 or 2 is hidden, and no combination of what is shown (the pooled total, the
    shown rows and columns, the shown cells) equals a group of 1 or 2 patients."""
    k = 3 if len(counts) == 9 else 2
    counts = (counts + [0] * 9)[: k * k]
    rows, cols = [f"r{i}" for i in range(k)], [f"c{j}" for j in range(k)]
    cells = {(r, c): counts[i * k + j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    row_totals = {r: sum(cells[(r, c)] for c in cols) + extra[i] for i, r in enumerate(rows)}
    col_totals = {c: sum(cells[(r, c)] for r in rows) for c in cols}
    total = sum(row_totals.values())
    hidden_rows, hidden_cols, hidden = disclosure.solve_crossed(
        cells, row_totals, col_totals, disclosure.hidden_parts(total, row_totals), disclosure.hidden_parts(total, col_totals))
    assert {c for c, n in cells.items() if disclosure.too_few(n)} <= hidden
    atoms = {**cells, **{("rem", r): extra[i] for i, r in enumerate(rows)}}
    shown = [set(atoms)] if not disclosure.too_few(total) else []
    shown += [{x for x in atoms if x[0] == r or x == ("rem", r)} for r in rows if r not in hidden_rows]
    shown += [{x for x in cells if x[1] == c} for c in cols if c not in hidden_cols]
    shown += [{x} for x in cells if x not in hidden]
    assert disclosure.recoverable_small_groups(atoms, shown) == []


# ------------------------------------------------------------------ a pooled group equal to one arm's
def _trial(tmp_path, name, msc_rows, placebo_rows):
    rows = [(f"C{i}", "placebo", *r) for i, r in enumerate(placebo_rows)] + [(f"M{i}", "msc", *r) for i, r in enumerate(msc_rows)]
    path = tmp_path / name
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup", "dose_cells"]).to_csv(path, index=False)
    return _cohort(path)


def test_a_pooled_dose_group_that_is_one_arms_is_hidden_when_the_arm_total_would_give_a_patient_back(tmp_path):
    """Placebo has no dose (as usual), so the pooled high-dose group is msc's: shown beside msc's
    own total (chapter 3), it would give msc's one low-dose patient back."""
    from mscreport.analysis.dose import analyse_dose, hidden_dose, within_table
    from mscreport.pipeline.render import headline_table
    from mscreport.report.blocks import compute_results

    msc = [(6.9 + 0.23 * i, 6.4 + 0.2 * i, 2e9) for i in range(11)] + [(9.61, 7.13, 2e8)]
    placebo = [(7.0 + 0.3 * i, 6.9 + 0.28 * i, None) for i in range(10)]
    cohort = _trial(tmp_path, "lone_low.csv", msc, placebo)
    dose = analyse_dose(cohort)
    assert dose.low.n == 1 and dose.high.n == 11
    hidden = hidden_dose(dose, cohort.rows_analysed)
    assert hidden == {"high", "low"}  # the one-way rule alone hid only 'low' (remainder: 10 without a dose)
    results = compute_results(cohort)
    assert {"high", "low"} <= disclosure.hidden_in_results(results)
    page = _Page(cohort)
    page.table(within_table(dose, hidden), "pooled dose groups")
    page.parts.append(headline_table(results))
    text = page.text() + _per_arm_pages(cohort)
    arm = cohort.frame[cohort.frame["arm"] == "msc"]
    high = arm[arm["dose_cells"] >= 1e9]
    shown_arm = fmt_change(arm["change"].mean()) in text
    shown_high = fmt_change(high["change"].mean()) in text
    assert shown_arm and not shown_high  # the arm is the trial's result; the pooled group gives way
    assert fmt_hba1c(9.61) not in text and fmt_hba1c(7.13) not in text


def test_a_pooled_stratum_that_is_one_arm_plus_a_patient_is_hidden_in_tables_table_1_and_the_index(tmp_path):
    """Placebo has only moderate patients and msc one: pooled moderate minus placebo's total
    would be that patient."""
    from mscreport.pipeline.render import headline_table
    from mscreport.display.tables import paired_table
    from mscreport.report.blocks import compute_results
    from mscreport.analysis.paired import analyse_overall, analyse_strata

    msc = [(8.4 + 0.2 * i, 7.9 + 0.15 * i, None) for i in range(9)] + [(7.37, 6.11, None)]
    placebo = [(6.5 + 0.12 * i, 6.4 + 0.13 * i, None) for i in range(10)]
    cohort = _trial(tmp_path, "lone_moderate.csv", msc, placebo)
    assert disclosure.hidden_strata(cohort.frame) == {"moderate", "severe"}
    results = compute_results(cohort)
    assert {"moderate", "severe"} <= disclosure.hidden_in_results(results)
    page = _Page(cohort)
    page.table(paired_table({"all": analyse_overall(cohort), **analyse_strata(cohort)},
                            disclosure.hidden_groups(cohort.frame)), "pooled")
    page.parts.append(headline_table(results))
    from mscreport.analysis.table_one import describe_cohort, format_table_one

    page.table(format_table_one(describe_cohort(cohort)), "Table 1")
    from mscreport.analysis.strata import format_sensitivity, threshold_sensitivity

    page.table(format_sensitivity(threshold_sensitivity(cohort), 8.0), "thresholds")
    text = page.text() + _per_arm_pages(cohort)
    mod = cohort.stratum("moderate")
    assert fmt_change(mod["change"].mean()) not in text and fmt_hba1c(mod["hba1c_baseline"].mean()) not in text
    assert fmt_num(mod["change"].mean()) not in text  # the threshold table's row at severe_above
    assert fmt_change(cohort.frame.loc[cohort.frame["arm"] == "placebo", "change"].mean()) in text


def test_chapter_3_stratum_sentence_follows_the_crossed_rule(tmp_path):
    from mscreport.analysis.change import say_paired
    from mscreport.analysis.paired import analyse_overall, analyse_strata

    msc = [(8.4 + 0.2 * i, 7.9 + 0.15 * i, None) for i in range(9)] + [(7.37, 6.11, None)]
    placebo = [(6.5 + 0.12 * i, 6.4 + 0.13 * i, None) for i in range(10)]
    cohort = _trial(tmp_path, "lone_moderate.csv", msc, placebo)
    text = say_paired(analyse_overall(cohort), analyse_strata(cohort), 0.05)
    assert _fmt_change(cohort.stratum("moderate")["change"].mean()).split(" (")[0] not in text  # raw markdown: '−'
