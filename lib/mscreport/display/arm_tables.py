"""The between-arm table of a controlled study, from the ``arms`` block of results.json: shown
in chapter 3 and leading the index's key findings (the build process renders the index, so
this module needs no analysis)."""

from __future__ import annotations

import pandas as pd

from mscreport.core.disclosure import Policy, current_policy, solve_arms_block, suppressed
from mscreport.core.groups import is_controlled
from mscreport.display import fmt
from mscreport.display.trial_primary import key_findings_primary


def hidden_arms_of(block: dict | None) -> frozenset[str]:
    """Arms of an ``arms`` block (results.json layout) whose summaries pages hide: the arms
    partition the pooled cohort, which pages show, and the crossed splits by stratum and dose
    group may hide more (``disclosure.solve_arms_block``)."""
    return solve_arms_block(block)["arms"]


def comparisons_frame(block: dict | None, alpha: float = 0.05, policy: Policy | None = None) -> pd.DataFrame:
    """The between-arm table from an ``arms`` block (results.json layout): per non-reference
    arm the ANCOVA difference in follow-up (CI, p), with the Welch difference in change and
    the Mann-Whitney test beside it. A comparison with an arm under 3 patients, or an arm the
    disclosure rule hides (``hidden_arms_of``), is suppressed, with its true reason; ``policy``:
    the disclosure rule (default: the chapter's mode)."""
    policy = policy or current_policy()
    level = f"{1 - alpha:.0%} CI"
    rows = []
    hidden = hidden_arms_of(block)
    for c in (block or {}).get("comparisons", []):
        a, w, m = c["ancova"], c["welch_change"], c["mann_whitney"]
        row = {"comparison": f"{c['arm']} vs {c['reference']}",
               "n": f"{fmt.fmt_int(c['n_arm'], policy)} vs {fmt.fmt_int(c['n_reference'], policy)}"}
        if policy.too_few(c["n_arm"]) or policy.too_few(c["n_reference"]) or {c["arm"], c["reference"]} & hidden:
            smallest = min(c["n_arm"] or 0, c["n_reference"] or 0)
            rows.append({**row, "ANCOVA: difference in follow-up at equal baseline": suppressed(smallest, policy)})
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
    block = results.get("arms")
    if not is_controlled(block):
        return ""
    alpha = (results.get("params") or {}).get("alpha", 0.05)
    primary = key_findings_primary(results, hidden_arms_of(block))  # a long file's MMRM, when there is one
    return primary + fmt.html_table(comparisons_frame(block, alpha, Policy.of(results.get("params"))),
                          f"Between-arm effect on HbA1c, each arm vs the reference arm {block['reference']!r} "
                          "(ANCOVA of follow-up on baseline and arm; negative = lower HbA1c in the arm)", number)
