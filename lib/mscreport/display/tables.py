"""Tables for pages: analysis results formatted row by row (text cells), hidden groups showing only n."""

from __future__ import annotations

import pandas as pd

from mscreport.core.disclosure import SUPPRESSED_ORDER, Policy, current_policy, order_shown, suppressed
from mscreport.display import fmt


def paired_table(results: dict, hidden=(), policy: Policy | None = None) -> pd.DataFrame:
    """Formatted table of PairedResults keyed by group name (for display). Groups named in
    ``hidden`` (``disclosure.hidden_groups``) or with fewer than 3 patients (strict: 8) show only
    n, with the true reason; ``policy``: the disclosure rule (default: the chapter's mode)."""
    policy = policy or current_policy()
    rows = []
    for name, r in results.items():
        if policy.too_few(r.n) or name in hidden:
            rows.append({"group": name, "n": fmt.fmt_int(r.n, policy), "baseline, mean (SD)": suppressed(r.n, policy)})
            continue
        rows.append({
            "group": name, "n": fmt.fmt_int(r.n, policy),
            "baseline, mean (SD)": f"{fmt.fmt_hba1c(r.baseline_mean)} ({fmt.fmt_num(r.baseline_sd)})",
            "follow-up, mean (SD)": f"{fmt.fmt_hba1c(r.followup_mean)} ({fmt.fmt_num(r.followup_sd)})",
            "mean change": fmt.fmt_change(r.mean_change),
            "CI of change": fmt.fmt_ci(r.ci_low, r.ci_high),
            "SD of change": fmt.fmt_num(r.sd_change),
            "t (df)": "n/a" if r.t is None else f"{fmt.fmt_num(r.t)} ({fmt.fmt_int(r.df, policy)})",
            "p (t-test)": fmt.fmt_pvalue(r.p),
            "d_z": fmt.fmt_num(r.cohens_dz),
            "p (Wilcoxon)": fmt.fmt_pvalue(r.wilcoxon_p),
        })
    return pd.DataFrame(rows).fillna("")


def pairs_extra_table(results: dict, hidden=(), policy: Policy | None = None) -> pd.DataFrame:
    """Assumption checks and the rank-based companion of each paired test (``hidden`` and
    ``policy`` as in ``paired_table``)."""
    policy = policy or current_policy()
    rows = []
    for name, r in results.items():
        if policy.too_few(r.n) or name in hidden:
            rows.append({"group": name, "n": fmt.fmt_int(r.n, policy), "Shapiro-Wilk W (p)": suppressed(r.n, policy)})
            continue
        order = order_shown(r.n)  # the Hodges-Lehmann estimate and bounds are order statistics: from 5 values
        rows.append({"group": name, "n": fmt.fmt_int(r.n, policy),
                     "Shapiro-Wilk W (p)": "n/a" if r.shapiro_w is None else f"{r.shapiro_w:.3f} ({fmt.fmt_pvalue(r.shapiro_p)})",
                     "Wilcoxon V": fmt.fmt_num(r.wilcoxon_v, 1), "Wilcoxon method": r.wilcoxon_method or "n/a",
                     "Hodges-Lehmann shift": fmt.fmt_num(r.hl_estimate) if order else SUPPRESSED_ORDER,
                     "its CI": fmt.fmt_ci(r.hl_ci_low, r.hl_ci_high) if order else "",
                     "note": r.note or ""})
    return pd.DataFrame(rows).fillna("")
