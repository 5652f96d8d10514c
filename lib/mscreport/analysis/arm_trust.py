"""How far to trust each arm of a controlled study (chapter 5; results.json ``arms.trust``).

Per arm: the normality of the change (R: ``shapiro.test``), serious adverse events with the
exact interval (R: ``binom.test``), the durability slope of change on years of follow-up
(R: ``lm(change ~ I(followup_months / 12))``), and for regression to the mean the arm's
baseline-follow-up correlation (R: ``cor``) and Oldham's r (R: ``cor.test(change, (b + f) / 2)``).
Each is the pooled chapter's computation on that arm's patients alone.

Regression to the mean, drift and the attention of a trial act on every arm alike: the
comparator arm's fall is what they give without the treatment, and ANCOVA, comparing the arms
at equal baseline, removes them. That is the sentence this module adds to chapter 5.
"""

from __future__ import annotations

import pandas as pd

from mscreport.analysis.change import SHAPIRO_SMALL_N, safety_block
from mscreport.analysis.paired import analyse_overall
from mscreport.analysis.trust import durability, observed_rho, oldham_block
from mscreport.core.disclosure import hidden_arm_cells, hidden_arms, hidden_strata, suppressed, too_few
from mscreport.core.groups import STRATA, arm_cohort, ordered_arms
from mscreport.display import fmt
from mscreport.display.fmt import md_name

def trust_of_arm(cohort) -> dict:
    """``arms.trust[ARM]`` for one arm's cohort (``arms.arm_cohort``)."""
    o = analyse_overall(cohort)
    old = oldham_block(cohort)
    return {"normality": {"w": o.shapiro_w, "p": o.shapiro_p, "n": o.n, "low_power": o.n < SHAPIRO_SMALL_N},
            "safety": safety_block(cohort), "durability": durability(cohort),
            "rtm": {"n": o.n, "observed_rho": observed_rho(cohort),
                    "oldham": {k: old[k] for k in ("r", "p", "ci_low", "ci_high", "n")}}}


def analyse_trust_by_arm(cohort) -> dict | None:
    """``arms.trust``: ``trust_of_arm`` for every arm (reference first); None without arms."""
    if not cohort.has("arm"):
        return None
    return {a: trust_of_arm(arm_cohort(cohort, a)) for a in ordered_arms(cohort)[1]}


def format_rtm_by_arm(cohort, by_arm: dict, groups: dict) -> pd.DataFrame:
    """Per arm: n, the baseline-follow-up correlation, Oldham's r and each stratum's mean change
    (an arm x stratum cell hidden by ``disclosure.hidden_arm_cells`` suppressed)."""
    f = cohort.frame
    arms_hidden = hidden_arms(f)
    cells = hidden_arm_cells(f, "stratum", STRATA, hidden_strata(f))
    rows = []
    for a, b in by_arm.items():
        r = b["rtm"]
        hide = a in arms_hidden or too_few(r["n"])
        row = {"arm": a, "n": fmt.fmt_int(r["n"]),
               "r (baseline, follow-up)": suppressed(r["n"]) if hide else fmt.fmt_num(r["observed_rho"]),
               "Oldham's r (p)": suppressed(r["n"]) if hide else
               f"{fmt.fmt_num(r['oldham']['r'])} ({fmt.fmt_pvalue(r['oldham']['p'])})"}
        for s in [s for s in STRATA if any(s in groups[k]["strata"] for k in groups)]:
            g = groups[a]["strata"].get(s) or {"n": 0, "mean_change": None}
            row[f"{s}: n"] = fmt.fmt_int(g["n"])
            row[f"{s}: mean change"] = (suppressed(g["n"]) if (a, s) in cells or too_few(g["n"])
                                        else fmt.fmt_change(g["mean_change"]) if g["n"] else "")
        rows.append(row)
    return pd.DataFrame(rows)


def say_rtm_by_arm(block: dict) -> str:
    """Regression to the mean in a controlled study: it acts on every arm alike; the ANCOVA
    difference against the reference arm is what remains."""
    ref = block["reference"]
    parts = []
    for c in block["comparisons"]:
        if fmt.too_small(c["n_arm"]) or fmt.too_small(c["n_reference"]):
            continue
        a = c["ancova"]
        parts.append(f"**{md_name(c['arm'])}** vs **{md_name(ref)}**: {fmt.fmt_change(a['estimate'])}, "
                     f"CI {fmt.fmt_ci(a['ci_low'], a['ci_high'])}, {fmt.fmt_p(a['p'])}")
    effect = ("The between-arm effect at equal baseline (ANCOVA, chapter 3) is " + "; ".join(parts) + "."
              if parts else "No between-arm effect can be shown here (an arm is too small).")
    return ("**Regression to the mean acts on every arm alike.** Patients enter a study with a raised HbA1c whatever "
            f"their arm, so the comparator arm (**{md_name(ref)}**) is expected to fall too, the more the higher it "
            "started, with no active treatment: such a fall is regression to the mean, drift in care and the "
            "attention of a study. None of this is a treatment effect, and none of it can be estimated within one "
            "arm. Comparing the arms removes it: ANCOVA compares follow-up HbA1c at *equal baseline*, where both "
            "arms expect the same regression to the mean, which is why it, and not the within-arm fall, is the "
            "answer. It assumes that follow-up depends on baseline alike in every arm (one common slope; chapter 3 "
            "does not test this; its arm-by-severity interaction is the nearest check) and, without random "
            "allocation, it removes only this "
            "difference between the arms, not others. " + effect)


def _per_arm_table(by_arm: dict, key: str, hidden, value: str, cells) -> pd.DataFrame | None:
    """A table with one row per arm of the ``key`` block (None when no arm has it): n, and the
    cells that ``cells(block)`` formats (None: not computed); an arm hidden by the disclosure
    rule, or under 3 patients, shows only n."""
    if all(b[key] is None for b in by_arm.values()):
        return None
    rows = []
    for a, b in by_arm.items():
        x = b[key]
        row = {"arm": a, "n": fmt.fmt_int(x["n"])}
        shown = None if a in hidden or fmt.too_small(x["n"]) else cells(x)
        rows.append({**row, **(shown or {value: suppressed(x["n"]) if a in hidden or fmt.too_small(x["n"]) else "not computed"})})
    return pd.DataFrame(rows).fillna("")


def _normality_cells(n: dict) -> dict | None:
    if n["w"] is None:
        return None
    return {"Shapiro-Wilk W (p)": f"{n['w']:.3f} ({fmt.fmt_pvalue(n['p'])})",
            "power": "low (n < 30): a large p is no evidence of normality" if n["low_power"] else "adequate"}


def format_normality_by_arm(by_arm: dict, hidden) -> pd.DataFrame | None:
    """Shapiro-Wilk on each arm's change (an arm hidden by the disclosure rule suppressed)."""
    return _per_arm_table(by_arm, "normality", hidden, "Shapiro-Wilk W (p)", _normality_cells)


def format_safety_by_arm(by_arm: dict, hidden, alpha: float) -> pd.DataFrame | None:
    """Serious adverse events per arm (n = patients with an entry) with the exact interval;
    None without the column."""
    def cells(s: dict) -> dict:
        return {"events": fmt.fmt_int(s["events"]), "proportion": fmt.fmt_percent(s["proportion"]),
                f"exact {1 - alpha:.0%} CI": fmt.fmt_percent_ci(s["ci_low"], s["ci_high"]),
                "no entry": fmt.fmt_int(s["not_recorded"])}
    return _per_arm_table(by_arm, "safety", hidden, "events", cells)


def format_durability_by_arm(by_arm: dict, hidden, alpha: float) -> pd.DataFrame | None:
    """The durability slope per arm (% points per year of follow-up); None without follow-up time."""
    def cells(d: dict) -> dict | None:
        if d["slope_per_year"] is None:
            return None
        return {"slope per year (% points)": fmt.fmt_change(d["slope_per_year"]),
                f"{1 - alpha:.0%} CI": fmt.fmt_ci(d["ci_low"], d["ci_high"]), "p": fmt.fmt_pvalue(d["p"]),
                "Pearson r": fmt.fmt_num(d["pearson"]["r"])}
    return _per_arm_table(by_arm, "durability", hidden, "slope per year (% points)", cells)


