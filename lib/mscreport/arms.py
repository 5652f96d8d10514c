"""Controlled studies: the ``arm`` column (interface.md, "Controlled studies").

With two or more arms the report is a controlled comparison. Each non-reference arm is
compared with the reference arm (parameter ``reference_arm``) by

* ANCOVA: R ``lm(hba1c_followup ~ hba1c_baseline + arm)`` fitted on every arm at once, with
  the reference as the base level; the arm's coefficient is the difference in follow-up HbA1c
  at equal baseline (% points; negative = lower HbA1c in the arm), the primary effect;
* Welch's t-test on the change (R ``t.test(change[arm], change[reference])``),
  diff = mean change in the arm - mean change in the reference;
* the Wilcoxon rank-sum / Mann-Whitney test on the change (R ``wilcox.test``, W of the arm);

and the arm-by-severity interaction is R ``anova(lm(f ~ b + arm + stratum),
lm(f ~ b + arm * stratum))``. HbA1c in NGSP %, change = follow-up - baseline, two-sided
tests, intervals at 1 - alpha. An empty ``arm`` cell is refused by the validators (with an
``arm`` column, every patient belongs to an arm).

The ``show_*`` functions are the chapters' one-line cells: each displays the per-arm section,
or the "no arm column" note when the file has no arms.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .errors import InputError, Problem

AUTO = "auto"
REFERENCE_NAMES = ("control", "placebo", "usual_care", "standard_care", "sham", "sham_control")
POOLED = "all arms pooled"
NO_ARM_NOTE = ("**No `arm` column.** This cohort is a single-arm study: there is no control group, so "
               "no between-arm comparison is made (a file with an `arm` column gets one here).")
ONE_ARM_NOTE = ("**One arm only.** The `arm` column names a single arm ({arm}): there is no comparator, "
                "so no between-arm comparison is made.")


# ---------------------------------------------------------------- arms and the reference
def list_arms(frame: pd.DataFrame) -> list[str]:
    """Distinct non-empty arm names of a frame, sorted; [] without an ``arm`` column."""
    if "arm" not in frame.columns:
        return []
    return sorted({str(a) for a in frame["arm"].dropna() if str(a).strip()})


def md_name(name: str) -> str:
    """An arm name (text from the data) safe inside Markdown prose: HTML-escaped, and Markdown's
    punctuation as character references, so a name can neither inject HTML nor format text."""
    return re.sub(r"[\\`*_{}\[\]()#+!|~<>$&\"'-]", lambda m: f"&#{ord(m.group(0))};", name)


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def choose_reference(arms: list[str], reference_arm: str = AUTO, where: str = "-") -> str | None:
    """The comparator arm; None with fewer than two arms (no comparison).

    ``auto``: the one arm whose name is, case-insensitively, one of REFERENCE_NAMES (spaces or
    hyphens count as underscores). Otherwise the arm of that name (exact, else the one
    case-insensitive match). Raises InputError (located at ``where``:-:arm) listing the arms
    when none or several fit."""
    if len(arms) < 2:
        return None
    listed = ", ".join(repr(a) for a in arms)
    if reference_arm == AUTO:
        matches = [a for a in arms if _key(a) in REFERENCE_NAMES]
        if len(matches) == 1:
            return matches[0]
        why = ("none of the arms is named " + ", ".join(REFERENCE_NAMES) if not matches
               else "several arms could be the comparator (" + ", ".join(repr(a) for a in matches) + ")")
        raise InputError([Problem(where, None, "arm",
                                  f"reference_arm=auto cannot choose the comparator arm: {why}; "
                                  f"give it with -p reference_arm=NAME (the arms are: {listed})")])
    if reference_arm in arms:
        return reference_arm
    close = [a for a in arms if _key(a) == _key(reference_arm)]
    if len(close) == 1:
        return close[0]
    raise InputError([Problem(where, None, "arm",
                              f"reference_arm={reference_arm!r} is not an arm of this file "
                              f"(the arms are: {listed}); give -p reference_arm=NAME or auto")])


def ordered_arms(cohort) -> tuple[str | None, list[str]]:
    """(reference or None, the arms with the reference first and the others sorted)."""
    names = list_arms(cohort.frame)
    reference = choose_reference(names, cohort.params.get("reference_arm", AUTO), cohort.path)
    return reference, ([reference] if reference else []) + [a for a in names if a != reference]


def arm_cohort(cohort, arm: str):
    """The cohort restricted to one arm's analysed patients (same file, parameters and notes)."""
    return replace(cohort, frame=cohort.frame[cohort.frame["arm"] == arm])


def check_reference_arm(frame: pd.DataFrame, params: dict, where: str) -> None:
    """Raise InputError (exit 2 before any chapter runs) when the reference arm cannot be chosen."""
    choose_reference(list_arms(frame), params.get("reference_arm", AUTO), where)


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


def _design(frame: pd.DataFrame, arms: list[str], reference: str, stratum: bool = False,
            interaction: bool = False) -> np.ndarray:
    """Treatment-coded design matrix: 1, baseline, one indicator per non-reference arm
    [, severe] [, arm x severe]."""
    b = frame["hba1c_baseline"].to_numpy(float)
    cols = [np.ones(len(frame)), b]
    dummies = [(frame["arm"] == a).to_numpy(float) for a in arms if a != reference]
    cols += dummies
    if stratum:
        severe = (frame["stratum"] == "severe").to_numpy(float)
        cols.append(severe)
        if interaction:
            cols += [d * severe for d in dummies]
    return np.column_stack(cols)


def fit_ancova(frame: pd.DataFrame, arms: list[str], reference: str, alpha: float = 0.05) -> dict[str, Coefficient]:
    """Each non-reference arm's coefficient in ``lm(hba1c_followup ~ hba1c_baseline + arm)``
    (reference = base level): the between-arm difference in follow-up HbA1c at equal baseline."""
    from scipy import stats as st

    others = [a for a in arms if a != reference]
    X = _design(frame, arms, reference)
    y = frame["hba1c_followup"].to_numpy(float)
    n, k = X.shape
    if n <= k or np.linalg.matrix_rank(X) < k:
        return {a: NO_COEFFICIENT for a in others}
    q, r = np.linalg.qr(X)
    beta = np.linalg.solve(r, q.T @ y)
    resid = y - X @ beta
    df = n - k
    sigma2 = float(resid @ resid) / df
    r_inv = np.linalg.solve(r, np.eye(k))
    cov = sigma2 * (r_inv @ r_inv.T)
    crit = float(st.t.ppf(1 - alpha / 2, df))
    out = {}
    for j, a in enumerate(others, start=2):
        est, se = float(beta[j]), math.sqrt(cov[j, j])
        if se == 0:
            out[a] = Coefficient(est, 0.0, None, None, None, float(df), None)
            continue
        t = est / se
        out[a] = Coefficient(est, se, est - crit * se, est + crit * se, t, float(df), 2 * float(st.t.sf(abs(t), df)))
    return out


def _rss_and_rank(X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return float(resid @ resid), int(rank)


def fit_interaction(frame: pd.DataFrame, arms: list[str], reference: str) -> dict | None:
    """Arm-by-severity interaction given both main effects: R ``anova(lm(f ~ b + arm + stratum),
    lm(f ~ b + arm * stratum))``; {f, df1, df2, p}, or None when it cannot be tested (one
    stratum only, no estimable interaction, or no residual degrees of freedom)."""
    from scipy import stats as st

    if frame["stratum"].nunique() < 2:
        return None
    y = frame["hba1c_followup"].to_numpy(float)
    rss0, rank0 = _rss_and_rank(_design(frame, arms, reference, stratum=True), y)
    rss1, rank1 = _rss_and_rank(_design(frame, arms, reference, stratum=True, interaction=True), y)
    df1, df2 = rank1 - rank0, len(y) - rank1
    if df1 <= 0 or df2 <= 0 or rss1 <= 0:
        return None
    f = ((rss0 - rss1) / df1) / (rss1 / df2)
    return {"f": f, "df1": float(df1), "df2": float(df2), "p": float(st.f.sf(f, df1, df2))}


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
    interaction: dict | None
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
                "interaction_severity": self.interaction,
                "flow": list(self.flow), "note": self.note, "dose": self.dose, "trust": self.trust}


def analyse_arms(cohort) -> ArmsResult | None:
    """Per-arm paired analyses and strata, and each arm vs the reference; None without an
    ``arm`` column. One arm only: its paired results, no comparison (``note`` says so)."""
    from .arm_dose import analyse_dose_by_arm
    from .arm_trust import analyse_trust_by_arm
    from .results import analyse_overall, analyse_strata
    from .stats import mann_whitney, welch_test

    if not cohort.has("arm"):
        return None
    frame = cohort.frame
    reference, arms = ordered_arms(cohort)
    alpha = cohort.params["alpha"]
    groups = {}
    for a in arms:
        sub = arm_cohort(cohort, a)
        groups[a] = {"overall": analyse_overall(sub), "strata": analyse_strata(sub)}
    flow = tuple(arm_flow(cohort).rename(columns=lambda c: c.replace(" ", "_")).to_dict("records"))
    per_arm = {"dose": analyse_dose_by_arm(cohort), "trust": analyse_trust_by_arm(cohort)}
    if reference is None:
        note = ONE_ARM_NOTE.format(arm=repr(arms[0])) if arms else "The `arm` column is empty: no arm to analyse."
        return ArmsResult(tuple(arms), None, groups, (), None, note.replace("**", "").replace("`", ""), flow, **per_arm)
    ancova = fit_ancova(frame, arms, reference, alpha)
    change = {a: frame.loc[frame["arm"] == a, "change"].to_numpy(float) for a in arms}
    comparisons = tuple(ArmComparison(a, reference, len(change[a]), len(change[reference]), ancova[a],
                                      welch_test(change[a], change[reference], alpha),
                                      mann_whitney(change[a], change[reference])) for a in arms[1:])
    return ArmsResult(tuple(arms), reference, groups, comparisons, fit_interaction(frame, arms, reference),
                      flow=flow, **per_arm)


# ---------------------------------------------------------------- display (the chapters' one-line cells)
def is_controlled(block: dict | None) -> bool:
    """Whether an ``arms`` block (results.json) holds a between-arm comparison."""
    return bool(block and block.get("reference"))


def pooled_label(cohort, label: str = "all patients") -> str:
    """A pooled group's label: ``label (all arms pooled)`` when the cohort has two or more arms."""
    return f"{label} ({POOLED})" if len(list_arms(cohort.frame)) >= 2 else label


def say_pooled(ch) -> None:
    """With two or more arms, say that the chapter's pooled results are labelled 'all arms
    pooled'; without, nothing (a single-arm chapter reads as before)."""
    arms = list_arms(ch.cohort.frame)
    if len(arms) >= 2:
        ch.say(f"**Controlled study: results labelled \u201c{POOLED}\u201d mix the arms** "
               f"({', '.join(md_name(a) for a in arms)}). A pooled before/after change is not a treatment effect: "
               "the between-arm comparison is in the change chapter and leads the key findings.")


def hidden_arms_of(block: dict | None) -> frozenset[str]:
    """Arms of an ``arms`` block (results.json layout) whose summaries pages hide: the arms
    partition the pooled cohort, which pages show, and the crossed splits by stratum and dose
    group may hide more (``disclosure.solve_arms_block``)."""
    from .disclosure import solve_arms_block

    return solve_arms_block(block)["arms"]


def comparisons_frame(block: dict | None, alpha: float = 0.05) -> pd.DataFrame:
    """The between-arm table from an ``arms`` block (results.json layout): per non-reference
    arm the ANCOVA difference in follow-up (CI, p), with the Welch difference in change and
    the Mann-Whitney test beside it. A comparison with an arm under 3 patients, or an arm the
    disclosure rule hides (``hidden_arms_of``), is suppressed."""
    from . import display as fmt

    level = f"{1 - alpha:.0%} CI"
    rows = []
    hidden = hidden_arms_of(block)
    for c in (block or {}).get("comparisons", []):
        a, w, m = c["ancova"], c["welch_change"], c["mann_whitney"]
        row = {"comparison": f"{c['arm']} vs {c['reference']}", "n": f"{c['n_arm']} vs {c['n_reference']}"}
        if fmt.too_small(c["n_arm"]) or fmt.too_small(c["n_reference"]) or {c["arm"], c["reference"]} & hidden:
            rows.append({**row, "ANCOVA: difference in follow-up at equal baseline": fmt.SUPPRESSED})
            continue
        rows.append({**row,
                     "ANCOVA: difference in follow-up at equal baseline": fmt.fmt_change(a["estimate"]),
                     f"ANCOVA {level} (% points)": fmt.fmt_ci(a["ci_low"], a["ci_high"]),
                     "ANCOVA p": fmt.fmt_pvalue(a["p"]),
                     "Welch: difference in mean change": fmt.fmt_change(w["diff"]),
                     f"Welch {level}": fmt.fmt_ci(w["ci_low"], w["ci_high"]),
                     "Welch p": fmt.fmt_pvalue(w["p"]),
                     "Mann-Whitney U (p)": f"{fmt.fmt_num(m['u'], 1)} ({fmt.fmt_pvalue(m['p'])})"})
    return pd.DataFrame(rows).fillna("")


def key_findings_table(results: dict, number: int = 1) -> str:
    """The index's leading table (HTML): the between-arm effect per non-reference arm; '' when
    the study has no comparison."""
    from . import display as fmt

    block = results.get("arms")
    if not is_controlled(block):
        return ""
    alpha = (results.get("params") or {}).get("alpha", 0.05)
    return fmt.html_table(comparisons_frame(block, alpha),
                          f"Between-arm effect on HbA1c, each arm vs the reference arm {block['reference']!r} "
                          "(ANCOVA of follow-up on baseline and arm; negative = lower HbA1c in the arm)", number)


def arm_flow(cohort) -> pd.DataFrame:
    """Participant flow per arm: rows read, excluded, analysed, and per severity stratum
    (counts only), the reference arm first."""
    excluded = pd.Series([e.arm for e in cohort.excluded], dtype=object)
    f = cohort.frame
    analysed = ordered_arms(cohort)[1]
    names = analysed + sorted(set(excluded) - set(analysed) - {""})
    return pd.DataFrame({"arm": names,
                         "rows read": [int((excluded == a).sum() + (f["arm"] == a).sum()) for a in names],
                         "excluded": [int((excluded == a).sum()) for a in names],
                         "analysed": [int((f["arm"] == a).sum()) for a in names],
                         "moderate": [int(((f["arm"] == a) & (f["stratum"] == "moderate")).sum()) for a in names],
                         "severe": [int(((f["arm"] == a) & (f["stratum"] == "severe")).sum()) for a in names]})


def show_flow(ch) -> None:
    """Chapter 1: the participant flow per arm, or the 'no arm column' note."""
    if not ch.cohort.has("arm"):
        ch.say(NO_ARM_NOTE)
        return
    flow = arm_flow(ch.cohort)
    ch.table(flow, "Participant flow per arm (rows read = excluded + analysed in each arm)")
    ch.say(f"Each of the {ch.cohort.rows_read} rows read is counted in exactly one row of the table "
           f"(the rows add up to {int(flow['rows read'].sum())}).")


def _note_if_uncontrolled(ch, result: ArmsResult | None) -> bool:
    """Say the 'no arm column' or 'one arm' note; True when there is nothing to compare."""
    if result is None:
        ch.say(NO_ARM_NOTE)
        return True
    if result.reference is None:
        ch.say(ONE_ARM_NOTE.format(arm=md_name(result.arms[0])) if result.arms else "The `arm` column is empty.")
        return True
    return False


def show_strata(ch) -> None:
    """Chapter 2: paired results per arm and severity stratum, and the arm-by-severity
    interaction; or the 'no arm column' note."""
    from . import display as fmt
    from .report import paired_table

    from .disclosure import STRATA, hidden_arm_cells, hidden_strata

    result = analyse_arms(ch.cohort)
    if result is None:
        ch.say(NO_ARM_NOTE)
        return
    f = ch.cohort.frame
    hidden = hidden_arm_cells(f, "stratum", STRATA, hidden_strata(f))
    ch.table(paired_table({f"{a}: {s}": r for a, g in result.groups.items() for s, r in g["strata"].items()},
                          {f"{a}: {s}" for a, s in hidden}),
             f"Paired analysis per arm and severity stratum (CI at {1 - ch.params['alpha']:.0%})")
    if _note_if_uncontrolled(ch, result):
        return
    i = result.interaction
    if i is None:
        ch.say("The arm-by-severity interaction cannot be tested here (it needs both strata, and patients "
               "of more than one arm in a stratum).")
        return
    ch.say(f"Does the between-arm difference depend on the severity stratum? The arm-by-severity interaction, "
           f"given baseline, arm and stratum: F({fmt.fmt_int(i['df1'])}, {fmt.fmt_int(i['df2'])}) = "
           f"{fmt.fmt_num(i['f'])}, {fmt.fmt_p(i['p'])}. A large p is not evidence that the effect is the same "
           "in both strata: trials are rarely powered for interactions.")


def show_paired(ch) -> None:
    """Chapter 3: record the ``arms`` block; show the paired analysis per arm and the
    between-arm comparison with a sentence per arm; or the 'no arm column' note."""
    from . import display as fmt
    from .report import paired_table

    from .trial import with_trial_analyses

    result = analyse_arms(ch.cohort)
    ch.record("arms", None if result is None else with_trial_analyses(ch.cohort, result.interface()))
    if result is None:
        ch.say(NO_ARM_NOTE)
        return
    alpha = ch.params["alpha"]
    hidden = hidden_arms_of(result.interface())
    ch.table(paired_table({a: g["overall"] for a, g in result.groups.items()}, hidden),
             f"Paired analysis within each arm (change = follow-up \u2212 baseline; CI at {1 - alpha:.0%})")
    if _note_if_uncontrolled(ch, result):
        return
    block = result.interface()
    ch.table(comparisons_frame(block, alpha), f"Between-arm effect, each arm vs {result.reference!r}")
    for c in result.comparisons:
        if fmt.too_small(c.n_arm) or fmt.too_small(c.n_reference) or {c.arm, c.reference} & hidden:
            ch.say(f"**{md_name(c.arm)}** vs **{md_name(c.reference)}**: an arm has fewer than 3 patients (or its "
                   "summaries would give such an arm back); summaries suppressed.")
            continue
        a, w = c.ancova, c.welch
        ch.say(f"At equal baseline HbA1c, follow-up HbA1c in **{md_name(c.arm)}** (n = {c.n_arm}) differed from "
               f"**{md_name(c.reference)}** (n = {c.n_reference}) by **{fmt.fmt_change(a.estimate)}**, "
               f"{1 - alpha:.0%} CI {fmt.fmt_ci(a.ci_low, a.ci_high)} % points, {fmt.fmt_p(a.p)} (ANCOVA). "
               f"The difference in mean change was {fmt.fmt_change(w.diff)}, CI {fmt.fmt_ci(w.ci_low, w.ci_high)}, "
               f"{fmt.fmt_p(w.p)} (Welch); Mann-Whitney {fmt.fmt_p(c.mann_whitney.p)}.")


def paired_by_arm_figure(frame: pd.DataFrame, arms: list[str], aggregate_above: int, hidden=()):
    """Baseline and follow-up HbA1c, one panel per arm (lines per patient, or quantile bands); an
    arm in ``hidden`` (``disclosure.hidden_arms``) or under 3 patients gets no panel content."""
    import matplotlib.pyplot as plt

    from .display import SUPPRESSED, too_small
    from .figures import _DEEP, _mmol_axis, draw_pairs

    fig, axes = plt.subplots(1, len(arms), figsize=(max(4.0 * len(arms), 6.0), 4), sharey=True, squeeze=False)
    for i, (ax, a) in enumerate(zip(axes[0], arms)):
        s = frame[frame["arm"] == a]
        if too_small(len(s)) or a in hidden:
            ax.text(0.5, 0.5, SUPPRESSED, ha="center", va="center", transform=ax.transAxes)
        else:
            draw_pairs(ax, s, _DEEP[i % len(_DEEP)], aggregate_above)
        ax.set_xticks([0, 1], ["baseline", "follow-up"])
        ax.set_xlim(-0.2, 1.2)
        ax.set_title(f"{a} (n = {len(s)})".replace("$", r"\$"))  # no mathtext from data
    axes[0][0].set_ylabel("HbA1c (%)")
    _mmol_axis(axes[0][-1], "y")
    fig.tight_layout()
    return fig


def show_paired_figure(ch) -> None:
    """Chapter 3: the before/after figure per arm; nothing without arms (the per-arm table
    above it has already said so)."""
    arms = ordered_arms(ch.cohort)[1]
    if not arms:
        return
    from .disclosure import hidden_arms

    ch.figure(paired_by_arm_figure(ch.cohort.frame, arms, ch.params["aggregate_above"], hidden_arms(ch.cohort.frame)),
              "HbA1c at baseline and at last follow-up in each arm; thin lines are patients (or, for large arms, "
              "10-90 % and 25-75 % bands), the thick line the mean (median). Both arms usually fall: the "
              "treatment effect is the difference between the arms, not the fall within one.",
              "One panel per arm of before-after lines of HbA1c.")


def show_dose(ch) -> None:
    """Chapter 4: dose within each arm (``arm_dose.show_dose``), or the 'no arm column' note."""
    from .arm_dose import show_dose as show

    show(ch)


def show_trust(ch) -> None:
    """Chapter 5: regression to the mean, normality, safety and durability within each arm
    (``arm_trust.show_trust``), or the 'no arm column' note."""
    from .arm_trust import show_trust as show

    show(ch)
