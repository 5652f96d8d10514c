"""The trial analyses of a controlled study: the numbers beside the ANCOVA that a trial
statistician reads (interface.md, "Additions (third release)", and its Clarifications).

Per comparison of an arm with the reference arm:

* ``baseline_interaction``: does the baseline slope differ between the two arms (the ANCOVA's
  common-slope assumption)? R ``anova(lm(f ~ b + arm), lm(f ~ b * arm))`` on the two arms only;
* ``p_holm``: the ANCOVA p adjusted by Holm over every comparison (R ``p.adjust(p, "holm")``);
* ``by_stratum``: the ANCOVA within each baseline stratum (R ``lm(f ~ b + arm)`` on the two arms'
  patients of the stratum), estimate, CI and p ``None`` where either arm has fewer than 3 there;
* ``target``: the rate below ``target_hba1c`` at follow-up by arm and their difference (R
  ``prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct = FALSE, conf.level = 1 - alpha)``);
* the ``mcid`` verdict: the ANCOVA CI judged against a clinically meaningful difference;

and for the study: the ``global`` F of any arm effect (R ``anova(lm(f ~ b), lm(f ~ b + arm))``,
``None`` with a single comparison) and the arm-by-severity interaction (R ``anova(lm(f ~ b + arm
+ stratum), lm(f ~ b + arm * stratum))``, stratum a factor of the levels present).

Conventions: f = follow-up HbA1c, b = baseline HbA1c (NGSP %); an arm's effect is its
difference from the reference in follow-up HbA1c at equal baseline (% points, negative = lower
HbA1c in the arm); intervals at 1 - alpha; a value R gives as NA/NaN is ``None``. The models
are fitted with the one OLS helper (``methods.ols``) on treatment-coded designs; columns R's ``lm`` would alias
(linearly dependent on earlier ones, its QR tolerance 1e-7) are left out first, as R does.
The functions are pure: arrays in, frozen dataclasses out (``interface()`` gives the
results.json block). ``analyse_trial`` runs them all on an analysed frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mscreport.core.errors import InputError, Problem
from mscreport.methods.ols import NestedTest, compare_nested, fit_ols

MIN_PER_ARM_IN_STRATUM = 3  # by_stratum: estimate, CI and p only with at least this many per arm
ALIAS_TOL = 1e-7  # R lm's qr tolerance: a column this dependent on the earlier ones is aliased
VERDICTS = ("meaningful_benefit", "meaningful_harm", "no_meaningful_benefit", "inconclusive")


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class ArmEffect:
    """An arm's ANCOVA coefficient: estimate (% points), its CI at 1 - alpha, and p."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


@dataclass(frozen=True)
class StratumEffect:
    """The ANCOVA within one stratum: n of the arm and of the reference there (always), and
    the arm's effect (``None`` when either has fewer than 3)."""

    n_arm: int
    n_reference: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None

    def interface(self) -> dict:
        return {"n_arm": self.n_arm, "n_reference": self.n_reference, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p}


@dataclass(frozen=True)
class RateDifference:
    """Below the target at follow-up, arm vs reference: rates (proportions 0..1), their
    difference (arm - reference) with its Wald CI (clipped to [-1, 1] as R's), Pearson's
    chi-squared ``statistic`` and ``p`` (``None`` where R gives NaN: no patient, or every
    patient, below the target in both arms). Counts kept for the page."""

    x_arm: int
    n_arm: int
    x_reference: int
    n_reference: int
    arm_rate: float
    reference_rate: float
    difference: float
    ci_low: float
    ci_high: float
    statistic: float | None
    p: float | None

    def interface(self) -> dict:
        return {"arm_rate": self.arm_rate, "reference_rate": self.reference_rate, "difference": self.difference,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p,
                "x_arm": self.x_arm, "n_arm": self.n_arm, "x_reference": self.x_reference,
                "n_reference": self.n_reference, "statistic": self.statistic}


@dataclass(frozen=True)
class TrialComparison:
    """One arm against the reference: the contract's additions to ``arms.comparisons[]``."""

    arm: str
    reference: str
    ancova: ArmEffect
    baseline_interaction: NestedTest | None
    p_holm: float | None
    by_stratum: dict  # stratum -> StratumEffect, strata present in the data, in order
    target: RateDifference | None
    mcid_verdict: str | None

    def interface(self) -> dict:
        return {"baseline_interaction": None if self.baseline_interaction is None
                else self.baseline_interaction.interface(),
                "p_holm": self.p_holm,
                "by_stratum": {k: v.interface() for k, v in self.by_stratum.items()},
                "target": None if self.target is None else self.target.interface()}


@dataclass(frozen=True)
class TrialResult:
    """Every trial analysis of one analysed frame."""

    reference: str
    comparisons: tuple[TrialComparison, ...]
    global_f: NestedTest | None
    interaction_severity: NestedTest | None
    mcid: float

    def interface(self) -> dict:
        """{"comparisons": [additions per comparison, in order], "global", "mcid",
        "interaction_severity"}: the keys the contract adds to ``arms``."""
        return {"comparisons": [{"arm": c.arm, "reference": c.reference, **c.interface()} for c in self.comparisons],
                "global": None if self.global_f is None else self.global_f.interface(),
                "mcid": {"value": self.mcid, "verdicts": {c.arm: c.mcid_verdict for c in self.comparisons}},
                "interaction_severity": None if self.interaction_severity is None
                else self.interaction_severity.interface()}


# ---------------------------------------------------------------- linear models
def treatment_columns(labels, levels) -> list[np.ndarray]:
    """Indicator columns (0/1 floats) of ``labels`` for each of ``levels`` but the first (the
    base level): R's treatment contrasts."""
    labels = np.asarray(labels, dtype=object)
    return [(labels == level).astype(float) for level in list(levels)[1:]]


def independent_columns(X: np.ndarray, tol: float = ALIAS_TOL) -> list[int]:
    """Indices of the columns of ``X`` that R's ``lm`` keeps: in order, each column whose part
    orthogonal to the kept earlier columns has a norm above ``tol`` times its own norm (the
    rule of R's pivoting QR, dqrdc2); the others are aliased (NA coefficients)."""
    kept: list[int] = []
    q = np.zeros((X.shape[0], 0))
    for j in range(X.shape[1]):
        col = X[:, j]
        norm = float(np.linalg.norm(col))
        if norm == 0:
            continue
        rest = col - q @ (q.T @ col)
        rest = rest - q @ (q.T @ rest)  # twice: Gram-Schmidt in floating point
        r = float(np.linalg.norm(rest))
        if r > tol * norm:
            kept.append(j)
            q = np.column_stack([q, rest / r])
    return kept


def nested_f_test(y: np.ndarray, X0: np.ndarray, X1: np.ndarray) -> NestedTest | None:
    """F test of the model with the columns of ``X1`` against the smaller one of ``X0`` (its
    columns spanning a subspace), each on the columns R's ``lm`` keeps: R ``anova(lm(y ~ X0),
    lm(y ~ X1))``. ``None`` where R gives no F (no extra estimable coefficient, no residual df,
    or a perfect fit)."""
    def fit(X):
        return fit_ols(y, X[:, independent_columns(X)], solver="lstsq", inference=False)

    return compare_nested(fit(X0), fit(X1))


def _base(f, b) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(f, dtype=float), np.asarray(b, dtype=float)


def ancova_effects(f, b, arm, reference: str, alpha: float = 0.05) -> dict[str, ArmEffect]:
    """Each non-reference arm's coefficient in R ``lm(f ~ b + arm)`` (reference = base level):
    estimate, CI at 1 - alpha (R ``confint``) and p; all ``None`` for an aliased arm."""
    f, b = _base(f, b)
    others = sorted({str(a) for a in arm} - {reference})
    X = np.column_stack([np.ones(len(f)), b, *treatment_columns(arm, [reference, *others])])
    kept = independent_columns(X)
    res = fit_ols(f, X[:, kept], names=[str(j) for j in kept], alpha=alpha, solver="qr")
    out = {}
    for j, a in enumerate(others, start=2):
        if j not in kept or res.df_resid <= 0:
            out[a] = ArmEffect(None, None, None, None)
            continue
        term = res[str(j)]
        out[a] = ArmEffect(float(term.estimate), _finite(term.ci_low), _finite(term.ci_high), _finite(term.p))
    return out


def _finite(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def baseline_interaction(f, b, arm, arm_name: str, reference: str) -> NestedTest | None:
    """Common-slope check of the ANCOVA for one arm against the reference, on their patients
    only: R ``anova(lm(f ~ b + arm), lm(f ~ b * arm))`` (does the follow-up-on-baseline slope
    differ between the two arms?)."""
    f, b = _base(f, b)
    arm = np.asarray(arm, dtype=object)
    two = (arm == arm_name) | (arm == reference)
    f, b, d = f[two], b[two], (arm[two] == arm_name).astype(float)
    X0 = np.column_stack([np.ones(len(f)), b, d])
    return nested_f_test(f, X0, np.column_stack([X0, b * d]))


def global_f_test(f, b, arm, reference: str) -> NestedTest | None:
    """Any difference between the arms at equal baseline: R ``anova(lm(f ~ b), lm(f ~ b +
    arm))``; ``None`` with fewer than two comparisons (three arms)."""
    f, b = _base(f, b)
    others = sorted({str(a) for a in arm} - {reference})
    if len(others) < 2:
        return None
    X0 = np.column_stack([np.ones(len(f)), b])
    return nested_f_test(f, X0, np.column_stack([X0, *treatment_columns(arm, [reference, *others])]))


def severity_interaction(f, b, arm, stratum, reference: str) -> NestedTest | None:
    """Arm-by-stratum interaction given both main effects: R ``anova(lm(f ~ b + arm + stratum),
    lm(f ~ b + arm * stratum))``, stratum a factor of the levels present (df1 = (arms - 1)
    (levels - 1) less the aliased terms). ``None`` with one stratum or one arm."""
    f, b = _base(f, b)
    stratum = np.asarray(stratum, dtype=object)
    others = sorted({str(a) for a in arm} - {reference})
    levels = sorted({str(s) for s in stratum})
    if len(levels) < 2 or not others:
        return None
    arms = treatment_columns(arm, [reference, *others])
    strata = treatment_columns(stratum, levels)
    X0 = np.column_stack([np.ones(len(f)), b, *arms, *strata])
    return nested_f_test(f, X0, np.column_stack([X0, *[a * s for a in arms for s in strata]]))


def effects_by_stratum(f, b, arm, stratum, arm_name: str, reference: str, alpha: float = 0.05,
                       levels=None) -> dict[str, StratumEffect]:
    """The ANCOVA within each stratum, this arm and the reference only: R ``lm(f ~ b + arm)``
    on their patients of the stratum; n's always, the effect only with at least 3 per arm
    there. ``levels``: the strata to report (default: those present in ``stratum``, sorted)."""
    f, b = _base(f, b)
    arm = np.asarray(arm, dtype=object)
    stratum = np.asarray(stratum, dtype=object)
    levels = sorted({str(s) for s in stratum}) if levels is None else list(levels)
    out = {}
    for level in levels:
        here = stratum == level
        n_arm, n_ref = int(np.sum(here & (arm == arm_name))), int(np.sum(here & (arm == reference)))
        if min(n_arm, n_ref) < MIN_PER_ARM_IN_STRATUM:
            out[level] = StratumEffect(n_arm, n_ref, None, None, None, None)
            continue
        two = here & ((arm == arm_name) | (arm == reference))
        e = ancova_effects(f[two], b[two], arm[two], reference, alpha)[arm_name]
        out[level] = StratumEffect(n_arm, n_ref, e.estimate, e.ci_low, e.ci_high, e.p)
    return out


# ---------------------------------------------------------------- multiplicity, rates, verdicts
def holm_adjust(pvalues: list[float | None]) -> list[float | None]:
    """R ``p.adjust(p, "holm")``: the i-th smallest of the m non-missing p times (m - i + 1),
    made monotone (running maximum), capped at 1; ``None`` stays ``None`` and does not count
    in m."""
    index = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(index)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(index, key=lambda i: pvalues[i])):  # stable for ties, as R's order
        running = max(running, min(1.0, (m - rank) * float(pvalues[i])))
        out[i] = running
    return out


def rate_difference(x_arm: int, n_arm: int, x_ref: int, n_ref: int, alpha: float = 0.05) -> RateDifference:
    """Two proportions compared as R ``prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct =
    FALSE, conf.level = 1 - alpha)``: difference p_arm - p_ref, Wald CI z sqrt(sum p (1 - p) / n)
    clipped to [-1, 1], Pearson's chi-squared on the 2 x 2 table (1 df; ``None`` and p ``None``
    where an expected count is 0). n's must be >= 1."""
    from scipy import stats as st

    if n_arm < 1 or n_ref < 1 or not (0 <= x_arm <= n_arm and 0 <= x_ref <= n_ref):
        raise ValueError(f"rate_difference: counts {x_arm}/{n_arm}, {x_ref}/{n_ref}")
    p1, p2 = x_arm / n_arm, x_ref / n_ref
    delta = p1 - p2
    z = float(st.norm.ppf((1 + (1 - alpha)) / 2))
    width = z * math.sqrt(p1 * (1 - p1) / n_arm + p2 * (1 - p2) / n_ref)
    lo, hi = max(delta - width, -1.0), min(delta + width, 1.0)
    table = np.array([[x_arm, n_arm - x_arm], [x_ref, n_ref - x_ref]], dtype=float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if np.any(expected == 0):
        statistic = p = None
    else:
        statistic = float(np.sum((table - expected) ** 2 / expected))
        p = float(st.chi2.sf(statistic, 1))
    return RateDifference(int(x_arm), int(n_arm), int(x_ref), int(n_ref), p1, p2, delta, lo, hi, statistic, p)


def target_difference(f, arm, arm_name: str, reference: str, target: float, alpha: float = 0.05) -> RateDifference | None:
    """Below ``target`` (follow-up HbA1c < target, NGSP %) in the arm vs the reference, n = every
    analysed patient of each (``rate_difference``); ``None`` when an arm has no patient."""
    f = np.asarray(f, dtype=float)
    arm = np.asarray(arm, dtype=object)
    a, r = arm == arm_name, arm == reference
    if not a.any() or not r.any():
        return None
    return rate_difference(int(np.sum(f[a] < target)), int(a.sum()), int(np.sum(f[r] < target)), int(r.sum()), alpha)


def mcid_verdict(ci_low: float | None, ci_high: float | None, mcid: float) -> str | None:
    """The ANCOVA CI (% points, negative = lower HbA1c in the arm) judged against the minimal
    clinically important difference ``mcid`` (> 0), in this order: ``meaningful_benefit`` when
    ci_high < -mcid; ``meaningful_harm`` when ci_low > mcid; ``no_meaningful_benefit`` when
    ci_low > -mcid; otherwise ``inconclusive``. ``None`` without an interval."""
    if ci_low is None or ci_high is None:
        return None
    if ci_high < -mcid:
        return "meaningful_benefit"
    if ci_low > mcid:
        return "meaningful_harm"
    if ci_low > -mcid:
        return "no_meaningful_benefit"
    return "inconclusive"


# ---------------------------------------------------------------- everything at once
def analyse_trial(frame: pd.DataFrame, reference: str, alpha: float = 0.05, target: float = 7.0,
                  mcid: float = 0.5, where: str = "-") -> TrialResult:
    """Every trial analysis of an analysed frame with columns ``hba1c_baseline``,
    ``hba1c_followup``, ``arm`` and ``stratum`` (one row per analysed patient). Comparisons
    of each other arm (sorted) with ``reference``. ``where``: the file, for the error when a
    column is missing."""
    missing = [c for c in ("hba1c_baseline", "hba1c_followup", "arm", "stratum") if c not in frame.columns]
    if missing:
        raise InputError([Problem(where, None, c, "column needed by the trial analyses is missing") for c in missing])
    f = frame["hba1c_followup"].to_numpy(float)
    b = frame["hba1c_baseline"].to_numpy(float)
    arm = frame["arm"].astype(str).to_numpy(dtype=object)
    stratum = frame["stratum"].astype(str).to_numpy(dtype=object)
    others = sorted(set(arm) - {reference})
    ancova = ancova_effects(f, b, arm, reference, alpha)
    p_holm = dict(zip(others, holm_adjust([ancova[a].p for a in others])))
    levels = [s for s in ("below", "moderate", "severe") if s in set(stratum)] + sorted(
        set(stratum) - {"below", "moderate", "severe"})
    comparisons = tuple(
        TrialComparison(a, reference, ancova[a], baseline_interaction(f, b, arm, a, reference), p_holm[a],
                        effects_by_stratum(f, b, arm, stratum, a, reference, alpha, levels),
                        target_difference(f, arm, a, reference, target, alpha),
                        mcid_verdict(ancova[a].ci_low, ancova[a].ci_high, mcid))
        for a in others)
    return TrialResult(reference, comparisons, global_f_test(f, b, arm, reference),
                       severity_interaction(f, b, arm, stratum, reference), float(mcid))


# ---------------------------------------------------------------- results.json
DEFAULT_MCID = 0.5  # % points: parameter mcid's default (interface.md)


def with_trial_analyses(cohort, arms_block: dict | None) -> dict | None:
    """The ``arms`` block of a controlled study with the contract's trial additions merged in
    (a new dict; ``None`` and a block without a reference are returned as they are): per
    comparison ``baseline_interaction``, ``p_holm``, ``by_stratum`` and ``target``; ``global``,
    ``mcid`` (parameter ``mcid``, default 0.5 % points) and ``interaction_severity`` over the
    strata present. On the cohort's analysed frame (one row per analysed patient)."""
    if not arms_block or not arms_block.get("reference"):
        return arms_block
    params = cohort.params
    result = analyse_trial(cohort.frame, arms_block["reference"], params["alpha"], float(params["target_hba1c"]),
                           float(params.get("mcid", DEFAULT_MCID)), where=str(getattr(cohort, "path", "-")))
    extra = result.interface()
    by_arm = {c["arm"]: c for c in extra["comparisons"]}
    out = dict(arms_block)
    out["comparisons"] = [{**c, **{k: v for k, v in by_arm[c["arm"]].items() if k not in ("arm", "reference")}}
                          for c in arms_block["comparisons"]]
    out["global"] = extra["global"]
    out["mcid"] = extra["mcid"]
    out["interaction_severity"] = extra["interaction_severity"]
    return out
