"""The class's simulations (issue 27; ``analysis.simulations``): seeded and deterministic, the
exported patients unchanged, Barnett's formula and every estimate against R
(tests/r/simulations.R -> tests/fixtures/r_simulations.json, rel 1e-9)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from mscreport.analysis.simulations import (barnett_expected_change, rtm_figure, rtm_patients, simulate_rtm,
                                            simulate_two_arms, simulations_block, two_arm_patients, two_arms_figure)
from mscreport.core.paths import REPO_ROOT
from mscreport.inputs.params import DEFAULTS

FIX = REPO_ROOT / "tests" / "fixtures"
R = json.loads((FIX / "r_simulations.json").read_text())


def close(a, b):
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_simulated_patients_are_the_exported_fixtures():
    """Seeded: the simulation gives the patients R fitted, to the exported 0.01 %."""
    pd.testing.assert_frame_equal(rtm_patients(), pd.read_csv(FIX / "sim_rtm.csv"), check_dtype=False)
    pd.testing.assert_frame_equal(two_arm_patients(), pd.read_csv(FIX / "sim_two_arms.csv"), check_dtype=False)


def test_barnett_formula_agrees_with_r():
    # R: -sigma * (1 - rho) * dnorm(z) / (1 - pnorm(z)), z = (8 - 7.5) / 1.2, sigma 1.2, rho 0.6
    assert close(barnett_expected_change(7.5, 1.2, 0.6, 8.0), -0.51873236173343118)
    assert close(barnett_expected_change(7.5, 1.2, 0.6, 8.0), R["rtm"]["barnett_variance_form"])
    assert close(barnett_expected_change(7.5, 1.2, 0.6, 9.0), R["rtm"]["barnett_cutoff_9"])


def test_rtm_simulation_agrees_with_r():
    block = simulate_rtm(8.0, 0.05)
    for key in ("barnett_expected_change", "simulated_change", "ci_low", "ci_high", "p", "population_change"):
        assert close(block[key], R["rtm"][key]), key  # R: t.test(sel$hba1c_followup, sel$hba1c_baseline, paired = TRUE)
    assert block["n_selected"] == R["rtm"]["n_selected"] == 655
    # the lesson: no treatment, yet a "significant" fall that Barnett's formula predicts
    assert block["p"] < 0.001 and block["ci_low"] <= block["barnett_expected_change"] <= block["ci_high"]
    assert abs(block["population_change"]) < 0.01


def test_two_arm_simulation_agrees_with_r():
    block = simulate_two_arms(0.05)
    for part in ("treated", "control", "change_score", "ancova"):
        for key, value in R["two_arms"][part].items():
            assert close(block[part][key], value), (part, key)
    # R: t.test(change[treated], change[control]); lm(hba1c_followup ~ hba1c_baseline + arm)
    assert close(block["ancova"]["estimate"], R["two_arms"]["ancova"]["estimate"])


def test_two_arm_simulation_tells_its_lesson():
    """Both within-arm tests are 'significant'; ANCOVA's interval is the narrower one."""
    block = simulate_two_arms(0.05)
    assert block["treated"]["p"] < 0.05 and block["control"]["p"] < 0.05
    width = lambda b: b["ci_high"] - b["ci_low"]  # noqa: E731
    assert width(block["ancova"]) < width(block["change_score"])


def test_deterministic_and_follows_parameters():
    params = dict(DEFAULTS)
    assert simulations_block(params) == simulations_block(params)
    moved = simulations_block({**params, "severe_above": 9.0})["rtm"]
    assert close(moved["barnett_expected_change"], R["rtm"]["barnett_cutoff_9"])
    assert moved["n_selected"] < 655


def test_figures_draw():
    assert rtm_figure(simulate_rtm(8.0)) is not None
    assert two_arms_figure(simulate_two_arms()) is not None
