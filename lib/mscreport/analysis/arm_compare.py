"""Controlled studies: each arm against the reference arm (interface.md, "Controlled studies").

Each non-reference arm is compared with the reference arm (parameter ``reference_arm``,
chosen by ``groups.choose_reference``) by

* ANCOVA: R ``lm(hba1c_followup ~ hba1c_baseline + arm)`` fitted on every arm at once, with
  the reference as the base level; the arm's coefficient is the difference in follow-up HbA1c
  at equal baseline (% points; negative = lower HbA1c in the arm), the primary effect;
* Welch's t-test on the change (R ``t.test(change[arm], change[reference])``),
  diff = mean change in the arm - mean change in the reference;
* the Wilcoxon rank-sum / Mann-Whitney test on the change (R ``wilcox.test``, W of the arm);

and the trial analyses beside them (the common-slope check, Holm, the effect by stratum, the
target rate, the arm-by-severity interaction) are ``trial``'s, merged in by ``arms_block``.
HbA1c in NGSP %, change = follow-up - baseline, two-sided tests, intervals at 1 - alpha. ``analyse_arms`` is computed once per cohort and build.
The pages' sections are in ``arms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mscreport.analysis.arm_dose import analyse_dose_by_arm
from mscreport.analysis.arm_trust import analyse_trust_by_arm
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.trial import with_trial_analyses
from mscreport.core.groups import STRATA, arm_cohort, ordered_arms
from mscreport.methods.ols import fit_ols
from mscreport.methods.stats import mann_whitney, welch_test

ONE_ARM_NOTE = ("**One arm only.** The `arm` column names a single arm ({arm}): there is no comparator, "
                "so no between-arm comparison is made.")


# ---------------------------------------------------------------- linear models
@dataclass(frozen=True)
class Coefficient:
    """One OLS coefficient with its t-test and interval (R: ``summary(lm)``, ``confint``)."""

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p: float | None

    def interface(self) -> dict:
        return {"estimate": self.estimate, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "t": self.t, "df": self.df, "p": self.p}


NO_COEFFICIENT = Coefficient(None, None, None, None, None, None, None)


def _design(frame: pd.DataFrame, arms: list[str], reference: str) -> tuple[np.ndarray, list[str]]:
    """Treatment-coded design matrix and its column names as R's ``lm`` names them: 1,
    baseline, one indicator per non-reference arm (``arm<name>``)."""
    b = frame["hba1c_baseline"].to_numpy(float)
    others = [a for a in arms if a != reference]
    cols, names = [np.ones(len(frame)), b], ["(Intercept)", "hba1c_baseline"] + [f"arm{a}" for a in others]
    dummies = [(frame["arm"] == a).to_numpy(float) for a in others]
    cols += dummies
    return np.column_stack(cols), names


def fit_ancova(frame: pd.DataFrame, arms: list[str], reference: str, alpha: float = 0.05) -> dict[str, Coefficient]:
    """Each non-reference arm's coefficient in ``lm(hba1c_followup ~ hba1c_baseline + arm)``
    (reference = base level): the between-arm difference in follow-up HbA1c at equal baseline
    (``ols.fit_ols``, solved by QR as R's lm)."""
    others = [a for a in arms if a != reference]
    X, names = _design(frame, arms, reference)
    n, k = X.shape
    if n <= k or np.linalg.matrix_rank(X) < k:
        return {a: NO_COEFFICIENT for a in others}
    fit = fit_ols(frame["hba1c_followup"].to_numpy(float), X, names, alpha, solver="qr")
    df = float(fit.df_resid)
    terms = {a: fit[f"arm{a}"] for a in others}
    return {a: Coefficient(t.estimate, t.se, t.ci_low, t.ci_high, t.t, df, t.p) for a, t in terms.items()}


# ---------------------------------------------------------------- the arms block
@dataclass(frozen=True)
class ArmComparison:
    """One non-reference arm vs the reference (interface.md ``arms.comparisons[]``)."""

    arm: str
    reference: str
    n_arm: int
    n_reference: int
    ancova: Coefficient
    welch: object  # stats.WelchResult of change[arm] - change[reference]
    mann_whitney: object  # stats.MannWhitneyResult, u = R's W of the arm

    def interface(self) -> dict:
        w, mw = self.welch, self.mann_whitney
        return {"arm": self.arm, "reference": self.reference, "n_arm": self.n_arm, "n_reference": self.n_reference,
                "ancova": self.ancova.interface(),
                "welch_change": {"diff": w.diff, "ci_low": w.ci_low, "ci_high": w.ci_high, "t": w.t, "df": w.df,
                                 "p": w.p},
                "mann_whitney": {"u": mw.u, "p": mw.p}}


@dataclass(frozen=True)
class ArmsResult:
    """The per-arm analysis of a cohort with an ``arm`` column."""

    arms: tuple[str, ...]  # reference first, then the others sorted
    reference: str | None
    groups: dict = field(repr=False)  # arm -> {"overall": PairedResult, "strata": {name: PairedResult}}
    comparisons: tuple[ArmComparison, ...]
    note: str = ""
    flow: tuple = ()  # arm_flow rows as dicts: arm, rows_read, excluded, analysed, moderate, severe
    dose: dict | None = field(default=None, repr=False)  # arm -> arm_dose.dose_of_arm (chapter 4)
    trust: dict | None = field(default=None, repr=False)  # arm -> arm_trust.trust_of_arm (chapter 5)

    def interface(self) -> dict:
        """The ``arms`` block of results.json."""
        return {"reference": self.reference, "arms": list(self.arms),
                "groups": {a: {"overall": g["overall"].interface(),
                               "strata": {k: v.interface() for k, v in g["strata"].items()}}
                           for a, g in self.groups.items()},
                "comparisons": [c.interface() for c in self.comparisons],
                "interaction_severity": None,  # trial.with_trial_analyses fills it (arms_block)
                "flow": list(self.flow), "note": self.note, "dose": self.dose, "trust": self.trust}


def analyse_arms(cohort) -> ArmsResult | None:
    """Per-arm paired analyses and strata, each arm vs the reference, and dose and trust within
    each arm; None without an ``arm`` column. One arm only: its paired results, no comparison
    (``note`` says so). Computed once per cohort and build (chapters 1 to 5 ask for it)."""
    return cohort.once("analyse_arms", lambda: _analyse_arms(cohort), shared=True)


def _analyse_arms(cohort) -> ArmsResult | None:
    if not cohort.has("arm"):
        return None
    frame = cohort.frame
    reference, arms = ordered_arms(cohort)
    alpha = cohort.params["alpha"]
    groups = {}
    for a in arms:
        sub = arm_cohort(cohort, a)
        groups[a] = {"overall": analyse_overall(sub), "strata": analyse_strata(sub)}
    flow = flow_records(cohort)
    per_arm = {"dose": analyse_dose_by_arm(cohort), "trust": analyse_trust_by_arm(cohort)}
    if reference is None:
        note = ONE_ARM_NOTE.format(arm=repr(arms[0])) if arms else "The `arm` column is empty: no arm to analyse."
        return ArmsResult(tuple(arms), None, groups, (), note.replace("**", "").replace("`", ""), flow, **per_arm)
    ancova = fit_ancova(frame, arms, reference, alpha)
    change = {a: frame.loc[frame["arm"] == a, "change"].to_numpy(float) for a in arms}
    comparisons = tuple(ArmComparison(a, reference, len(change[a]), len(change[reference]), ancova[a],
                                      welch_test(change[a], change[reference], alpha),
                                      mann_whitney(change[a], change[reference])) for a in arms[1:])
    return ArmsResult(tuple(arms), reference, groups, comparisons, flow=flow, **per_arm)


def flow_records(cohort) -> tuple[dict, ...]:
    """results.json ``arms.flow`` (the contract's layout): per arm ``rows_read``, ``analysed``,
    ``excluded`` as {reason: patients} (the ``data.excluded`` texts), and this project's
    additions ``n_excluded``, ``excluded_percent`` (of the rows read, %) and the per-stratum counts."""
    reasons: dict[str, dict[str, int]] = {}
    for e in cohort.excluded:
        arm_reasons = reasons.setdefault(e.arm, {})
        arm_reasons[e.reason] = arm_reasons.get(e.reason, 0) + 1
    records = arm_flow(cohort).rename(columns=lambda c: c.replace(" ", "_")).to_dict("records")
    return tuple({**r, "excluded": dict(sorted(reasons.get(r["arm"], {}).items())), "n_excluded": r["excluded"],
                  "excluded_percent": 100 * r["excluded"] / r["rows_read"] if r["rows_read"] else None}
                 for r in records)


def arm_flow(cohort) -> pd.DataFrame:
    """Participant flow per arm: rows read, excluded, analysed, and per severity stratum
    (counts only; 'below' only when someone is in it), the reference arm first."""
    excluded = pd.Series([e.arm for e in cohort.excluded], dtype=object)
    f = cohort.frame
    analysed = ordered_arms(cohort)[1]
    names = analysed + sorted(set(excluded) - set(analysed) - {""})
    return pd.DataFrame({"arm": names,
                         "rows read": [int((excluded == a).sum() + (f["arm"] == a).sum()) for a in names],
                         "excluded": [int((excluded == a).sum()) for a in names],
                         "analysed": [int((f["arm"] == a).sum()) for a in names],
                         **{s: [int(((f["arm"] == a) & (f["stratum"] == s)).sum()) for a in names]
                            for s in STRATA if s != "below" or (f["stratum"] == s).any()}})


def arms_block(cohort) -> dict | None:
    """results.json ``arms``: the per-arm analysis (``analyse_arms``) with the trial analyses of
    the contract merged in (``trial.with_trial_analyses``); None without an ``arm`` column."""
    result = analyse_arms(cohort)
    return None if result is None else with_trial_analyses(cohort, result.interface())
