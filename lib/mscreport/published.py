"""Published vs reproduced: each figure the paper prints, compared at its own rounding.

The figures and the assumptions live in ``data/published_results.yaml``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import yaml

from .paths import PUBLISHED_RESULTS


def load_published(path=PUBLISHED_RESULTS) -> dict:
    """The published figures and assumptions (as in the YAML file)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def round_sig(x: float, digits: int) -> float:
    """x rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


@dataclass(frozen=True)
class Comparison:
    quantity: str
    published: object
    reproduced: object
    agrees: bool | None
    printed: str
    check: str
    status: str
    of: str = ""


def reproduced_values(cohort, overall, strata, dose) -> dict:
    """The quantities the YAML's ``of`` fields name, computed from the analysis results."""
    f = cohort.frame
    def col(name):
        return f[name] if name in f else None
    v = {
        "n": cohort.rows_analysed,
        "baseline_min": float(f["hba1c_baseline"].min()) if len(f) else None,
        "overall.baseline_mean": overall.baseline_mean,
        "overall.followup_mean": overall.followup_mean,
        "overall.p": overall.p,
        "moderate.reduction": None if strata["moderate"].mean_change is None else -strata["moderate"].mean_change,
        "moderate.p": strata["moderate"].p,
        "severe.reduction": None if strata["severe"].mean_change is None else -strata["severe"].mean_change,
        "severe.p": strata["severe"].p,
    }
    d = col("dose_cells")
    v["dose_min"] = None if d is None or d.isna().all() else float(d.min())
    v["dose_max"] = None if d is None or d.isna().all() else float(d.max())
    s = col("msc_source")
    v["sources"] = None if s is None else ", ".join(sorted(s.dropna().unique()))
    m = col("followup_months")
    v["followup_median"] = None if m is None or m.isna().all() else float(m.median())
    v["followup_min"] = None if m is None or m.isna().all() else float(m.min())
    v["followup_max"] = None if m is None or m.isna().all() else float(m.max())
    hi = dose.high.mean_change if dose.high is not None else None
    lo = dose.low.mean_change if dose.low is not None else None
    v["high_dose_larger"] = None if hi is None or lo is None else bool(hi < lo)
    v["dose.welch_p"] = dose.welch.p if dose.welch is not None else None
    v["dose.pearson_p"] = dose.pearson.p if dose.pearson is not None else None
    sae = col("serious_adverse_event")
    v["sae_count"] = None if sae is None else int((sae == True).sum())  # noqa: E712 (object column)
    return v


def _agrees(check: str, published, reproduced) -> tuple[object, bool | None]:
    """(reproduced value at the published rounding, agreement)."""
    if reproduced is None:
        return None, None
    m = re.fullmatch(r"(round|sig)\((\d+)\)", check)
    if m:
        digits = int(m.group(2))
        shown = round(reproduced, digits) if m.group(1) == "round" else round_sig(reproduced, digits)
        if m.group(1) == "round" and digits == 0:
            shown = int(shown)
        return shown, bool(math.isclose(shown, published, rel_tol=0, abs_tol=1e-12))
    if check == "below":
        return reproduced, bool(reproduced < published)
    if check == "at_least":
        return reproduced, bool(reproduced >= published)
    if check == "not_below":
        return reproduced, bool(reproduced >= published)
    if check == "true":
        return reproduced, bool(reproduced) is bool(published)
    if check == "equal":
        return reproduced, reproduced == published
    raise ValueError(f"unknown check {check!r} in published_results.yaml")


def compare_published(cohort, overall, strata, dose, published: dict | None = None) -> list[Comparison]:
    """Each published figure with its reproduced value and whether they agree."""
    published = published or load_published()
    values = reproduced_values(cohort, overall, strata, dose)
    alpha = cohort.params["alpha"]
    out = []
    for fig in published["figures"]:
        target = fig["value"]
        if fig["check"] == "not_below":
            target = alpha
        shown, ok = _agrees(fig["check"], target, values[fig["of"]])
        out.append(Comparison(fig["quantity"], fig["value"], shown, ok, fig["printed"], fig["check"], fig["status"], fig["of"]))
    return out


def format_comparison(comparisons, cohort):
    """The published-vs-reproduced table for display. A stratum's reproduced mean is
    suppressed when the stratum has n < 3 (it would show a patient's change)."""
    import pandas as pd

    from .display import SUPPRESSED, fmt_value, too_small

    sizes = cohort.frame["stratum"].value_counts()
    rows = []
    for c in comparisons:
        stratum = c.of.split(".")[0]
        hidden = stratum in ("moderate", "severe") and c.of.endswith("reduction") and too_small(int(sizes.get(stratum, 0)))
        rows.append({"figure": c.quantity, "published": c.printed, "reproduced": SUPPRESSED if hidden else fmt_value(c.reproduced),
                     "agrees": {True: "yes", False: "NO", None: "not computable"}[c.agrees]})
    return pd.DataFrame(rows)
