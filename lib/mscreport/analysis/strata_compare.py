"""The strata compared directly: does the severe stratum fall more than the moderate one?

The paper's "particularly in severe diabetes" is a claim about the *difference* between the
strata, which two within-stratum p-values cannot test. Two between-strata estimates, both
severe - moderate, in % points (NGSP), change = follow-up - baseline (a larger fall in the
severe stratum is a negative difference):

- ``welch_change``: Welch's two-sample t-test of the change (R: ``t.test(change[severe],
  change[moderate])``), diff = mean change severe - mean change moderate, CI at 1 - alpha;
- ``ancova``: the stratum's coefficient in ``lm(hba1c_followup ~ hba1c_baseline + stratum)``
  on the moderate and severe patients (R, stratum a factor with moderate as the base level):
  the difference in follow-up at equal baseline, i.e. how far the severe stratum's fall goes
  beyond the linear pull of a high baseline towards the mean.

In a single-arm study neither is a treatment effect: a stratum selected on a high baseline is
expected to fall more without any treatment (regression to the mean), so ``welch_change``
mixes that artefact into the comparison; ``ancova`` removes its linear part only.
Patients of the stratum ``below`` (when analysed) are in neither group. With an ``arm``
column the same block is computed within each arm (``by_arm``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mscreport.core.disclosure import SUPPRESSED_SECONDARY, solve_arms, suppressed, too_few
from mscreport.display.fmt import fmt_ci, fmt_int, fmt_num, fmt_p, fmt_pvalue, md_name
from mscreport.methods.ols import fit_ols
from mscreport.methods.stats import welch_test

STRATA_COMPARED = ("severe", "moderate")  # difference = first - second


def _welch_block(severe: np.ndarray, moderate: np.ndarray, alpha: float) -> dict:
    """Welch's t-test of change, severe - moderate (% points)."""
    w = welch_test(severe, moderate, alpha)
    return {"diff": w.diff, "ci_low": w.ci_low, "ci_high": w.ci_high, "t": w.t, "df": w.df, "p": w.p}


def _ancova_block(frame: pd.DataFrame, alpha: float) -> dict:
    """The severe indicator's coefficient in lm(f ~ b + stratum) (% points at equal baseline)."""
    none = {"estimate": None, "se": None, "ci_low": None, "ci_high": None, "t": None, "df": None, "p": None}
    b = frame["hba1c_baseline"].to_numpy(float)
    severe = (frame["stratum"] == "severe").to_numpy(float)
    X = np.column_stack([np.ones(len(frame)), b, severe])
    if len(frame) <= X.shape[1] or np.linalg.matrix_rank(X) < X.shape[1]:
        return none
    fit = fit_ols(frame["hba1c_followup"].to_numpy(float), X, ("(Intercept)", "hba1c_baseline", "stratumsevere"),
                  alpha, solver="qr")
    term = fit["stratumsevere"]
    return {"estimate": term.estimate, "se": term.se, "ci_low": term.ci_low, "ci_high": term.ci_high,
            "t": term.t, "df": float(fit.df_resid), "p": term.p}


def compare_strata_frame(frame: pd.DataFrame, alpha: float = 0.05) -> dict | None:
    """The between-strata block of one analysed frame (columns hba1c_baseline, hba1c_followup,
    change, stratum): n of each stratum, ``welch_change`` and ``ancova`` (severe - moderate, %
    points). None when the frame has no moderate or no severe patient; the statistics are None
    when either stratum has fewer than 3 patients (the disclosure minimum; Welch needs 2)."""
    two = frame[frame["stratum"].isin(STRATA_COMPARED)]
    n_severe = int((two["stratum"] == "severe").sum())
    n_moderate = int((two["stratum"] == "moderate").sum())
    if not n_severe or not n_moderate:
        return None
    block = {"n_severe": n_severe, "n_moderate": n_moderate}
    if too_few(n_severe) or too_few(n_moderate):
        block["welch_change"] = {k: None for k in ("diff", "ci_low", "ci_high", "t", "df", "p")}
        block["ancova"] = _ancova_block(two.iloc[:0], alpha)
        return block
    change = two["hba1c_followup"].to_numpy(float) - two["hba1c_baseline"].to_numpy(float)
    is_sev = (two["stratum"] == "severe").to_numpy()
    block["welch_change"] = _welch_block(change[is_sev], change[~is_sev], alpha)
    block["ancova"] = _ancova_block(two, alpha)
    return block


def compare_strata(cohort) -> dict | None:
    """results.json ``strata_comparison``: ``compare_strata_frame`` on every analysed patient
    (all arms pooled, as ``strata``), plus ``by_arm`` ({ARM: the same block}, None without an
    arm column). None when the cohort has no moderate or no severe patient."""
    frame, alpha = cohort.frame, cohort.params["alpha"]
    block = compare_strata_frame(frame, alpha)
    if block is None:
        return None
    by_arm = None
    if "arm" in frame.columns and frame["arm"].nunique() > 1:
        by_arm = {str(a): compare_strata_frame(frame[frame["arm"] == a], alpha)
                  for a in sorted(frame["arm"].dropna().unique(), key=str)}
    return {**block, "by_arm": by_arm}


def student_calls(frame: pd.DataFrame, hidden: frozenset[str] = frozenset()) -> str:
    """What chapter 2's teaching cell prints: the two calls a student would type, run on the
    moderate and severe patients of ``frame`` (scipy's Welch t-test of change, severe vs
    moderate; statsmodels' ``ols`` of follow-up on baseline and stratum, its coefficient table),
    or why they are not run (a stratum missing, too small, or hidden on the pages)."""
    from scipy import stats
    import statsmodels.formula.api as smf

    d = frame[frame["stratum"].isin(STRATA_COMPARED)]
    n = d["stratum"].value_counts()
    if "pooled" in hidden or min(int(n.get("severe", 0)), int(n.get("moderate", 0))) < 3:
        return "Not run: a stratum is missing, has fewer than 3 patients, or is hidden on the pages."
    welch = stats.ttest_ind(d.loc[d["stratum"] == "severe", "change"], d.loc[d["stratum"] == "moderate", "change"],
                            equal_var=False)
    fit = smf.ols("hba1c_followup ~ hba1c_baseline + C(stratum, Treatment('moderate'))", d).fit()
    return f"{welch}\n\n{fit.summary().tables[1]}"


# ---------------------------------------------------------------- display
def hidden_comparisons(frame) -> frozenset[str]:
    """Rows of the table a page must not show: 'pooled' when the disclosure rule hides the
    moderate or the severe stratum of the whole cohort, an arm's name when it hides one of them
    in that arm (a difference with a shown mean would reveal the hidden one)."""
    pooled, cells = solve_arms(frame)["stratum"]
    hidden = {"pooled"} if set(STRATA_COMPARED) & set(pooled) else set()
    hidden |= {str(arm) for arm, stratum in cells if stratum in STRATA_COMPARED}
    return frozenset(hidden)


def _rows(block: dict) -> list[tuple[str, str, dict]]:
    """(key, label, block) for the table: all patients first, then each arm."""
    rows = [("pooled", "all patients" + (" (arms pooled)" if block.get("by_arm") else ""), block)]
    for arm, sub in (block.get("by_arm") or {}).items():
        if sub is not None:
            rows.append((arm, f"arm {arm}", sub))
    return rows


def format_strata_comparison(block: dict | None, alpha: float, hidden: frozenset[str] = frozenset()) -> pd.DataFrame | None:
    """The between-strata table (severe - moderate, % points): n of each stratum, the Welch
    difference of mean change with its CI and p, the baseline-adjusted difference with its CI
    and p; a row of ``hidden`` (``hidden_comparisons``) says why it is suppressed. None for no block."""
    if block is None:
        return None
    level = f"{1 - alpha:.0%} CI"
    out = []
    for key, label, b in _rows(block):
        if key in hidden:
            small = min(b["n_severe"], b["n_moderate"])
            reason = suppressed(small) if too_few(small) else SUPPRESSED_SECONDARY
            out.append({"group": label, "n severe": "", "n moderate": "", "difference in mean change": reason,
                        f"{level} (Welch)": "", "p (Welch)": "", "difference at equal baseline": "",
                        f"{level} (ANCOVA)": "", "p (ANCOVA)": ""})
            continue
        w, a = b["welch_change"], b["ancova"]
        out.append({"group": label, "n severe": fmt_int(b["n_severe"]), "n moderate": fmt_int(b["n_moderate"]),
                    "difference in mean change": fmt_num(w["diff"]) if w["diff"] is not None else suppressed(2),
                    f"{level} (Welch)": fmt_ci(w["ci_low"], w["ci_high"]), "p (Welch)": fmt_pvalue(w["p"]),
                    "difference at equal baseline": fmt_num(a["estimate"]) if a["estimate"] is not None else suppressed(2),
                    f"{level} (ANCOVA)": fmt_ci(a["ci_low"], a["ci_high"]), "p (ANCOVA)": fmt_pvalue(a["p"])})
    return pd.DataFrame(out)


def say_strata_comparison(block: dict | None, alpha: float, hidden: frozenset[str] = frozenset()) -> str:
    """The comparison of all patients in words, numbers from the block; one sentence when there
    is nothing to compare or the disclosure rule hides it."""
    if block is None:
        return "This cohort does not have both a moderate and a severe stratum, so the strata cannot be compared."
    if "pooled" in hidden:
        return ("The comparison is not shown: the disclosure rule hides a stratum of this cohort (fewer than 3 "
                "patients, or it would reveal a hidden group).")
    w, a = block["welch_change"], block["ancova"]
    if w["diff"] is None:
        return (f"With {fmt_int(block['n_severe'])} severe and {fmt_int(block['n_moderate'])} moderate patients, "
                "one stratum is too small to compare (fewer than 3 patients).")
    level = f"{1 - alpha:.0%}"
    direction = "more" if w["diff"] < 0 else "less"
    excludes = (w["ci_high"] < 0 or w["ci_low"] > 0) if w["ci_low"] is not None else False
    adj_excludes = (a["ci_high"] < 0 or a["ci_low"] > 0) if a["ci_low"] is not None else False
    pooled = " (all arms pooled)" if block.get("by_arm") else ""
    text = (f"On average{pooled} the severe stratum's HbA1c fell {fmt_num(abs(w['diff']))} % points {direction} than the "
            f"moderate stratum's ({level} CI {fmt_ci(w['ci_low'], w['ci_high'])}, Welch test, {fmt_p(w['p'])}): the "
            f"interval {'excludes' if excludes else 'includes'} no difference. ")
    if a["estimate"] is not None:
        text += (f"At equal baseline HbA1c the difference is {fmt_num(a['estimate'])} % points ({level} CI "
                 f"{fmt_ci(a['ci_low'], a['ci_high'])}, {fmt_p(a['p'])}), and this interval "
                 f"{'excludes' if adj_excludes else 'includes'} no difference.")
    for arm, sub in (block.get("by_arm") or {}).items():
        if sub is None or arm in hidden or sub["welch_change"]["diff"] is None:
            continue
        sw = sub["welch_change"]
        text += (f" In arm {md_name(arm)} alone: {fmt_num(sw['diff'])} % points ({level} CI {fmt_ci(sw['ci_low'], sw['ci_high'])}, "
                 f"{fmt_p(sw['p'])}).")
    return text
