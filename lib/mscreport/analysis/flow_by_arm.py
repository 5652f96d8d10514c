"""The participant flow of a controlled study per arm, with each exclusion reason counted,
and the sentence a reader needs when the arms lose different shares of their patients
(CONSORT: an uneven exclusion can bias the comparison). Counts are patients (rows of a wide
file, patients of a long one); shares in %."""

from __future__ import annotations

import pandas as pd

from mscreport.display.fmt import fmt_num, md_name

UNEVEN_SHARE = 0.05  # a difference of 5 % points or more between arms' exclusion shares is worth a sentence


def flow_with_reasons(flow: pd.DataFrame, cohort) -> pd.DataFrame:
    """``arm_compare.arm_flow`` with one column per exclusion reason (patients excluded for it
    in each arm), inserted after ``excluded``."""
    reasons = sorted({e.reason for e in cohort.excluded})
    out = flow.copy()
    at = list(out.columns).index("excluded") + 1
    for i, reason in enumerate(reasons):
        counts = [sum(1 for e in cohort.excluded if e.arm == a and e.reason == reason) for a in out["arm"]]
        out.insert(at + i, f"excluded: {reason}", counts)
    return out


def exclusion_shares(flow: pd.DataFrame) -> dict[str, float]:
    """Arm -> share of its rows read that were excluded (0 to 1; arms with no rows left out)."""
    return {str(a): e / r for a, e, r in zip(flow["arm"], flow["excluded"], flow["rows read"]) if r}


def uneven_exclusion_sentence(flow: pd.DataFrame) -> str:
    """A sentence when the arms' exclusion shares differ by ``UNEVEN_SHARE`` or more; "" when
    they do not (or with fewer than two arms)."""
    shares = exclusion_shares(flow)
    if len(shares) < 2 or max(shares.values()) - min(shares.values()) < UNEVEN_SHARE:
        return ""
    listed = ", ".join(f"{md_name(a)} {fmt_num(100 * s, 1)} %" for a, s in shares.items())
    return (f"**The arms lost different shares of their patients** ({listed} of the rows read were excluded). "
            "An exclusion that hits one arm more than another can bias the between-arm comparison: "
            "compare the reasons above, arm by arm.")
