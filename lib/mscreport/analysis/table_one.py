"""Table 1: the cohort described overall, by stratum and, in a controlled study, by arm (CONSORT
item 15; groups ``arm: NAME``). Tidy numbers first (``describe_cohort``), formatted at display
(``format_table_one``, ``format_table_one_by_arm``).

tableone is not used: it cannot show HbA1c in both units in one cell, and its formatted
strings would have to be parsed back for results; this module is ~80 lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mscreport.display import fmt
from mscreport.core.dictionary import COLUMNS
from mscreport.core.disclosure import SUPPRESSED_ORDER, current_policy, extremes_shown, hidden_parts, order_shown, solve_arms, suppressed, too_few
from mscreport.core.disclosure import hidden_arms
from mscreport.core.groups import STRATA, list_arms, ordered_arms, shown_strata
from mscreport.display.figures import flow_diagram

NUMERIC_OPTIONAL = [c.name for c in COLUMNS if c.requirement == "optional" and c.kind == "number"]
CATEGORY_OPTIONAL = [c.name for c in COLUMNS if c.requirement == "optional" and c.kind in ("category", "yesno")]


ARM_GROUP = "arm: "  # Table 1's group of an arm: "arm: placebo"


def _groups(cohort, columns: list[str]):
    """(group, rows) for overall, each stratum and, with two or more arms, each arm (group
    ``arm: NAME``, the reference first), with only ``columns`` (a group's rows are a copy: at
    1e7 patients every column copied costs 80 MB and a tenth of a second)."""
    f = cohort.frame[columns]
    out = [("overall", f), *((name, f[cohort.stratum_mask(name)]) for name in shown_strata(cohort.frame["stratum"]))]
    if "arm" in cohort.frame and len(list_arms(cohort.frame)) >= 2:
        arm = cohort.frame["arm"].astype(str)
        out += [(ARM_GROUP + a, f[(arm == a).to_numpy()]) for a in ordered_arms(cohort)[1]]
    return out


def _label(value) -> str:
    """A category level as shown: yes/no for the booleans of a yes/no column."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else str(value)


def describe_cohort(cohort) -> pd.DataFrame:
    """Tidy Table 1: one row per (variable, level, group) with numeric summaries (computed once
    per cohort: chapter 1 shows it and records it)."""
    return cohort.once("describe_cohort", lambda: _describe_cohort(cohort))


def _describe_cohort(cohort) -> pd.DataFrame:
    numeric = [c for c in ["dose_cells", "followup_months"] + NUMERIC_OPTIONAL if cohort.has(c)]
    categories = [c for c in ["msc_source"] + CATEGORY_OPTIONAL if cohort.has(c)]
    rows = []
    for group, g in _groups(cohort, ["hba1c_baseline", *numeric, *categories]):
        n = len(g)
        rows.append({"variable": "patients", "level": "", "group": group, "n": n, "denominator": n})
        rows.append({"variable": "hba1c_baseline", "level": "", "group": group, "n": n, "denominator": n,
                     "mean": g["hba1c_baseline"].mean() if n else np.nan, "sd": g["hba1c_baseline"].std() if n > 1 else np.nan})
        for col in numeric:
            v = g[col].dropna()
            q1, q3 = v.quantile([0.25, 0.75]).to_numpy() if len(v) else (np.nan, np.nan)  # one partial sort for both
            rows.append({"variable": col, "level": "", "group": group, "n": len(v), "denominator": n,
                         "missing": n - len(v), "mean": v.mean() if len(v) else np.nan,
                         "sd": v.std() if len(v) > 1 else np.nan,
                         "median": v.median() if len(v) else np.nan, "q1": q1,
                         "q3": q3, "min": v.min() if len(v) else np.nan,
                         "max": v.max() if len(v) else np.nan})
        for col in categories:
            v = g[col]
            missing = v.isna()
            known = v[~missing]
            raw = known.value_counts()  # labelled per distinct value, not per patient
            raw = raw[raw > 0]  # a categorical's levels absent from this group are no row
            labels = pd.Series(raw.to_numpy(), index=[_label(x) for x in raw.index], dtype="int64")
            for level, count in labels.groupby(level=0, sort=True).sum().items():
                rows.append({"variable": col, "level": level, "group": group, "n": int(count), "denominator": n,
                             "percent": 100 * count / n if n else np.nan})
            rows.append({"variable": col, "level": "missing", "group": group, "n": int(missing.sum()), "denominator": n,
                         "percent": 100 * missing.sum() / n if n else np.nan})
    table = pd.DataFrame(rows)

    # a controlled study's crossed split (arm x stratum) may hide a pooled stratum (not a results.json key)
    table.attrs["hidden_by_arms"] = solve_arms(cohort.frame)["stratum"][0]
    table.attrs["hidden_arms"] = frozenset(ARM_GROUP + a for a in hidden_arms(cohort.frame))
    return table


def hidden_cells(block: pd.DataFrame, count: str = "n") -> frozenset[str]:
    """The groups ('overall', 'moderate', 'severe') of one Table 1 row whose summary is hidden:
    each cell counts its own non-missing values, and the strata partition the overall column
    (``disclosure.hidden_parts``: a stratum's summary must not follow from overall minus the other)."""
    n = {g: int(k) for g, k in zip(block["group"], block[count])}
    hidden = set(hidden_parts(n.get("overall", 0), {g: n.get(g, 0) for g in STRATA}))
    if too_few(n.get("overall", 0)):
        hidden.add("overall")
    return frozenset(hidden)


def row_label(variable: str, level: str, categorical: bool) -> str:
    """The first column of a Table 1 row: what the row is and how it is summarised."""
    if categorical or variable == "patients":
        return variable if not level else f"{variable}: {level}"
    if variable == "hba1c_baseline":
        return "baseline HbA1c, mean (SD)"
    extremes = "" if current_policy().strict else "; range"  # strict disclosure: no minimum or maximum
    if variable == "dose_cells":
        return f"dose (cells), median [IQR]{extremes}"
    return f"{variable.replace('_', ' ')}, median [IQR]{extremes}"


def _num(variable: str, v) -> str:
    return fmt.fmt_cells(v) if variable == "dose_cells" else fmt.fmt_num(v, 1)


def _cell(variable: str, r, categorical: bool, hidden: frozenset) -> str:
    """One formatted Table 1 cell (``r``: a tidy row) of a group not in ``hidden``, else why not
    (counts as the disclosure rule shows them: ``fmt.fmt_int``; strict: no minimum or maximum)."""
    missing = f"missing {fmt.fmt_int(r.get('missing'))}/{fmt.fmt_int(r['denominator'])}" if "missing" in r else ""
    if variable == "patients":
        return fmt.fmt_int(r["n"])
    if r["group"] in hidden:
        return suppressed(r["denominator" if categorical else "n"])
    if variable == "hba1c_baseline":
        return f"{fmt.fmt_hba1c(r['mean'])}, SD {fmt.fmt_num(r['sd'])}"
    if "median" in r and pd.notna(r.get("median")) and not order_shown(r["n"]):
        return f"{SUPPRESSED_ORDER}; {missing}"  # order statistics from 5 values
    if "median" in r and pd.notna(r.get("median")) and not extremes_shown(r["n"]):  # strict: no minimum or maximum
        return f"{_num(variable, r['median'])} [{_num(variable, r['q1'])}, {_num(variable, r['q3'])}]; {missing}"
    if "median" in r and current_policy().strict:  # no median at all (an empty group): no range either
        return f"{fmt.NA}; {missing}"
    if variable == "dose_cells":
        return (f"{fmt.fmt_cells(r['median'])} [{fmt.fmt_cells(r['q1'])}, {fmt.fmt_cells(r['q3'])}]; "
                f"range {fmt.fmt_cells(r['min'])}-{fmt.fmt_cells(r['max'])}; {missing}")
    if "median" in r and pd.notna(r.get("median")):
        return (f"{fmt.fmt_num(r['median'], 1)} [{fmt.fmt_num(r['q1'], 1)}, {fmt.fmt_num(r['q3'], 1)}]; "
                f"range {fmt.fmt_num(r['min'], 1)}-{fmt.fmt_num(r['max'], 1)}; {missing}")
    if "percent" in r and pd.notna(r.get("percent")):
        return f"{fmt.fmt_int(r['n'])} ({fmt.fmt_share(r['n'], r['denominator'], r['percent'])})"
    return f"0/{fmt.fmt_int(r['denominator'])}" if r["denominator"] == 0 else fmt.NA


def _format(tidy: pd.DataFrame, groups: list[str], hidden_of) -> pd.DataFrame:
    """Table 1 for display over ``groups`` (columns, in order); ``hidden_of(block, categorical)``:
    the groups of one variable's rows whose summaries are hidden."""
    out = {}
    tidy = tidy[tidy["group"].isin(groups)]
    for (variable, level), block in tidy.groupby(["variable", "level"], sort=False):
        categorical = "percent" in block and block["percent"].notna().any()
        hidden = hidden_of(block, categorical) if variable != "patients" else frozenset()
        out[row_label(variable, level, categorical)] = {r["group"]: _cell(variable, r, categorical, hidden)
                                                        for _, r in block.iterrows()}
    table = pd.DataFrame(out).T.fillna("0")
    table.index.name = "characteristic"
    return table[[c for c in groups if c in table.columns]]


def format_table_one(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table 1 for display: rows = characteristics, columns = overall / moderate / severe.
    Summaries from fewer than 3 values, and those they could be recovered from, are suppressed."""
    def hidden_of(block, categorical):
        # a summary counts its non-missing values; a category count, its group's patients
        return hidden_cells(block, "denominator" if categorical else "n") | tidy.attrs.get("hidden_by_arms", frozenset())

    return _format(tidy, ["overall", *STRATA], hidden_of)


def format_table_one_by_arm(tidy: pd.DataFrame) -> pd.DataFrame | None:
    """Table 1 by arm for display: rows = characteristics, columns = overall and each arm
    (``arm: NAME``); None without arm groups. The arms partition the overall column: an arm's
    summary is hidden when it has fewer than 3 values, when it would give such an arm back
    (``disclosure.hidden_parts``), or when the disclosure rule hides the arm on every page."""
    arms = [g for g in dict.fromkeys(tidy["group"]) if str(g).startswith(ARM_GROUP)]
    if not arms:
        return None

    def hidden_of(block, categorical):
        n = {g: int(k) for g, k in zip(block["group"], block["denominator" if categorical else "n"])}
        hidden = set(hidden_parts(n.get("overall", 0), {a: n.get(a, 0) for a in arms}))
        if too_few(n.get("overall", 0)):
            hidden.add("overall")
        return frozenset(hidden) | tidy.attrs.get("hidden_arms", frozenset())

    table = _format(tidy, ["overall", *arms], hidden_of)
    return table.rename(columns=lambda c: c[len(ARM_GROUP):] if c.startswith(ARM_GROUP) else c)


def show_table_one_by_arm(ch) -> None:
    """Chapter 1: Table 1 by arm of a controlled study (nothing with fewer than two arms)."""
    table = format_table_one_by_arm(describe_cohort(ch.cohort))
    ch.table(table, "Patient characteristics at baseline overall and by arm (the randomised groups; "
                    "differences between arms here are chance, or a sign that randomisation failed)", index=True)


# ---------------------------------------------------------------- chapter 1's flow and prose
def strata_counts(cohort) -> dict[str, int]:
    """Analysed patients per stratum (moderate and severe with zeros included; below when present)."""
    counts = cohort.frame["stratum"].value_counts()
    return {s: int(counts.get(s, 0)) for s in shown_strata(cohort.frame["stratum"])}


def flow_figure(cohort):
    """The participant-flow diagram: rows read, excluded by reason, analysed, per stratum."""
    flow = cohort.exclusion_counts()
    return flow_diagram(cohort.rows_read, list(flow.itertuples(index=False, name=None)), strata_counts(cohort))


def flow_alt(cohort) -> str:
    """The flow diagram's alt text (counts only)."""
    n = strata_counts(cohort)
    return (f"Flow diagram: {fmt.fmt_int(cohort.rows_read)} rows read, {fmt.fmt_int(len(cohort.excluded))} excluded, {fmt.fmt_int(cohort.rows_analysed)} analysed, "
            f"{n['moderate']} moderate and {n['severe']} severe.")


def flow_sentence(cohort) -> str:
    """Rows read = analysed + excluded, in words (a long file: its patients, from its measurement rows)."""
    long = cohort.longitudinal
    if current_policy().strict:  # rounded counts need not add up: no sum is written
        rows = f"The file's **{fmt.fmt_int(long.rows_read)}** rows (measurements) are " if long is not None else "Of "
        return (f"{rows}**{fmt.fmt_int(cohort.rows_read)}** {'patients' if long is not None else 'rows read'}, "
                f"**{fmt.fmt_int(cohort.rows_analysed)}** are analysed and **{fmt.fmt_int(len(cohort.excluded))}** excluded "
                "(strict disclosure: counts rounded to the nearest 5, 1 to 7 shown as \u2264 7).")
    if long is not None:
        return (f"The file's **{long.rows_read}** rows (measurements) are **{cohort.rows_read}** patients: "
                f"**{cohort.rows_analysed}** are analysed and **{len(cohort.excluded)}** excluded; "
                f"{cohort.rows_read} = {cohort.rows_analysed} + {len(cohort.excluded)}.")
    return (f"Of **{fmt.fmt_int(cohort.rows_read)}** rows read, **{fmt.fmt_int(cohort.rows_analysed)}** are analysed and "
            f"**{len(cohort.excluded)}** excluded; {cohort.rows_read} = {cohort.rows_analysed} + {len(cohort.excluded)}.")


def exclusion_table(cohort) -> pd.DataFrame:
    """Excluded rows counted by reason, for display (empty when nothing is excluded)."""
    return cohort.exclusion_counts().rename(columns={"n": "patients"})


def columns_sentence(cohort) -> str:
    """Which study columns are absent (and what follows), and which optional cells were unreadable."""
    absent = [c for c in ("dose_cells", "msc_source", "followup_months") if not cohort.has(c)]
    if absent:
        dose_gone = not cohort.has("dose_cells") and not cohort.has("msc_source")
        text = ("**Columns of the paper's design not in this file:** " + ", ".join(f"`{c}`" for c in absent) + ". "
                + ("The dose chapter is left out of this report; " if dose_gone else "")
                + "the other analyses that need them say so where they would stand.")
    else:
        text = "All study columns (`dose_cells`, `msc_source`, `followup_months`) are present."
    counts = cohort.note_counts()
    if counts:
        text += ("\n\n**Optional columns with unreadable values, treated as missing:** "
                 + ", ".join(f"`{col}` ({k} cell{'s' if k > 1 else ''})" for col, k in counts.items())
                 + ". `mscreport validate` lists them by row.")
    return text
