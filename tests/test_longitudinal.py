"""Long cohort files (one row per HbA1c measurement): reading, the derivation rules (checked
on hand-worked examples), row accounting, the mixed model against nlme
(tests/r/longitudinal.R -> tests/fixtures/r_longitudinal.json; tests/r/long_balanced.R ->
r_long_balanced.json for pooled designs), time bins, the durability
verdict, ``synth --long`` and chapter 07's shape."""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mscreport.analysis import trajectory as tr
from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.longitudinal import DAYS_PER_MONTH, is_long_layout
from mscreport.inputs.params import DEFAULTS, resolve_params
from mscreport.core.paths import REPO_ROOT
from mscreport.report.blocks import compute_results

from nlme_check import REL, assert_matches_nlme  # tests/nlme_check.py

FIXTURES = REPO_ROOT / "tests" / "fixtures"
CONSTRUCTED = FIXTURES / "long_constructed.csv"
LONG_SYNTHETIC = REPO_ROOT / "data" / "reconstructed_cohort_long.csv"
WIDE_SYNTHETIC = REPO_ROOT / "data" / "reconstructed_cohort.csv"
R = json.loads((FIXTURES / "r_longitudinal.json").read_text())
BALANCED = FIXTURES / "long_balanced.csv"  # a shared visit schedule: tests/r/long_balanced.R
R_BALANCED = json.loads((FIXTURES / "r_long_balanced.json").read_text())


def _csv(tmp_path: Path, text: str, name: str = "long.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


# tests/r/longitudinal.R applies the paper's inclusion rule (baseline >= 6.2 %); a user's long
# file excludes nobody for a low baseline by default (inclusion_min = auto -> none), so it is given
PAPER_RULE = {**DEFAULTS, "inclusion_min": "6.2"}


def _load(path: Path, **params):
    return load_cohort(path, resolve_params(None, [f"{k}={v}" for k, v in {"inclusion_min": "6.2", **params}.items()]))


# ------------------------------------------------------------------ recognising the layout
def test_layout_is_recognised_by_its_columns():
    assert is_long_layout(["patient_id", "months", "hba1c"])
    assert is_long_layout(["patient_id", "date", "infusion_date", "hba1c", "arm"])
    assert not is_long_layout(["patient_id", "hba1c_baseline", "hba1c_followup"])
    assert not is_long_layout(["patient_id", "hba1c_baseline", "hba1c", "months"])  # a wide file with extras
    assert not is_long_layout(["patient_id", "hba1c"])  # no time column


# ------------------------------------------------------------------ derivation rules, worked by hand
HAND = """
patient_id,months,hba1c,dose_cells
A,-6,7.0,1e9
A,-2,8.0,1e9
A,0,8.2,
A,5,7.5,1e9
A,11,7.2,1e9
A,14,7.4,1e9
B,-4,8.0,2e8
B,3,7.0,2e8
C,10,8.0,5e8
C,-1,9.0,5e8
C,14,8.5,5e8
D,0,7.5,1e9
E,0,6.0,1e9
E,6,5.8,1e9
F,0,8.0,1e9
F,20,7.0,1e9
G,0,8.4,1e9
G,7,,1e9
G,9,7.9,1e9
"""


def _wide(cohort) -> dict:
    f = cohort.frame.set_index("patient_id")
    return {pid: (r.hba1c_baseline, r.hba1c_followup, r.followup_months) for pid, r in f.iterrows()}


def test_last_followup_rule_by_hand(tmp_path):
    c = _load(_csv(tmp_path, HAND))
    # A: baseline = last in [-3, 0] = month 0 (8.2; -2 is earlier, -6 outside); follow-up = last after 0 = month 14
    # C: rows out of order; baseline month -1 (9.0), last = month 14 (8.5); G: the empty cell at 7 is no measurement
    assert _wide(c) == {"A": (8.2, 7.4, 14.0), "C": (9.0, 8.5, 14.0), "F": (8.0, 7.0, 20.0), "G": (8.4, 7.9, 9.0)}
    reasons = {e.row: e.reason for e in c.excluded}
    assert reasons == {7: "no HbA1c in the baseline window (-3 to 0 months)",  # B: -4 is outside [-3, 0]
                       12: "no HbA1c after time 0 (follow-up)",  # D: baseline only
                       13: "baseline HbA1c below the inclusion threshold (6.2 %)"}  # E (inclusion_min)
    assert c.rows_read == 7 == c.rows_analysed + len(c.excluded)  # patients
    assert c.frame.set_index("patient_id").loc["A", "dose_cells"] == 1e9  # an empty repeat is no disagreement


def test_followup_at_a_month_by_hand(tmp_path):
    c = _load(_csv(tmp_path, HAND), followup_at_months=12)
    # A: 11 (distance 1) beats 14 (2); C: 10 and 14 tie at distance 2 -> the earlier; G: 9 is 3 away (inside)
    assert _wide(c) == {"A": (8.2, 7.2, 11.0), "C": (9.0, 8.0, 10.0), "G": (8.4, 7.9, 9.0)}
    reasons = {e.row: e.reason for e in c.excluded}
    assert reasons[15] == "no HbA1c within 3 months of month 12 (follow-up)"  # F: only month 20
    c = _load(_csv(tmp_path, HAND), followup_at_months=12, followup_window_months=2.5)
    assert set(_wide(c)) == {"A", "C"}  # G's month 9 is now too far


def test_baseline_window_by_hand(tmp_path):
    c = _load(_csv(tmp_path, HAND), baseline_window_months=6)
    assert _wide(c)["B"] == (8.0, 7.0, 3.0)
    # A: still month 0 (the last in the window), not -2 or -6
    assert _wide(c)["A"][0] == 8.2
    c = _load(_csv(tmp_path, HAND), baseline_window_months=0)
    assert "C" not in _wide(c)  # C's only pre-infusion value is at -1


def test_model_frame_by_hand(tmp_path):
    long = _load(_csv(tmp_path, HAND)).longitudinal
    m = long.model_frame()
    # patients with a baseline >= moderate_min: A, C, D (no follow-up, still in), F, G; not B (no baseline), E (below)
    assert sorted(m["patient_id"].unique()) == ["A", "C", "D", "F", "G"]
    assert m[m["patient_id"] == "A"]["months"].tolist() == [0, 5, 11, 14]  # baseline + after 0; -2, -6 not used
    assert m[m["patient_id"] == "C"]["months"].tolist() == [-1, 10, 14]  # the baseline at its own time
    assert m[m["patient_id"] == "G"]["months"].tolist() == [0, 9]
    assert np.allclose(m["years"], m["months"] / 12)


def test_every_measurement_and_patient_is_accounted_for(tmp_path):
    c = _load(_csv(tmp_path, HAND))
    flow = c.longitudinal.flow()
    assert sum(u["n"] for u in flow["measurements"]) == flow["rows_read"] == 19
    uses = {u["use"]: u["n"] for u in flow["measurements"]}
    assert uses == {"baseline": 5, "follow-up": 4,
                    "other measurement after time 0 (mixed model only)": 3,  # A 5 and 11, C 10
                    "before time 0, not the baseline (not used)": 2,  # A -6 and -2
                    "patient not analysed (see the patient's exclusion)": 4,  # B (2), E (2)
                    "empty hba1c cell (not a measurement)": 1}
    assert flow["patients_read"] == 7


def test_weeks_days_and_dates_become_months(tmp_path):
    weeks = _load(_csv(tmp_path, "patient_id,weeks,hba1c\nA,0,8.0\nA,26,7.0\nB,-1,9.0\nB,52,8.0\nC,0,7.5\nC,13,7.1"))
    assert _wide(weeks)["A"][2] == pytest.approx(26 * 7 / 30.4375)
    days = _load(_csv(tmp_path, "patient_id,days,hba1c\nA,0,8.0\nA,365,7.0\nB,0,9.0\nB,100,8.0\nC,0,7.5\nC,90,7.1"))
    assert _wide(days)["A"][2] == pytest.approx(365 / DAYS_PER_MONTH)
    dated = _load(_csv(tmp_path, "patient_id,date,infusion_date,hba1c\nA,2024-01-10,2024-01-15,8.0\n"
                                 "A,2025-01-15,2024-01-15,7.0\nB,2024-03-01,2024-03-01,9.0\nB,2024-09-01,2024-03-01,8.0\n"
                                 "C,2024-03-01,2024-03-01,7.5\nC,2024-06-01,2024-03-01,7.1"))
    assert _wide(dated)["A"] == (8.0, 7.0, pytest.approx(366 / DAYS_PER_MONTH))  # 2024 is a leap year
    assert _wide(dated)["B"][2] == pytest.approx(184 / DAYS_PER_MONTH)


def test_mmol_mol_long_file_is_converted(tmp_path):
    c = _load(_csv(tmp_path, "patient_id,months,hba1c\nA,0,64\nA,12,53\nB,0,75\nB,6,60\nC,0,58\nC,6,50"),
              hba1c_unit="mmol_mol")
    assert _wide(c)["A"][0] == pytest.approx(0.0915 * 64 + 2.15)
    assert c.longitudinal.model_frame()["hba1c"].max() == pytest.approx(0.0915 * 75 + 2.15)


# ------------------------------------------------------------------ refused files: FILE:ROW:COLUMN, exit 2
@pytest.mark.parametrize("text, expected", [
    ("patient_id,months,hba1c,dose_cells\nA,0,8,1e9\nA,6,7,2e9\nB,0,8,1e9\nB,6,7,1e9",
     ["long.csv:2:dose_cells: dose_cells differs within the patient ('2e9' here, '1e9' in row 1)"]),
    ("patient_id,months,hba1c,arm\nA,0,8,x\nA,6,7,y\nA,9,7,y",
     ["long.csv:2:arm: arm differs within the patient ('y' here, 'x' in row 1)",
      "long.csv:3:arm: arm differs within the patient ('y' here, 'x' in row 1)"]),
    ("patient_id,months,hba1c\nA,0,8\nA,6,7\nA,6,7.5", ["long.csv:3:hba1c: a second HbA1c of this patient at the same "
                                                        "time (as row 2): keep one"]),
    ("patient_id,months,hba1c\nA,0,8\nA,,7", ["long.csv:2:months: empty time"]),
    ("patient_id,months,hba1c\nA,0,8\nA,6,high", ["long.csv:2:hba1c: not a number: 'high'"]),
    ("patient_id,months,hba1c\nA,0,8\nA,6,64", ["long.csv:2:hba1c: HbA1c 64 is outside the plausible range"]),
    ("patient_id,months,hba1c\nA,0,8\n,6,7", ["long.csv:2:patient_id: empty patient_id"]),
    ("patient_id,date,hba1c\nA,2024-01-01,8", ["long.csv:-:infusion_date: a 'date' column needs"]),
    ("patient_id,date,infusion_date,hba1c\nA,01/02/2024,2024-01-01,8", ["long.csv:1:date: not a date in the form YYYY-MM-DD (ISO): '01/02/2024'"]),
    ("patient_id,months,weeks,hba1c\nA,0,0,8\nA,6,40,7", ["long.csv:2:weeks: weeks disagrees with months"]),
])
def test_refused_with_located_problems(tmp_path, capsys, text, expected):
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_cohort(path, dict(DEFAULTS))
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected):
        assert line.startswith(str(tmp_path / start)), line
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err.count("\n") == len(expected)


def test_one_consistent_patient_level_value_is_kept(tmp_path):
    c = _load(_csv(tmp_path, "patient_id,months,hba1c,msc_source,dose_cells\nA,0,8,UC,1.5e9\nA,6,7,uc,1500000000\n"
                             "B,0,8,BM,2e8\nB,6,7,,\nC,0,8,,\nC,6,7,AD,3e8"))
    f = c.frame.set_index("patient_id")
    assert f.loc["A", "msc_source"] == "umbilical_cord" and f.loc["A", "dose_cells"] == 1.5e9
    assert f.loc["C", "msc_source"] == "adipose"


# ------------------------------------------------------------------ parameters
def test_followup_at_months_parameter():
    assert resolve_params(None, ["followup_at_months=12"])["followup_at_months"] == "12"
    assert resolve_params(None, [])["followup_at_months"] == "last"
    for bad in ("soon", "0", "-3", "nan"):
        with pytest.raises(InputError, match="followup_at_months"):
            resolve_params(None, [f"followup_at_months={bad}"])


def test_followup_at_months_from_yaml_number(tmp_path):
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("followup_at_months: 12\nbaseline_window_months: 1.5\n")
    p = resolve_params(yaml_file)
    assert p["followup_at_months"] == "12" and p["baseline_window_months"] == 1.5


# ------------------------------------------------------------------ the mixed model against nlme
@pytest.mark.parametrize("engine", [tr.ENGINE_STATSMODELS, tr.ENGINE_CLOSED_FORM])
@pytest.mark.parametrize("name, path", [("constructed", CONSTRUCTED), ("synthetic", LONG_SYNTHETIC)])
def test_mixed_model_matches_nlme(name, path, engine):
    frame = load_cohort(path, PAPER_RULE).longitudinal.model_frame()
    assert_matches_nlme(tr.fit_mixed_model(frame, engine=engine).interface(), R[name])


@pytest.mark.parametrize("arm", ["A", "control"])
def test_mixed_model_by_arm_matches_nlme(arm):
    traj = tr.analyse_trajectory(load_cohort(CONSTRUCTED, PAPER_RULE))
    assert traj.arms == ["A", "control"]
    assert_matches_nlme(traj.interface()["mixed_model_by_arm"][arm], R["constructed_by_arm"][arm])


def test_closed_form_reml_is_the_nlme_likelihood():
    """Same criterion, same constant: the REML log-likelihood equals nlme's logLik()."""
    frame = load_cohort(CONSTRUCTED, PAPER_RULE).longitudinal.model_frame()
    fit = tr.fit_mixed_model(frame, engine=tr.ENGINE_CLOSED_FORM)
    assert fit.reml_loglik == pytest.approx(R["constructed"]["reml_loglik"], rel=1e-9)


def test_engines_agree_on_a_larger_cohort():
    rng = np.random.default_rng(3)
    n = 300
    pid = np.repeat(np.arange(n), 5)
    months = np.tile([0, 3, 6, 12, 24], n) + rng.uniform(0, 1, 5 * n)
    keep = rng.random(5 * n) > 0.15  # missing visits
    b0, b1 = rng.normal(8, 0.9, n), rng.normal(0.2, 0.3, n)
    y = b0[pid] + b1[pid] * months / 12 + rng.normal(0, 0.3, 5 * n)
    frame = pd.DataFrame({"patient_id": pid, "years": months / 12, "hba1c": y})[keep]
    a = tr.fit_mixed_model(frame, engine=tr.ENGINE_STATSMODELS).interface()
    b = tr.fit_mixed_model(frame, engine=tr.ENGINE_CLOSED_FORM).interface()
    for term in ("intercept", "slope_per_year"):
        for key in ("estimate", "se"):
            assert a[term][key] == pytest.approx(b[term][key], rel=REL)
    for key in ("sd_intercept", "sd_slope", "sd_residual"):
        assert a[key] == pytest.approx(b[key], rel=REL)
    assert b["slope_per_year"]["ci_low"] < 0.2 < b["slope_per_year"]["ci_high"]


def _sums(frame: pd.DataFrame) -> tuple:
    codes = pd.factorize(frame["patient_id"])[0]
    return tr._group_sums(frame["hba1c"].to_numpy(float), frame["years"].to_numpy(float), codes, codes.max() + 1)


def test_pooled_designs_match_nlme():
    """Patients sharing a visit schedule are pooled by design (one likelihood evaluation costs
    O(designs)); the fit is still nlme's (tests/r/long_balanced.R)."""
    frame = load_cohort(BALANCED, PAPER_RULE).longitudinal.model_frame()
    pooled = tr._design_sums(_sums(frame))
    assert pooled is not None and len(pooled[0]) == R_BALANCED["designs"]  # the pooled path is the one tested
    fit = tr.fit_mixed_model(frame, engine=tr.ENGINE_CLOSED_FORM).interface()
    assert_matches_nlme(fit, R_BALANCED["balanced"])
    assert fit["reml_loglik"] == pytest.approx(R_BALANCED["balanced"]["reml_loglik"], rel=1e-9)
    assert_matches_nlme(tr.fit_mixed_model(frame, engine=tr.ENGINE_STATSMODELS).interface(), R_BALANCED["balanced"])


@pytest.mark.parametrize("theta", [(1.0, 0.0, 0.5), (2.6, -0.4, 0.9), (0.3, 0.2, 1e-4), (1.0, -1.0, 0.0)])
def test_pooled_criterion_is_the_sum_over_patients(theta):
    """Pooling by design is algebra, not an approximation: the same -2 REML, beta, sigma^2 and
    X'V^-1X as summing patient by patient."""
    sums = _sums(load_cohort(BALANCED, PAPER_RULE).longitudinal.model_frame())
    n_obs = int(sums[0].sum())
    per_patient = tr._reml_parts(np.array(theta), sums, n_obs)
    pooled = tr._reml_parts(np.array(theta), tr._design_sums(sums), n_obs)
    for a, b in zip(per_patient, pooled):
        assert np.allclose(a, b, rtol=1e-11, atol=0)


def test_no_pooling_when_every_patient_has_a_design_of_their_own():
    """Irregular visits (the constructed cohort, Steno-2): summed patient by patient as before."""
    assert tr._design_sums(_sums(load_cohort(CONSTRUCTED, PAPER_RULE).longitudinal.model_frame())) is None


def test_a_fit_of_the_same_data_is_kept_and_handed_out_as_a_copy():
    frame = load_cohort(CONSTRUCTED, PAPER_RULE).longitudinal.model_frame()
    first = tr.fit_mixed_model(frame)
    first.slope_per_year["estimate"] = 99.0  # a caller changing its result changes no later one
    again = tr.fit_mixed_model(frame.copy())
    assert again.slope_per_year["estimate"] != 99.0
    assert again.interface()["slope_per_year"]["estimate"] == pytest.approx(R["constructed"]["slope_per_year"]["estimate"], rel=REL)
    assert tr.fit_mixed_model(frame, alpha=0.1).slope_per_year["ci_low"] > again.slope_per_year["ci_low"]  # alpha is part of the key
    changed = frame.assign(hba1c=frame["hba1c"] + 1.0)
    assert tr.fit_mixed_model(changed).intercept["estimate"] == pytest.approx(again.intercept["estimate"] + 1.0)


def test_model_frame_is_sorted_by_pseudonym_then_time_and_each_call_is_a_copy(tmp_path):
    long = _load(_csv(tmp_path, """
patient_id,months,hba1c,arm
b,12,7.0,msc
c10,0,8.0,control
b,0,8.0,msc
c9,0,8.5,msc
a,6,7.5,control
c10,3,7.8,
a,0,8.1,control
c9,6,8.0,msc
""")).longitudinal
    m = long.model_frame()
    assert list(zip(m["patient_id"], m["months"])) == [("a", 0), ("a", 6), ("b", 0), ("b", 12), ("c10", 0), ("c10", 3),
                                                      ("c9", 0), ("c9", 6)]
    assert m["arm"].tolist() == ["control", "control", "msc", "msc", "control", "control", "msc", "msc"]
    m.loc[0, "hba1c"] = 1.0
    assert long.model_frame()["hba1c"].iloc[0] == 8.1


def test_too_few_patients_gives_no_model():
    frame = pd.DataFrame({"patient_id": ["a", "a", "b", "b"], "years": [0, 1, 0, 1], "hba1c": [8, 7, 8, 7.5]})
    assert tr.fit_mixed_model(frame) is None
    assert "could not be estimated" in tr.durability_verdict(None)


# ------------------------------------------------------------------ time bins
def test_bins_by_hand():
    assert [tr.bin_width(x) for x in (12, 24, 25, 72, 73)] == [3, 3, 6, 6, 12]
    frame = pd.DataFrame({"patient_id": ["a", "a", "a", "b", "b", "c", "c"],
                          "months": [-1, 2, 4, 0, 3.5, 0, 1],
                          "hba1c": [8.0, 7.0, 7.4, 9.0, 8.0, 7.0, 6.5]})
    table = tr.by_time(frame, 3.0, 0.05).set_index("months")
    # bin 0: baselines 8, 9, 7; bin 3: a (mean of 7.0 and 7.4 = 7.2), b 8.0, c (t = 1 -> at least the first bin) 6.5
    assert table.loc[0.0, "n"] == 3 and table.loc[0.0, "mean"] == pytest.approx(8.0)
    values = np.array([7.2, 8.0, 6.5])
    assert table.loc[3.0, "mean"] == pytest.approx(values.mean())
    assert table.loc[3.0, "sd"] == pytest.approx(values.std(ddof=1))
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    assert table.loc[3.0, "ci_low"] == pytest.approx(values.mean() - half)
    assert table.loc[3.0, "ci_high"] == pytest.approx(values.mean() + half)


# ------------------------------------------------------------------ verdict
def _mixed(lo: float, hi: float, n: int = 30) -> tr.MixedModelResult:
    fe = {"estimate": (lo + hi) / 2, "se": 0.1, "df": 100, "ci_low": lo, "ci_high": hi, "t": 1.0, "p": 0.3}
    return tr.MixedModelResult(n, 5 * n, fe, fe, 1.0, 0.2, 0.3, 0.1, -10.0, True, tr.ENGINE_CLOSED_FORM)


def test_durability_verdict_follows_the_interval():
    assert tr.durability_verdict(_mixed(0.1, 0.5)).startswith("**Not durable:**")
    assert tr.durability_verdict(_mixed(-0.5, -0.1)).startswith("**Falling over follow-up:**")
    assert tr.durability_verdict(_mixed(-0.2, 0.3)).startswith("**No detectable drift:**")
    assert "(arm X)" in tr.durability_verdict(_mixed(-0.2, 0.3), label="arm X")
    assert "not shown" in tr.durability_verdict(_mixed(-0.2, 0.3, n=2))


# ------------------------------------------------------------------ results.json
def test_wide_file_gives_null_longitudinal():
    assert compute_results(load_cohort(WIDE_SYNTHETIC))["longitudinal"] is None


def test_longitudinal_block_keys():
    block = compute_results(load_cohort(CONSTRUCTED, PAPER_RULE))["longitudinal"]
    assert {"n_patients", "n_measurements", "rows_read", "by_time", "mixed_model", "mixed_model_by_arm"} <= set(block)
    assert block["rows_read"] == 218 and block["n_patients"] == 36 and block["n_measurements"] == 196
    for b in block["by_time"]:
        assert {"months", "n", "mean", "sd", "ci_low", "ci_high"} <= set(b)
    assert sum(b["n"] for b in block["by_time"] if b["months"] == 0) == 36
    for key in ("intercept", "slope_per_year"):
        assert {"estimate", "se", "ci_low", "ci_high", "p"} <= set(block["mixed_model"][key])
    assert {"sd_intercept", "sd_slope", "sd_residual", "converged"} <= set(block["mixed_model"])
    json.dumps(block, allow_nan=False)


# ------------------------------------------------------------------ synth --long
def test_synth_long_matches_the_bundled_file_and_is_labelled():
    exe = Path(sys.executable).parent / "mscreport"
    proc = subprocess.run([str(exe), "synth", "--long", "--seed", "2025"], capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == LONG_SYNTHETIC.read_bytes()
    frame = pd.read_csv(LONG_SYNTHETIC, dtype={"synthetic": str})
    assert (frame["synthetic"] == "yes").all() and frame["patient_id"].str.startswith("SYN-").all()
    per_patient = frame.groupby("patient_id").size()
    assert per_patient.min() >= 2 and per_patient.max() <= 6  # a few measurements each


def test_long_synthetic_reduced_to_last_followup_is_the_reconstructed_cohort():
    """Independent of the library: pandas alone reduces the long file (baseline = last value in
    [-3, 0], follow-up = last after 0); the result equals data/reconstructed_cohort.csv, whose
    reproduction of every published figure tests/test_reconstructed_cohort.py checks."""
    long = pd.read_csv(LONG_SYNTHETIC, dtype=str, keep_default_na=False)
    long["months"], long["hba1c"] = long["months"].astype(float), long["hba1c"].astype(float)
    long = long.sort_values(["patient_id", "months"])
    base = long[(long["months"] >= -3) & (long["months"] <= 0)].groupby("patient_id").last()
    last = long[long["months"] > 0].groupby("patient_id").last()
    wide = pd.read_csv(WIDE_SYNTHETIC, dtype=str, keep_default_na=False).set_index("patient_id").sort_index()
    assert list(base.index) == list(wide.index) == list(last.index)
    assert (base["hba1c"].map("{:.1f}".format) == wide["hba1c_baseline"]).all()
    assert (last["hba1c"].map("{:.1f}".format) == wide["hba1c_followup"]).all()
    assert (last["months"].map("{:g}".format) == wide["followup_months"]).all()
    for column in ("dose_cells", "msc_source", "age_years", "sex", "bmi", "diabetes_duration_years",
                   "serious_adverse_event", "synthetic"):
        assert (last[column] == wide[column]).all(), column


def test_library_derivation_of_the_long_synthetic_cohort_equals_the_wide_one():
    a = load_cohort(LONG_SYNTHETIC).frame.sort_values("patient_id").reset_index(drop=True)
    b = load_cohort(WIDE_SYNTHETIC).frame.sort_values("patient_id").reset_index(drop=True)
    for column in ("patient_id", "hba1c_baseline", "hba1c_followup", "followup_months", "dose_cells", "msc_source",
                   "change", "stratum"):
        assert a[column].tolist() == b[column].tolist(), column


# ------------------------------------------------------------------ chapter 07
def test_trajectory_chapter_cells_are_thin():
    nb = jupytext.read(REPO_ROOT / "notebooks" / "07_trajectory.py")
    banned = (ast.If, ast.For, ast.While, ast.Lambda, ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.IfExp)
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = [type(n).__name__ for n in ast.walk(ast.parse(cell.source)) if isinstance(n, banned)]
            assert not found, f"computation belongs in lib/: {found} in {cell.source[:60]!r}"
    teaching = [c.source for c in nb.cells if "teaching" in c.metadata.get("tags", [])]
    assert any("t-test" in s and "mixed model" in s for s in teaching)


def test_a_parquet_long_file_with_missing_patient_level_text_loads_and_names_its_rows(tmp_path):
    """pandas' "string" dtype (what read_parquet gives back) holds pd.NA for a missing cell:
    the patient-level checks treat it as an empty cell, as they do in a CSV (review finding)."""
    frame = pd.read_csv(FIXTURES / "long_constructed.csv", dtype=str)
    first = frame["patient_id"].iloc[0]
    frame["dose_cells"] = frame["dose_cells"].astype("string")
    frame.loc[frame["patient_id"] == first, "dose_cells"] = pd.NA
    path = tmp_path / "long.parquet"
    frame.to_parquet(path)
    cohort = load_cohort(path, dict(DEFAULTS))
    csv = tmp_path / "long.csv"
    frame.to_csv(csv, index=False)
    same = load_cohort(csv, dict(DEFAULTS))
    assert cohort.rows_analysed == same.rows_analysed
    assert [e.reason for e in cohort.excluded] == [e.reason for e in same.excluded]

    frame["arm"] = pd.Series(["msc"] * len(frame), dtype="string")
    frame.loc[frame["patient_id"] == first, "arm"] = pd.NA
    frame.to_parquet(path)
    with pytest.raises(InputError) as err:
        load_cohort(path, dict(DEFAULTS))
    assert any(p.column == "arm" and p.row is not None for p in err.value.problems)
