"""The trial analyses of a controlled study (lib/mscreport/trial.py) against R 4.2:
``tests/r/trial.R`` -> ``tests/fixtures/r_trial.json`` on arms_two, arms_three and
arms_slopes (an arm whose baseline slope differs from the reference's, strata with fewer than
3 patients of an arm), and prop.test where R's p is NaN. Agreement to 1e-9 relative."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mscreport.methods import stats
from mscreport.analysis import trial
from mscreport.core.errors import InputError
from mscreport.core.paths import REPO_ROOT

FIX = REPO_ROOT / "tests" / "fixtures"
R = json.loads((FIX / "r_trial.json").read_text(encoding="utf-8"))
DATASETS = {"two": "arms_two.csv", "three": "arms_three.csv", "slopes": "arms_slopes.csv"}
REL, ABS = 1e-9, 1e-12
P = R["params"]


def close(ours, r) -> bool:
    if r is None:
        return ours is None
    return ours is not None and math.isclose(ours, r, rel_tol=REL, abs_tol=ABS)


def analysed(name: str) -> pd.DataFrame:
    """The analysed cohort as tests/r/trial.R makes it: every patient with a baseline and a
    follow-up (inclusion_min none), stratum below / moderate / severe."""
    d = pd.read_csv(FIX / DATASETS[name], dtype={"patient_id": str, "arm": str})
    d = d.dropna(subset=["hba1c_baseline", "hba1c_followup"]).copy()
    b = d["hba1c_baseline"]
    d["stratum"] = np.where(b < P["moderate_min"], "below", np.where(b > P["severe_above"], "severe", "moderate"))
    return d


@pytest.fixture(scope="module", params=list(DATASETS))
def case(request):
    name = request.param
    r = R[name]
    res = trial.analyse_trial(analysed(name), r["reference"], P["alpha"], P["target_hba1c"], P["mcid"])
    return name, res, r


def test_fixture_is_from_r_42():
    assert R["r_version"].startswith("R version 4.2")


def test_comparisons_are_the_arms_in_order(case):
    name, res, r = case
    assert [c.arm for c in res.comparisons] == [c["arm"] for c in r["comparisons"]], name


def test_ancova_and_holm_match_r(case):
    name, res, r = case
    bad = []
    for c, rc in zip(res.comparisons, r["comparisons"]):
        # R: lm(f ~ b + arm): coefficient, confint; p.adjust(ancova p of every comparison, "holm")
        for key, ours in [("estimate", c.ancova.estimate), ("ci_low", c.ancova.ci_low), ("ci_high", c.ancova.ci_high),
                          ("p", c.ancova.p)]:
            if not close(ours, rc["ancova"][key]):
                bad.append((c.arm, "ancova", key, ours, rc["ancova"][key]))
        if not close(c.p_holm, rc["p_holm"]):
            bad.append((c.arm, "p_holm", c.p_holm, rc["p_holm"]))
    assert not bad, (name, bad)


def test_baseline_interaction_matches_r(case):
    name, res, r = case
    for c, rc in zip(res.comparisons, r["comparisons"]):
        ours = c.baseline_interaction.interface()
        # R: anova(lm(f ~ b + arm), lm(f ~ b * arm)) on this arm and the reference
        assert all(close(ours[k], rc["baseline_interaction"][k]) for k in ("f", "df1", "df2", "p")), \
            (name, c.arm, ours, rc["baseline_interaction"])


def test_by_stratum_matches_r(case):
    name, res, r = case
    for c, rc in zip(res.comparisons, r["comparisons"]):
        ours = {k: v.interface() for k, v in c.by_stratum.items()}
        assert list(ours) == list(rc["by_stratum"]) == r["strata"], name
        for level, block in rc["by_stratum"].items():
            # R: lm(f ~ b + arm) within the stratum (NULL where an arm has < 3)
            assert all(close(ours[level][k], v) for k, v in block.items()), (name, c.arm, level, ours[level], block)


def test_target_difference_matches_r(case):
    name, res, r = case
    for c, rc in zip(res.comparisons, r["comparisons"]):
        ours = c.target.interface()
        # R: prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct = FALSE)
        assert all(close(ours[k], v) for k, v in rc["target"].items()), (name, c.arm, ours, rc["target"])


def test_global_and_severity_interaction_match_r(case):
    name, res, r = case
    for ours, theirs in [(res.global_f, r["global"]), (res.interaction_severity, r["interaction_severity"])]:
        # R: anova(lm(f ~ b), lm(f ~ b + arm)); anova(lm(f ~ b + arm + stratum), lm(f ~ b + arm * stratum))
        if theirs is None:
            assert ours is None, name
        else:
            assert all(close(ours.interface()[k], v) for k, v in theirs.items()), (name, ours, theirs)


def test_mcid_verdicts_match_r(case):
    name, res, r = case
    block = res.interface()["mcid"]
    assert block["value"] == P["mcid"]
    assert block["verdicts"] == {c["arm"]: c["mcid_verdict"] for c in r["comparisons"]}, name


def test_fixture_covers_what_it_is_for():
    """Slopes that differ (F large), a stratum with < 3 in an arm, a NaN p of prop.test, a
    global F with three arms and none with two, each verdict but harm."""
    slopes = R["slopes"]["comparisons"]
    assert slopes[0]["baseline_interaction"]["p"] < 1e-4
    assert any(s["estimate"] is None for c in slopes for s in c["by_stratum"].values())
    assert any(g["p"] is None for g in R["prop_grid"].values())
    assert R["two"]["global"] is None and R["three"]["global"] is not None
    verdicts = {c["mcid_verdict"] for k in DATASETS for c in R[k]["comparisons"]}
    assert {"meaningful_benefit", "inconclusive"} <= verdicts


@pytest.mark.parametrize("key", list(R["prop_grid"]))
def test_rate_difference_matches_prop_test(key):
    g = R["prop_grid"][key]
    ours = trial.rate_difference(g["x_arm"], g["n_arm"], g["x_ref"], g["n_ref"], P["alpha"])
    for k in ("arm_rate", "reference_rate", "difference", "ci_low", "ci_high", "statistic", "p"):
        # R: prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct = FALSE); NaN p -> None
        assert close(getattr(ours, k), g[k]), (key, k, getattr(ours, k), g[k])


def test_mcid_rule_order_and_edges():
    v = trial.mcid_verdict
    assert v(-1.2, -0.6, 0.5) == "meaningful_benefit"
    assert v(-1.2, -0.5, 0.5) == "inconclusive"  # ci_high = -mcid is not below it
    assert v(0.6, 1.0, 0.5) == "meaningful_harm"  # also ci_low > -mcid: harm is judged first
    assert v(-0.4, 0.3, 0.5) == "no_meaningful_benefit"
    assert v(-0.5, 0.3, 0.5) == "inconclusive"
    assert v(None, 0.3, 0.5) is None


def test_holm_is_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, NA, 0.03, 0.5), "holm") = 0.04 0.09 NA 0.09 0.50
    assert trial.holm_adjust([0.01, 0.04, None, 0.03, 0.5]) == pytest.approx([0.04, 0.09, None, 0.09, 0.5])
    ps = {"a": 0.012, "b": 0.3, "c": 0.049}
    assert trial.holm_adjust(list(ps.values())) == pytest.approx(list(stats.holm(ps).values()))


def test_aliased_columns_are_left_out_as_r_does():
    """A stratum whose baselines are all equal: R's lm aliases b (NA) and still estimates arm."""
    f = np.array([7.0, 7.4, 6.8, 6.1, 6.5, 6.0])
    b = np.full(6, 8.0)
    arm = np.array(["c", "c", "c", "t", "t", "t"], dtype=object)
    e = trial.ancova_effects(f, b, arm, "c")["t"]
    # R: coef(lm(f ~ b + arm)): b NA, armt -0.86666666666666869
    assert e.estimate == pytest.approx(-0.86666666666666869, rel=1e-12)


def test_missing_column_is_an_input_error():
    with pytest.raises(InputError, match="stratum"):
        trial.analyse_trial(pd.DataFrame({"hba1c_baseline": [8.0], "hba1c_followup": [7.0], "arm": ["a"]}), "a",
                            where="x.csv")


def test_results_json_arms_block_carries_the_trial_analyses():
    """compute_results (and chapter 3's record) merge the additions into ``arms``: on
    arms_three the analysed cohort is tests/r/trial.R's (37 patients, moderate and severe)."""
    from mscreport.inputs.cohort import load_cohort
    from mscreport.inputs.params import DEFAULTS
    from mscreport.report.blocks import compute_results

    block = compute_results(load_cohort(FIX / "arms_three.csv", dict(DEFAULTS)))["arms"]
    r = R["three"]
    assert all(close(block["global"][k], v) for k, v in r["global"].items())  # R: anova(lm(f ~ b), lm(f ~ b + arm))
    assert all(close(block["interaction_severity"][k], v) for k, v in r["interaction_severity"].items())
    assert block["mcid"] == {"value": 0.5, "verdicts": {c["arm"]: c["mcid_verdict"] for c in r["comparisons"]}}
    for c, rc in zip(block["comparisons"], r["comparisons"]):
        assert c["arm"] == rc["arm"] and {"ancova", "welch_change", "mann_whitney"} <= set(c)
        assert close(c["p_holm"], rc["p_holm"])  # R: p.adjust(ancova p, "holm")
        assert all(close(c["baseline_interaction"][k], v) for k, v in rc["baseline_interaction"].items())
        assert all(close(c["target"][k], v) for k, v in rc["target"].items())
        assert {s: {k: v for k, v in b.items()} for s, b in c["by_stratum"].items()}.keys() == rc["by_stratum"].keys()
