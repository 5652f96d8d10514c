"""The least-squares helper ``methods.ols`` against R (tests/r/ols.R -> tests/fixtures/r_ols.json,
rel 1e-9): ``fit_ols`` with each solver, a rank-deficient design, ``compare_nested`` as R's
``anova(small, big)``, frequency weights; and that its inference is statsmodels' own."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mscreport.core.paths import REPO_ROOT
from mscreport.methods.ols import SOLVERS, compare_nested, fit_ols

FIX = REPO_ROOT / "tests" / "fixtures"
R = json.loads((FIX / "r_ols.json").read_text())
REL = 1e-9


def _read(name: str) -> pd.DataFrame:
    d = pd.read_csv(FIX / name, dtype={"patient_id": str, "arm": str})
    return d.dropna(subset=["hba1c_baseline", "hba1c_followup"]).reset_index(drop=True)


def _arm_design(d: pd.DataFrame, reference: str, severe: bool = False, interaction: bool = False):
    """R's treatment coding of lm(f ~ b + arm [+ severe] [+ arm:severe]), R's column names."""
    others = sorted(set(d["arm"]) - {reference})
    cols = {"(Intercept)": np.ones(len(d)), "hba1c_baseline": d["hba1c_baseline"].to_numpy(float)}
    cols |= {f"arm{a}": (d["arm"] == a).to_numpy(float) for a in others}
    if severe:
        cols["severe"] = (d["hba1c_baseline"] > 8).to_numpy(float)
    if interaction:
        cols |= {f"arm{a}:severe": cols[f"arm{a}"] * cols["severe"] for a in others}
    return np.column_stack(list(cols.values())), list(cols)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_full_rank_fit_is_r_lm(solver):
    r = R["full"]
    d = _read("arms_three.csv")
    X, names = _arm_design(d, "Placebo")
    fit = fit_ols(d["hba1c_followup"], X, names, alpha=1 - r["level"], solver=solver)
    assert set(fit.terms) == set(r["terms"]) and len(names) == 4  # control: the three arms and baseline
    for name, expected in r["terms"].items():  # R: summary(lm)$coefficients, confint(lm, level = 0.90)
        got = fit[name]
        for key in ("estimate", "se", "t", "p", "ci_low", "ci_high"):
            assert getattr(got, key) == pytest.approx(expected[key], rel=REL), (solver, name, key)
    assert fit.rss == pytest.approx(r["rss"], rel=REL)  # R: deviance(lm)
    assert fit.r_squared == pytest.approx(r["r_squared"], rel=REL)  # R: summary(lm)$r.squared
    assert (fit.rank, fit.df_resid, fit.n) == (r["rank"], r["df_resid"], len(d))  # R: lm$rank, df.residual(lm)


def test_a_rank_deficient_design_has_rss_and_rank_but_no_coefficients():
    r = R["aliased"]
    d = _read("arms_sparse.csv")
    y = d["hba1c_followup"].to_numpy(float)
    small = fit_ols(y, *_arm_design(d, "control", severe=True), solver="lstsq")
    X, names = _arm_design(d, "control", severe=True, interaction=True)
    assert r["big"]["aliased"] in names  # control: the column R finds aliased is in the design
    for inference in (True, False):
        big = fit_ols(y, X, names, solver="lstsq", inference=inference)
        assert big.terms == {}  # R: NA for the aliased coefficient
        assert (big.rank, big.df_resid) == (r["big"]["rank"], r["big"]["df_resid"])  # R: lm$rank, df.residual(lm)
        assert big.rss == pytest.approx(r["big"]["rss"], rel=REL)  # R: deviance(lm)
    assert (small.rank, small.df_resid) == (r["small"]["rank"], r["small"]["df_resid"]) and small.terms
    assert small.rss == pytest.approx(r["small"]["rss"], rel=REL)
    test = compare_nested(small, big)
    # R: anova(lm(f ~ b + arm + severe), lm(f ~ b + arm * severe)): F, Df, Res.Df, Pr(>F) of row 2
    assert test.interface() == pytest.approx(r["anova"], rel=REL)
    assert compare_nested(small, small) is None  # no added rank: nothing to test


def test_frequency_weights_are_r_weighted_lm_and_the_line_of_every_row():
    r = R["weighted"]
    x, y, count = (np.asarray(r[k], float) for k in ("baseline", "change", "count"))
    assert count.max() > 1  # control: some pairs stand for several rows
    X = np.column_stack([np.ones(len(x)), x])
    fit = fit_ols(y, X, ["(Intercept)", "baseline"], weights=count)
    for name, expected in r["weighted"].items():  # R: summary(lm(change ~ baseline, weights = count))
        for key in ("estimate", "se", "t", "p", "ci_low", "ci_high"):
            assert getattr(fit[name], key) == pytest.approx(expected[key], rel=REL), (name, key)
    line = fit_ols(y, X, ["(Intercept)", "baseline"], solver="lstsq", inference=False, weights=count)
    # R: coef(lm(change ~ hba1c_baseline)) on every row
    assert line["(Intercept)"].estimate == pytest.approx(r["every_row"]["intercept"], rel=REL)
    assert line["baseline"].estimate == pytest.approx(r["every_row"]["slope"], rel=REL)
    assert line["baseline"].se is None and line.r_squared is None  # no inference asked for


def test_the_inference_is_statsmodels_own_bit_for_bit():
    """Whatever solved it, the SE, t, p and interval are statsmodels' OLSResults; with the
    pinv solver the whole fit is statsmodels' OLS.fit()."""
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=500), rng.random(500) < 0.3])
    y = X @ [1.0, 0.5, -0.2] + rng.normal(size=500)
    sm = OLS(y, X).fit()
    fit = fit_ols(y, X, alpha=0.1)
    ci = sm.conf_int(0.1)
    for j in range(3):
        got = fit[f"x{j}"]
        assert (got.estimate, got.se, got.t, got.p, got.ci_low, got.ci_high) == (
            sm.params[j], sm.bse[j], sm.tvalues[j], sm.pvalues[j], ci[j][0], ci[j][1])
    assert (fit.rss, fit.r_squared, fit.df_resid) == (sm.ssr, sm.rsquared, sm.df_resid)
    qr = fit_ols(y, X, alpha=0.1, solver="qr")
    assert qr["x1"].estimate == pytest.approx(sm.params[1], rel=1e-12) and qr["x1"].estimate != 0


def test_residuals_only_when_asked_and_bad_calls_refused():
    X = np.column_stack([np.ones(6), np.arange(6.0)])
    y = np.array([0.0, 1.1, 1.9, 3.2, 3.9, 5.0])
    assert fit_ols(y, X).residuals is None
    resid = fit_ols(y, X, solver="lstsq", inference=False, residuals=True).residuals
    assert resid @ resid == pytest.approx(fit_ols(y, X).rss, rel=1e-12) and abs(resid.sum()) < 1e-12
    with pytest.raises(ValueError, match="names"):
        fit_ols(y, X, ["a", "a"])
    with pytest.raises(ValueError, match="solver"):
        fit_ols(y, X, solver="normal equations")
    with pytest.raises(ValueError, match="solver"):
        fit_ols(y, X, inference=False)  # the solution alone is lstsq's
