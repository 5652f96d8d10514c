"""Two simulations a class learns from (seeded, deterministic; invented patients, never the cohort).

(a) **Regression to the mean** (chapter 5). No treatment at all: each simulated patient has a
true HbA1c level mu_i ~ N(mean, rho sd^2) and two measurements, baseline and follow-up, each
mu_i + e with e ~ N(0, (1 - rho) sd^2), so both have mean ``mean``, SD ``sd`` and correlation
``rho``. Patients whose baseline is above a cut-off (the report's ``severe_above``) are
selected, as a severe stratum is. Their mean change is predicted by Barnett, van der Pols &
Dobson (Int J Epidemiol 2005;34:215-20):

    expected change = -sd (1 - rho) phi(z) / (1 - Phi(z)),  z = (cut-off - mean) / sd,

where sd (1 - rho) = sigma_within^2 / sigma_total (the within-patient variance over the total
SD), phi and Phi the standard normal density and distribution function. The simulated fall is
then compared with the prediction (% points; change = follow-up - baseline, a fall negative).

(b) **Two arms, change score vs ANCOVA** (chapter 3; Vickers & Altman, BMJ 2001;323:1123).
Two simulated arms drawn alike (same true levels, the same drift over time, selected on the
same inclusion cut-off so both regress to the mean); the treated arm gets an extra true effect.
Both within-arm paired t-tests are "significant"; the treatment effect is the *between-arm*
difference, estimated by Welch's t-test of the change scores and by ANCOVA (follow-up on
baseline and arm), whose interval is narrower when baseline and follow-up correlate.

All levels in NGSP %, differences in % points. The simulated patients are exported by
``rtm_patients`` and ``two_arm_patients`` (tests/r/simulations.R fits them in R).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mscreport.display.fmt import fmt_ci, fmt_int, fmt_num, fmt_p
from mscreport.methods.ols import fit_ols
from mscreport.methods.stats import paired_test, welch_test

TREATED, CONTROL = "treated (simulated)", "control (simulated)"


@dataclass(frozen=True)
class RtmDesign:
    """The regression-to-the-mean simulation: n patients, measurement mean and SD (NGSP %),
    test-retest correlation rho, the random seed."""

    n: int = 2000
    mean: float = 7.5
    sd: float = 1.2
    rho: float = 0.6
    seed: int = 2005


@dataclass(frozen=True)
class TwoArmDesign:
    """The two-arm simulation: patients per arm after selection, the inclusion cut-off (NGSP %),
    the true mean and SD of the measurements before selection, their correlation, the drift
    shared by both arms and the treated arm's true effect (% points), the random seed."""

    n_per_arm: int = 40
    inclusion_above: float = 7.0
    mean: float = 7.8
    sd: float = 1.1
    rho: float = 0.7
    drift: float = -0.2
    effect: float = -0.4
    seed: int = 2006


def _two_measurements(rng, n: int, mean: float, sd: float, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """n pairs (baseline, follow-up) with mean ``mean``, SD ``sd`` and correlation ``rho``: a
    true level plus independent measurement error (rounded to 0.01 %, as exported)."""
    true = rng.normal(mean, sd * np.sqrt(rho), n)
    noise = sd * np.sqrt(1 - rho)
    baseline = true + rng.normal(0.0, noise, n)
    followup = true + rng.normal(0.0, noise, n)
    return np.round(baseline, 2), np.round(followup, 2)


def barnett_expected_change(mean: float, sd: float, rho: float, cutoff: float) -> float:
    """Barnett et al. 2005: the expected change (follow-up - baseline, % points) of patients
    selected for a baseline above ``cutoff`` when nothing changes: -sd (1 - rho) phi(z) /
    (1 - Phi(z)), z = (cutoff - mean) / sd."""
    from scipy.stats import norm

    z = (cutoff - mean) / sd
    return float(-sd * (1 - rho) * norm.pdf(z) / norm.sf(z))


def rtm_patients(design: RtmDesign = RtmDesign()) -> pd.DataFrame:
    """The simulated patients of (a): id, hba1c_baseline, hba1c_followup (NGSP %), no treatment."""
    rng = np.random.default_rng(design.seed)
    b, f = _two_measurements(rng, design.n, design.mean, design.sd, design.rho)
    return pd.DataFrame({"id": np.arange(1, design.n + 1), "hba1c_baseline": b, "hba1c_followup": f})


def simulate_rtm(cutoff: float, alpha: float = 0.05, design: RtmDesign = RtmDesign()) -> dict:
    """(a) as results.json ``simulations.rtm``: the design, the selected patients' baseline and
    follow-up means, their simulated mean change with its paired t-test (CI, p), Barnett's
    predicted change and the whole simulated population's mean change (% points)."""
    d = rtm_patients(design)
    sel = d[d["hba1c_baseline"] > cutoff]
    t = paired_test(sel["hba1c_baseline"], sel["hba1c_followup"], alpha, rank_tests=False)
    everyone = paired_test(d["hba1c_baseline"], d["hba1c_followup"], alpha, rank_tests=False)
    return {**asdict(design), "cutoff": float(cutoff), "sd_within": float(design.sd * np.sqrt(1 - design.rho)),
            "n_selected": int(len(sel)), "baseline_mean_selected": t.baseline_mean,
            "followup_mean_selected": t.followup_mean, "simulated_change": t.mean_change,
            "ci_low": t.ci_low, "ci_high": t.ci_high, "p": t.p,
            "barnett_expected_change": barnett_expected_change(design.mean, design.sd, design.rho, cutoff),
            "population_change": everyone.mean_change}


def two_arm_patients(design: TwoArmDesign = TwoArmDesign()) -> pd.DataFrame:
    """The simulated patients of (b): id, arm, hba1c_baseline, hba1c_followup (NGSP %). Each arm
    is drawn until ``n_per_arm`` patients pass the inclusion cut-off (baseline above it); both
    arms share the drift, the treated arm adds the effect."""
    rng = np.random.default_rng(design.seed)
    parts = []
    for arm, shift in ((CONTROL, design.drift), (TREATED, design.drift + design.effect)):
        b, f = np.empty(0), np.empty(0)
        while len(b) < design.n_per_arm:
            nb, nf = _two_measurements(rng, design.n_per_arm, design.mean, design.sd, design.rho)
            keep = nb > design.inclusion_above
            b, f = np.concatenate([b, nb[keep]]), np.concatenate([f, nf[keep]])
        b, f = b[:design.n_per_arm], np.round(f[:design.n_per_arm] + shift, 2)
        parts.append(pd.DataFrame({"arm": arm, "hba1c_baseline": b, "hba1c_followup": f}))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "id", np.arange(1, len(out) + 1))
    return out


def _within(frame: pd.DataFrame, alpha: float) -> dict:
    t = paired_test(frame["hba1c_baseline"], frame["hba1c_followup"], alpha, rank_tests=False)
    return {"n": t.n, "mean_change": t.mean_change, "ci_low": t.ci_low, "ci_high": t.ci_high, "t": t.t,
            "df": t.df, "p": t.p}


def simulate_two_arms(alpha: float = 0.05, design: TwoArmDesign = TwoArmDesign()) -> dict:
    """(b) as results.json ``simulations.two_arms``: the design, each arm's paired t-test of
    its change, the change-score comparison (Welch, treated - control; R: ``t.test(change[treated],
    change[control])``) and ANCOVA (the treated arm's coefficient in ``lm(hba1c_followup ~
    hba1c_baseline + arm)``, control the base level), % points."""
    d = two_arm_patients(design)
    change = d["hba1c_followup"] - d["hba1c_baseline"]
    treated = (d["arm"] == TREATED).to_numpy()
    w = welch_test(change[treated], change[~treated], alpha)
    X = np.column_stack([np.ones(len(d)), d["hba1c_baseline"].to_numpy(float), treated.astype(float)])
    fit = fit_ols(d["hba1c_followup"].to_numpy(float), X, ("(Intercept)", "hba1c_baseline", "arm"), alpha,
                  solver="qr")
    a = fit["arm"]
    return {**asdict(design), "treated": _within(d[treated], alpha), "control": _within(d[~treated], alpha),
            "change_score": {"diff": w.diff, "ci_low": w.ci_low, "ci_high": w.ci_high, "t": w.t, "df": w.df,
                             "p": w.p},
            "ancova": {"estimate": a.estimate, "se": a.se, "ci_low": a.ci_low, "ci_high": a.ci_high, "t": a.t,
                       "df": float(fit.df_resid), "p": a.p}}


def simulations_block(params: dict) -> dict:
    """results.json ``simulations``: {"rtm": ..., "two_arms": ...} at the build's ``severe_above``
    (the selection cut-off of (a)) and ``alpha``."""
    return {"rtm": simulate_rtm(params["severe_above"], params["alpha"]),
            "two_arms": simulate_two_arms(params["alpha"])}


# ---------------------------------------------------------------- in words
def say_rtm_simulation(block: dict) -> str:
    """(a) in words: the design, Barnett's prediction and the simulated fall (numbers from the block)."""
    if block.get("simulated_change") is None:  # a cut-off (severe_above) above every simulated baseline
        return (f"**Simulated, no treatment.** {fmt_int(block['n'])} invented patients, HbA1c mean {fmt_num(block['mean'])} %, "
                f"SD {fmt_num(block['sd'])} %: too few have a baseline above {fmt_num(block['cutoff'])} % to show the "
                "fall; a lower `severe_above` shows it.")
    return (f"**Simulated, no treatment.** {fmt_int(block['n'])} invented patients, HbA1c mean "
            f"{fmt_num(block['mean'])} %, SD {fmt_num(block['sd'])} %, test-retest correlation "
            f"{fmt_num(block['rho'])} (seed {block['seed']}). The {fmt_int(block['n_selected'])} with a baseline above "
            f"{fmt_num(block['cutoff'])} % had mean baseline {fmt_num(block['baseline_mean_selected'])} % and mean "
            f"follow-up {fmt_num(block['followup_mean_selected'])} %: a change of {fmt_num(block['simulated_change'])} "
            f"% points ({fmt_ci(block['ci_low'], block['ci_high'])}, paired t-test {fmt_p(block['p'])}). Barnett's "
            f"formula predicted {fmt_num(block['barnett_expected_change'])} % points before any patient was drawn. "
            f"Over all {fmt_int(block['n'])} patients the mean change is {fmt_num(block['population_change'])} % "
            "points: nothing happened to anyone, the selection made the fall.")


def say_two_arms(block: dict) -> str:
    """(b) in words: both arms "significant", the two between-arm estimates and the truth."""
    t, c, w, a = block["treated"], block["control"], block["change_score"], block["ancova"]
    narrower = a["ci_high"] - a["ci_low"] < w["ci_high"] - w["ci_low"]
    return (f"**Simulated trial.** {fmt_int(block['n_per_arm'])} invented patients per arm, included with a baseline "
            f"above {fmt_num(block['inclusion_above'])} %, a drift of {fmt_num(block['drift'])} % points in both arms "
            f"and a true treatment effect of {fmt_num(block['effect'])} % points (seed {block['seed']}). Within the "
            f"treated arm HbA1c changed by {fmt_num(t['mean_change'])} % points ({fmt_p(t['p'])}); within the "
            f"control arm, which received nothing, by {fmt_num(c['mean_change'])} % points ({fmt_p(c['p'])}): both "
            f"\"significant\". The treatment effect is the difference between the arms: by the change score "
            f"{fmt_num(w['diff'])} % points {fmt_ci(w['ci_low'], w['ci_high'])} ({fmt_p(w['p'])}), by ANCOVA "
            f"{fmt_num(a['estimate'])} % points {fmt_ci(a['ci_low'], a['ci_high'])} ({fmt_p(a['p'])}). "
            f"The ANCOVA interval is the {'narrower' if narrower else 'wider'} one: it uses the baseline instead of "
            "subtracting all of it.")


# ---------------------------------------------------------------- figures (fit for a slide)
def rtm_figure(block: dict):
    """(a): left, baseline against follow-up of the simulated patients with the cut-off and the
    line of no change; right, the selected patients' simulated mean change (with its CI) beside
    Barnett's prediction."""
    import matplotlib.pyplot as plt

    design = RtmDesign(**{k: block[k] for k in ("n", "mean", "sd", "rho", "seed")})
    d = rtm_patients(design)
    sel = d["hba1c_baseline"] > block["cutoff"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.0, 3.4), gridspec_kw={"width_ratios": [1.4, 1]})
    ax.scatter(d.loc[~sel, "hba1c_baseline"], d.loc[~sel, "hba1c_followup"], s=4, color="#BBBBBB", label="not selected",
               rasterized=True)  # 2,000 points as one image inside the SVG: the page stays light
    ax.scatter(d.loc[sel, "hba1c_baseline"], d.loc[sel, "hba1c_followup"], s=4, color="#0072B2",
               label=f"baseline > {block['cutoff']:g} %", rasterized=True)
    lo, hi = float(d[["hba1c_baseline", "hba1c_followup"]].min().min()), float(d[["hba1c_baseline", "hba1c_followup"]].max().max())
    ax.plot([lo, hi], [lo, hi], color=".3", lw=1, label="no change")
    ax.axvline(block["cutoff"], color="#0072B2", ls="--", lw=1)
    ax.set_xlabel("baseline HbA1c (%)")
    ax.set_ylabel("follow-up HbA1c (%)")
    ax.set_title("No treatment, selected on baseline", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, markerscale=2)
    simulated = block["simulated_change"]
    values = [block["barnett_expected_change"], simulated if simulated is not None else 0.0]
    bx.bar([0, 1], values, color=["#E69F00", "#0072B2"], width=0.6)
    if simulated is not None and block["ci_low"] is not None and block["ci_high"] is not None:
        bx.errorbar([1], [simulated], yerr=[[simulated - block["ci_low"]], [block["ci_high"] - simulated]],
                    color=".15", capsize=6, lw=1.5)
    elif simulated is None:  # nobody above the cut-off: no simulated change to draw
        bx.text(1, 0, "too few\nselected", ha="center", va="bottom", fontsize=8)
    bx.axhline(0, color=".3", lw=1)
    bx.set_xticks([0, 1], ["Barnett's\nformula", "simulated"])
    bx.set_ylabel("mean change (% points)")
    bx.set_title("Predicted vs simulated", fontsize=11)
    fig.tight_layout()
    return fig


def two_arms_figure(block: dict):
    """(b): each arm's mean change with its CI (both "significant"), then the between-arm
    difference by change score and by ANCOVA with their CIs, against the true effect."""
    import matplotlib.pyplot as plt

    rows = [("control arm: change", block["control"]["mean_change"], block["control"]["ci_low"], block["control"]["ci_high"], "#999999"),
            ("treated arm: change", block["treated"]["mean_change"], block["treated"]["ci_low"], block["treated"]["ci_high"], "#999999"),
            ("difference: change score", block["change_score"]["diff"], block["change_score"]["ci_low"], block["change_score"]["ci_high"], "#E69F00"),
            ("difference: ANCOVA", block["ancova"]["estimate"], block["ancova"]["ci_low"], block["ancova"]["ci_high"], "#0072B2")]
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for i, (label, est, lo, hi, colour) in enumerate(rows):
        y = len(rows) - 1 - i
        ax.plot([lo, hi], [y, y], color=colour, lw=3)
        ax.plot([est], [y], "o", color=colour, ms=8)
    ax.axvline(0, color=".3", lw=1)
    ax.axvline(block["effect"], color="#C44E52", ls="--", lw=1.2, label="true treatment effect")
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.set_xlabel("HbA1c (% points)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=9, frameon=False)
    ax.set_title("Both arms fall; the comparison estimates the effect", fontsize=11)
    fig.tight_layout()
    return fig
