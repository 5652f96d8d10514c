"""Severity strata at baseline (NGSP %): moderate = moderate_min <= HbA1c <= severe_above,
severe = HbA1c > severe_above. 8.0 % exactly is moderate (the paper's "6.2-8 %")."""

from __future__ import annotations

import numpy as np
import pandas as pd

STRATA = ("moderate", "severe")


def count_strata(cohort) -> pd.DataFrame:
    """Patients per stratum with baseline HbA1c range (NGSP %), in reading order."""
    rows = []
    for name in STRATA:
        b = cohort.stratum(name)["hba1c_baseline"]
        rows.append({"stratum": name, "n": int(len(b)),
                     "percent": 100 * len(b) / cohort.rows_analysed if cohort.rows_analysed else np.nan,
                     "baseline_min": b.min() if len(b) else np.nan,
                     "baseline_max": b.max() if len(b) else np.nan})
    return pd.DataFrame(rows)


def threshold_sensitivity(cohort, severe_grid=(7.0, 7.5, 8.0, 8.5, 9.0, 10.0),
                          moderate_min: float | None = None) -> pd.DataFrame:
    """How stratum sizes and mean changes move when severe_above moves (NGSP %).

    The grid always contains the cohort's own ``severe_above``. Rows below moderate_min
    (default: the cohort's parameter) are already excluded.
    """
    from .stats import paired_test

    f = cohort.frame
    b, fu = f["hba1c_baseline"].to_numpy(float), f["hba1c_followup"].to_numpy(float)
    alpha = cohort.params["alpha"]
    rows = []
    for cut in sorted({float(c) for c in severe_grid} | {float(cohort.params["severe_above"])}):
        severe = b > cut
        # only the t-test is shown: no rank tests (their Walsh averages are O(n^2))
        rs = paired_test(b[severe], fu[severe], alpha, rank_tests=False)
        rm = paired_test(b[~severe], fu[~severe], alpha, rank_tests=False)
        rows.append({"severe_above": float(cut), "n_moderate": int((~severe).sum()), "n_severe": int(severe.sum()),
                     "mean_change_moderate": rm.mean_change, "p_moderate": rm.p,
                     "mean_change_severe": rs.mean_change, "p_severe": rs.p})
    return pd.DataFrame(rows)


def format_sensitivity(sens: pd.DataFrame) -> pd.DataFrame:
    """The threshold table for display: means of groups with n < 3 suppressed (they would
    show a patient's change), p-values as in the rest of the report."""
    from .display import SUPPRESSED, fmt_num, fmt_pvalue, too_small

    out = sens.copy()
    for side in ("moderate", "severe"):
        n = sens[f"n_{side}"]
        out[f"mean_change_{side}"] = [SUPPRESSED if too_small(k) else fmt_num(v) for v, k in zip(sens[f"mean_change_{side}"], n)]
        out[f"p_{side}"] = [fmt_pvalue(v) for v in sens[f"p_{side}"]]
    out["severe_above"] = out["severe_above"].map(lambda v: f"{v:g}")
    return out


def format_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-stratum counts for display (the baseline range of a stratum with n < 3 suppressed)."""
    from .display import SUPPRESSED, fmt_hba1c, fmt_num, too_small

    return pd.DataFrame({
        "stratum": counts["stratum"], "n": counts["n"], "% of analysed": counts["percent"].map(lambda v: fmt_num(v, 1)),
        "lowest baseline": [SUPPRESSED if too_small(n) else fmt_hba1c(v) for v, n in zip(counts["baseline_min"], counts["n"])],
        "highest baseline": [SUPPRESSED if too_small(n) else fmt_hba1c(v) for v, n in zip(counts["baseline_max"], counts["n"])]})
