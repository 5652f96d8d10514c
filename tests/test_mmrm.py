"""The MMRM of a controlled study with visits (lib/mscreport/mmrm.py) against R's nlme::gls
(``tests/r/mmrm.R`` -> ``tests/fixtures/r_mmrm.json``): a constructed trial with nominal visits
and unequal dropout (two and three arms), and Epi's simulated Steno-2 data assigned to nominal
visits by the visit-window rule (two windows). Differences, SEs, CIs and p to 1e-4."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest

from mscreport.analysis import mmrm
from mscreport.core.errors import InputError
from mscreport.core.paths import REPO_ROOT

FIX = REPO_ROOT / "tests" / "fixtures"
R = json.loads((FIX / "r_mmrm.json").read_text(encoding="utf-8"))
REL, ABS = 1e-4, 1e-6
BASELINE_WINDOW = 3.0  # baseline_window_months


def close(ours, r) -> bool:
    return math.isclose(ours, r, rel_tol=REL, abs_tol=ABS)


def model_rows(d: pd.DataFrame) -> pd.DataFrame:
    """As tests/r/mmrm.R: the rows at time > 0 of patients with a baseline (the last measurement
    in [-3, 0] months), with that baseline."""
    d = d[d["hba1c"].notna()].sort_values(["patient_id", "months"], kind="mergesort")
    pre = d[(d["months"] >= -BASELINE_WINDOW) & (d["months"] <= 0)]
    base = pre.groupby("patient_id")["hba1c"].last()
    post = d[(d["months"] > 0) & d["patient_id"].isin(base.index)].copy()
    post["baseline"] = post["patient_id"].map(base)
    return post


def visits_file() -> pd.DataFrame:
    return pd.read_csv(FIX / "long_visits.csv", dtype={"patient_id": str, "arm": str})


def steno2() -> pd.DataFrame:
    st = pd.read_csv(FIX / "long_steno2.csv", dtype={"patient_id": str, "arm": str})
    st["months"] = (pd.to_datetime(st["date"]) - pd.to_datetime(st["infusion_date"])).dt.days / 30.4375
    st["hba1c"] = 0.0915 * st["hba1c"] + 2.15  # IFCC mmol/mol -> NGSP %
    return st[["patient_id", "arm", "months", "hba1c"]]


CASES = {
    "visits_three": lambda: (model_rows(visits_file()), "placebo", None, None),
    "visits_two": lambda: (model_rows(visits_file().query("arm in ['placebo', 'high_dose']")), "placebo", None, None),
    "steno2": lambda: (model_rows(steno2()), "conventional", R["steno2"]["visits_param"], R["steno2"]["visit_window"]),
    "steno2_wide": lambda: (model_rows(steno2()), "conventional", R["steno2_wide"]["visits_param"],
                            R["steno2_wide"]["visit_window"]),
}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):
    rows, reference, visits, window = CASES[request.param]()
    result, notes = mmrm.fit_mmrm(rows, reference, R["alpha"], visits, window)
    return request.param, rows, result, notes, R[request.param]


def test_fixture_is_from_r_42_and_nlme():
    assert R["r_version"].startswith("R version 4.2") and R["nlme_version"]


def test_differences_match_gls(fitted):
    name, _, res, _, r = fitted
    assert [(c.arm, c.visit) for c in res.comparisons] == [(c["arm"], c["visit"]) for c in r["comparisons"]]
    bad = []
    for c, rc in zip(res.comparisons, r["comparisons"]):
        # R: gls(...); coef arm + arm:visit; sqrt(c' vcov(fit) c); +- qt(1 - alpha/2, N - p) se; 2 pt(-|t|, N - p)
        for key in ("difference", "se", "ci_low", "ci_high", "df", "p"):
            if not close(getattr(c, key), rc[key]):
                bad.append((c.arm, c.visit, key, getattr(c, key), rc[key]))
    assert not bad, (name, bad)


def test_coefficients_and_covariance_match_gls(fitted):
    name, _, res, _, r = fitted
    # R: coef(fit)
    assert set(res.coefficients) == set(r["coefficients"]), name
    assert all(close(res.coefficients[k], v) for k, v in r["coefficients"].items()), name
    # R: fit$sigma * varIdent ratios; corMatrix(fit$modelStruct$corStruct) (to 1e-4: on a flat
    # REML surface nlme's optimiser stops up to 2e-5 from the optimum in a correlation)
    assert np.allclose(res.visit_sd, list(r["visit_sd"].values()), rtol=0, atol=1e-4), name
    assert np.allclose(res.correlation, np.array(r["correlation"]), rtol=0, atol=1e-4), name
    # R: logLik(fit) (REML): ours is at least as high (R's optimiser stops a little short)
    assert res.log_likelihood == pytest.approx(r["logLik"], abs=1e-6) and res.log_likelihood > r["logLik"] - 1e-9


def test_rows_visits_and_counts_match(fitted):
    name, rows, res, notes, r = fitted
    assert res.n_rows == r["n_rows"] and res.n_patients == r["n_patients"], name
    assert [v["visit"] for v in res.visits] == [v["visit"] for v in r["visits"]], name
    assert [v["n"] for v in res.visits] == [v["n"] for v in r["visits"]], name
    assert res.converged
    # boundary as the Clarifications define it, from R's own estimates
    assert res.boundary == (r["max_abs_correlation"] > 0.999 or r["min_variance_ratio"] < 1e-3)
    for visit in r["dropped_visits"]:
        assert any(f"month {visit:g} left out" in n for n in notes), (name, notes)
    if r["rows_dropped"]:
        assert any(f"{r['rows_dropped']} measurements not used" in n for n in notes), (name, notes)


def test_visit_assignment_counts_as_r():
    rows = model_rows(steno2())
    for name in ("steno2", "steno2_wide"):
        _, dropped = mmrm.assign_visits(rows["patient_id"].to_numpy(), rows["months"].to_numpy(),
                                        R[name]["visits_param"], R[name]["visit_window"])
        assert dropped == R[name]["rows_dropped"], name
    assert R["steno2_wide"]["rows_dropped"] > 0


def test_assign_visits_rule():
    """Nearest visit within the window; per patient and visit the nearest row; ties the earlier."""
    visit, dropped = mmrm.assign_visits(
        ["a", "a", "a", "a", "b", "b", "b"],
        [2.0, 4.0, 3.0, 9.0, 4.5, 7.5, 12.5],  # b: 4.5 equidistant from 3 and 6 -> visit 3
        [3, 6, 12], window=1.5)
    # a: 2.0 and 4.0 both 1 from visit 3 -> the earlier (2.0) kept; 3.0 nearest; 9.0 outside
    # every window (3 from 6 and 12); b: 4.5 -> 3 (earlier visit), 7.5 -> 6, 12.5 -> 12
    assert np.array_equal(visit, [np.nan, np.nan, 3.0, np.nan, 3.0, 6.0, 12.0], equal_nan=True)
    assert dropped == 3
    visit, _ = mmrm.assign_visits(["a", "a"], [2.0, 4.0], [3, 9], window=1.5)
    assert np.array_equal(visit, [3.0, np.nan], equal_nan=True)  # equally near: the earlier row
    assert mmrm.default_window([3, 6, 12]) == 1.5


def test_more_than_12_times_needs_the_visits_parameter():
    rows = model_rows(steno2())
    result, notes = mmrm.fit_mmrm(rows, "conventional")
    assert result is None and any("-p visits" in n for n in notes)


def test_a_visit_with_fewer_than_two_per_arm_is_dropped_and_none_left_is_none():
    rows = model_rows(visits_file().query("arm in ['placebo', 'high_dose']"))
    few = rows[(rows["arm"] == "placebo") | (rows["patient_id"] == rows.loc[rows["arm"] == "high_dose", "patient_id"].iloc[0])]
    result, notes = mmrm.fit_mmrm(few, "placebo")
    assert result is None and any("no visit has at least 2" in n for n in notes)


def test_boundary_fit_is_flagged():
    """Visit 2 = visit 1 + a constant: the visit correlation is 1, the fit is singular-boundary."""
    rng = np.random.default_rng(4)
    n = 40
    base = rng.normal(8, 1, n)
    y1 = 0.7 * base + rng.normal(0, 0.5, n) - 0.4 * (np.arange(n) % 2)
    rows = pd.DataFrame({"patient_id": np.r_[np.arange(n), np.arange(n)].astype(str),
                         "arm": np.tile(np.where(np.arange(n) % 2, "t", "c"), 2),
                         "months": np.r_[np.full(n, 3.0), np.full(n, 6.0)],
                         "hba1c": np.r_[y1, y1 + 0.2 + rng.normal(0, 1e-4, n)],
                         "baseline": np.tile(base, 2)})
    result, notes = mmrm.fit_mmrm(rows, "c")
    assert result is not None and result.boundary
    assert any("boundary" in n for n in notes)


def test_missing_column_is_an_input_error():
    with pytest.raises(InputError, match="baseline"):
        mmrm.fit_mmrm(pd.DataFrame({"patient_id": ["a"], "arm": ["c"], "months": [3.0], "hba1c": [7.0]}), "c",
                      where="x.csv")


def test_fast_at_a_few_thousand_patients():
    """The fit's cost does not grow with the patients (cross-products per missingness pattern):
    the 300-patient trial ten times over fits in a few seconds."""
    d = visits_file()
    many = pd.concat([d.assign(patient_id=d["patient_id"] + f"-{k}") for k in range(10)], ignore_index=True)
    rows = model_rows(many)
    start = time.perf_counter()
    result, _ = mmrm.fit_mmrm(rows, "placebo")
    assert time.perf_counter() - start < 10
    assert result.converged and result.n_patients == 10 * R["visits_three"]["n_patients"]
    # the same data ten times: the same estimates as the fixture's fit, SEs sqrt(10) smaller (about)
    one = {(c["arm"], c["visit"]): c for c in R["visits_three"]["comparisons"]}
    for c in result.comparisons:
        assert c.difference == pytest.approx(one[(c.arm, c.visit)]["difference"], abs=1e-4)


def test_results_json_longitudinal_block_carries_the_mmrm():
    """compute_results (and chapter 7's record) add ``mmrm`` to ``longitudinal`` of a controlled
    long file: the fit of the cohort's own model rows, with the contract's keys."""
    from mscreport.inputs.cohort import load_cohort
    from mscreport.inputs.params import DEFAULTS
    from mscreport.report.blocks import compute_results

    cohort = load_cohort(FIX / "long_visits.csv", dict(DEFAULTS))
    block = compute_results(cohort)["longitudinal"]
    m = block["mmrm"]
    assert set(m) >= {"visits", "comparisons", "converged", "boundary"}
    assert [v["visit"] for v in m["visits"]] == [3.0, 6.0, 9.0, 12.0]  # month 18 dropped (an arm < 2)
    assert any("month 18 left out" in n for n in block["mmrm_notes"])
    assert set(m["comparisons"][0]) == {"arm", "reference", "visit", "difference", "se", "ci_low", "ci_high", "df", "p"}
    direct, _ = mmrm.fit_mmrm(mmrm.rows_from_model_frame(cohort.longitudinal.model_frame()), "placebo")
    assert [c["difference"] for c in m["comparisons"]] == [c.difference for c in direct.comparisons]
    # a wide file has no longitudinal block; a single-arm long file no MMRM
    assert compute_results(load_cohort(FIX / "arms_two.csv", dict(DEFAULTS)))["longitudinal"] is None


def test_parse_visits():
    assert mmrm.parse_visits("12, 6,24") == [6.0, 12.0, 24.0]
    assert mmrm.parse_visits("auto") is None and mmrm.parse_visits(None) is None
    with pytest.raises(ValueError):
        mmrm.parse_visits("6,-1")


def test_the_blocked_sums_of_a_large_pattern_give_gls_too(monkeypatch):
    """A visit pattern of more than ``SUMMED_BY_BLAS`` patients is summed by matrix products in
    blocks (the 1e7 OMOP build's path; issue 25). Forced here on a small file with blocks of 7
    patients: the same differences as R's gls (tests/r/mmrm.R)."""
    monkeypatch.setattr(mmrm, "SUMMED_BY_BLAS", 7)
    rows, reference, visits, window = CASES["visits_three"]()
    res, _ = mmrm.fit_mmrm(rows, reference, R["alpha"], visits, window)
    r = R["visits_three"]
    assert len(res.comparisons) == len(r["comparisons"])
    for c, rc in zip(res.comparisons, r["comparisons"]):
        # R: gls(hba1c ~ baseline + arm * visit, correlation = corSymm, weights = varIdent); sqrt(c' vcov c)
        for key in ("difference", "se", "ci_low", "ci_high", "p"):
            assert close(getattr(c, key), rc[key]), (c.arm, c.visit, key)
