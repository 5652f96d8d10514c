"""Table 1: the cohort described overall and by stratum. Tidy numbers first
(``describe_cohort``), formatted at display (``format_table_one``).

tableone is not used: it cannot show HbA1c in both units in one cell, and its formatted
strings would have to be parsed back for results; this module is ~80 lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import display as fmt
from .dictionary import COLUMNS

NUMERIC_OPTIONAL = [c.name for c in COLUMNS if c.requirement == "optional" and c.kind == "number"]
CATEGORY_OPTIONAL = [c.name for c in COLUMNS if c.requirement == "optional" and c.kind in ("category", "yesno")]


def _groups(cohort):
    f = cohort.frame
    return [("overall", f), ("moderate", f[f["stratum"] == "moderate"]), ("severe", f[f["stratum"] == "severe"])]


def _label(value) -> str:
    """A category level as shown: yes/no for the booleans of a yes/no column."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else str(value)


def describe_cohort(cohort) -> pd.DataFrame:
    """Tidy Table 1: one row per (variable, level, group) with numeric summaries."""
    rows = []
    for group, g in _groups(cohort):
        n = len(g)
        rows.append({"variable": "patients", "level": "", "group": group, "n": n, "denominator": n})
        rows.append({"variable": "hba1c_baseline", "level": "", "group": group, "n": n, "denominator": n,
                     "mean": g["hba1c_baseline"].mean() if n else np.nan, "sd": g["hba1c_baseline"].std() if n > 1 else np.nan})
        for col in ["dose_cells", "followup_months"] + NUMERIC_OPTIONAL:
            if not cohort.has(col):
                continue
            v = g[col].dropna()
            rows.append({"variable": col, "level": "", "group": group, "n": len(v), "denominator": n,
                         "missing": n - len(v), "mean": v.mean() if len(v) else np.nan,
                         "sd": v.std() if len(v) > 1 else np.nan,
                         "median": v.median() if len(v) else np.nan, "q1": v.quantile(0.25) if len(v) else np.nan,
                         "q3": v.quantile(0.75) if len(v) else np.nan, "min": v.min() if len(v) else np.nan,
                         "max": v.max() if len(v) else np.nan})
        for col in ["msc_source"] + CATEGORY_OPTIONAL:
            if not cohort.has(col):
                continue
            v = g[col]
            known = v.dropna()
            raw = known.value_counts()  # labelled per distinct value, not per patient
            labels = pd.Series(raw.to_numpy(), index=[_label(x) for x in raw.index], dtype="int64")
            for level, count in labels.groupby(level=0, sort=True).sum().items():
                rows.append({"variable": col, "level": level, "group": group, "n": int(count), "denominator": n,
                             "percent": 100 * count / n if n else np.nan})
            rows.append({"variable": col, "level": "missing", "group": group, "n": int(v.isna().sum()), "denominator": n,
                         "percent": 100 * v.isna().sum() / n if n else np.nan})
    return pd.DataFrame(rows)


def format_table_one(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table 1 for display: rows = characteristics, columns = overall / moderate / severe."""
    out = {}
    for (variable, level), block in tidy.groupby(["variable", "level"], sort=False):
        label = variable if not level else f"{variable}: {level}"
        cells = {}
        for _, r in block.iterrows():
            if variable == "patients":
                cell = fmt.fmt_int(r["n"])
            elif fmt.too_small(r["denominator"]):
                cell = fmt.SUPPRESSED
            elif variable == "hba1c_baseline":
                cell = f"{fmt.fmt_hba1c(r['mean'])}, SD {fmt.fmt_num(r['sd'])}"
                label = "baseline HbA1c, mean (SD)"
            elif variable == "dose_cells":
                cell = (f"{fmt.fmt_cells(r['median'])} [{fmt.fmt_cells(r['q1'])}, {fmt.fmt_cells(r['q3'])}]; "
                        f"range {fmt.fmt_cells(r['min'])}-{fmt.fmt_cells(r['max'])}; missing {int(r['missing'])}/{int(r['denominator'])}")
                label = "dose (cells), median [IQR]; range"
            elif "median" in r and pd.notna(r.get("median")):
                cell = (f"{fmt.fmt_num(r['median'], 1)} [{fmt.fmt_num(r['q1'], 1)}, {fmt.fmt_num(r['q3'], 1)}]; "
                        f"range {fmt.fmt_num(r['min'], 1)}-{fmt.fmt_num(r['max'], 1)}; missing {int(r['missing'])}/{int(r['denominator'])}")
                label = f"{variable.replace('_', ' ')}, median [IQR]; range"
            elif "percent" in r and pd.notna(r.get("percent")):
                cell = f"{int(r['n'])} ({fmt.fmt_num(r['percent'], 1)} %)"
            else:
                cell = f"0/{int(r['denominator'])}" if r["denominator"] == 0 else fmt.NA
            cells[r["group"]] = cell
        out[label] = cells
    table = pd.DataFrame(out).T.fillna("0")
    table.index.name = "characteristic"
    return table[[c for c in ("overall", "moderate", "severe") if c in table.columns]]
