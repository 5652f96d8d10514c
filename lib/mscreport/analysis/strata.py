"""Severity strata at baseline (NGSP %): moderate = moderate_min <= HbA1c <= severe_above,
severe = HbA1c > severe_above. 8.0 % exactly is moderate (the paper's "6.2-8 %")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mscreport.core.disclosure import (SUPPRESSED_EXTREMES, SUPPRESSED_ORDER, extremes_shown, hidden_parts, mode,
                                       shown_nested, solve_arms, suppressed)
from mscreport.core.groups import is_severe, shown_strata
from mscreport.display.fmt import fmt_hba1c, fmt_int, fmt_num, fmt_pvalue, fmt_share
from mscreport.methods.stats import paired_test

SENSITIVITY_GRID = (7.0, 7.5, 8.0, 8.5, 9.0, 10.0)  # NGSP %: severe_above values recomputed in chapter 2


def count_strata(cohort) -> pd.DataFrame:
    """Patients per stratum with baseline HbA1c range (NGSP %), in reading order."""
    rows = []
    baseline = cohort.frame["hba1c_baseline"]
    for name in shown_strata(cohort.frame["stratum"]):
        b = baseline[cohort.stratum_mask(name)]
        rows.append({"stratum": name, "n": int(len(b)),
                     "percent": 100 * len(b) / cohort.rows_analysed if cohort.rows_analysed else np.nan,
                     "baseline_min": b.min() if len(b) else np.nan,
                     "baseline_max": b.max() if len(b) else np.nan})
    return pd.DataFrame(rows)


def threshold_sensitivity(cohort, severe_grid=SENSITIVITY_GRID) -> pd.DataFrame:
    """How stratum sizes and mean changes move when severe_above moves (NGSP %): one row per
    cut-off of ``severe_grid`` plus the cohort's own ``severe_above`` (always a row), ascending.

    Rows below moderate_min (the stratum below, when analysed) are in neither column.
    """
    f = cohort.frame
    b, fu = f["hba1c_baseline"].to_numpy(float), f["hba1c_followup"].to_numpy(float)
    alpha = cohort.params["alpha"]
    rows = []
    for cut in sorted(set(map(float, severe_grid)) | {float(cohort.params["severe_above"])}):
        severe = is_severe(b, cut)
        moderate = ~severe & ~(b < cohort.params["moderate_min"])
        # only the t-test is shown: no rank tests (their Walsh averages are O(n^2))
        rs = paired_test(b[severe], fu[severe], alpha, rank_tests=False)
        rm = paired_test(b[moderate], fu[moderate], alpha, rank_tests=False)
        rows.append({"severe_above": float(cut), "n_moderate": int(moderate.sum()), "n_severe": int(severe.sum()),
                     "mean_change_moderate": rm.mean_change, "p_moderate": rm.p,
                     "mean_change_severe": rs.mean_change, "p_severe": rs.p})
    table = pd.DataFrame(rows)
    table.attrs["n_total"] = int(len(b))  # the stratum below (when analysed) is in neither column

    # a controlled study's crossed split (arm x stratum) may hide the strata at severe_above
    table.attrs["hidden_by_arms"] = solve_arms(cohort.frame)["stratum"][0]
    return table


def format_sensitivity(sens: pd.DataFrame, severe_above: float | None = None) -> pd.DataFrame:
    """The threshold table for display, p-values as in the rest of the report. The severe
    groups at rising cut-offs are nested, so a row's means and p-values are shown only when
    the row differs from every other shown row, from the whole cohort and from nothing by 0
    or at least 3 patients (``disclosure.shown_nested``); the row of ``severe_above`` (whose
    strata chapter 3 shows) is decided first, and hidden, with every row of the same groups,
    when a controlled study's crossed split hides those strata (``sens.attrs``)."""
    out = sens.copy()
    total = int(sens.attrs.get("n_total", sens["n_moderate"].iloc[0] + sens["n_severe"].iloc[0])) if len(sens) else 0
    cuts = list(sens["severe_above"])
    first = cuts.index(float(severe_above)) if severe_above is not None and float(severe_above) in cuts else None
    shown = shown_nested(total, list(sens["n_severe"]), first)
    if first is not None and sens.attrs.get("hidden_by_arms"):  # and every row of the same groups
        shown = [ok and n != sens["n_severe"].iloc[first] for ok, n in zip(shown, sens["n_severe"])]
    for side in ("moderate", "severe"):  # the true reason: the row's own group too small, or a difference
        why = [suppressed(n) for n in sens[f"n_{side}"]]
        out[f"mean_change_{side}"] = [fmt_num(v) if ok else w for v, ok, w in zip(sens[f"mean_change_{side}"], shown, why)]
        out[f"p_{side}"] = [fmt_pvalue(v) if ok else w for v, ok, w in zip(sens[f"p_{side}"], shown, why)]
    out["severe_above"] = [f"{v:g}" for v in out["severe_above"]]
    return out


def format_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-stratum counts for display (the baseline range of a hidden stratum suppressed,
    ``disclosure.hidden_parts``)."""
    sizes = dict(zip(counts["stratum"], counts["n"]))
    hidden = hidden_parts(sum(sizes.values()), sizes)
    return pd.DataFrame({
        "stratum": counts["stratum"], "n": [fmt_int(n) for n in counts["n"]],
        "% of analysed": [fmt_share(n, counts["n"].sum(), v).removesuffix(" %") for n, v in zip(counts["n"], counts["percent"])],
        "lowest baseline": [_extreme(v, s, n, hidden) for v, s, n in zip(counts["baseline_min"], counts["stratum"], counts["n"])],
        "highest baseline": [_extreme(v, s, n, hidden) for v, s, n in zip(counts["baseline_max"], counts["stratum"], counts["n"])]})


def _extreme(value, stratum: str, n: int, hidden) -> str:
    """A stratum's lowest or highest baseline as shown: hidden with its stratum (the true reason),
    and, as an order statistic, only from at least 5 patients (never in strict mode)."""
    if stratum in hidden:
        return suppressed(n)
    if not extremes_shown(n):
        return SUPPRESSED_EXTREMES if mode() == "strict" else SUPPRESSED_ORDER
    return fmt_hba1c(value)


def counts_sentence(counts: pd.DataFrame, params: dict) -> str:
    """Chapter 2's sentence on the boundary rule and the stratum sizes."""
    sizes = "; ".join(f"**{r.stratum}** n = {fmt_int(r.n)} ({fmt_share(r.n, counts['n'].sum(), r.percent)})" for r in counts.itertuples())
    return (f"With `moderate_min` = {fmt_hba1c(params['moderate_min'])} and `severe_above` = "
            f"{fmt_hba1c(params['severe_above'])}: {sizes}.")


def cutoff_sentence(params: dict) -> str:
    """Chapter 2's reading of the threshold table, naming the cut-off actually used
    (``severe_above``, NGSP %)."""
    return (f"The {fmt_hba1c(params['severe_above'])} cut-off (`severe_above`) is a convention, not a biological "
            "boundary. The table recomputes the strata for other values of `severe_above` (the lower bound stays "
            "at `moderate_min`). Read it for stability: if the severe stratum's mean change were large only for one "
            "particular cut-off, that would be a warning sign. Regression to the mean (chapter 5) makes a larger "
            "fall *expected* in patients selected further above the mean, but as the cut-off rises the stratum "
            "shrinks and its mean becomes noisy, so the trend need not be smooth. Your own `severe_above` is "
            "always one of the rows.")
