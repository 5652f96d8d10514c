"""results.json: the interface.md layout, assembled from the analysis results.

Numbers are plain floats at full precision; what cannot be computed is None (JSON null).
The chapters compute these same blocks through the same functions and record them; the
build merges the records (``merge_records``). ``compute_results`` does it in one call
(tests, ``mscreport synth`` checks).
"""

from __future__ import annotations

import json

from .jsondata import jsonable
from .strata import STRATA

# The analyses (scipy, statsmodels) are imported where they run: the build process only
# assembles the chapters' records (``assemble_results``, ``dumps``) and need not import them.

TOP_KEYS = ("data", "params", "overall", "strata", "dose", "published_comparison",
            # interface.md "Every number the report shows", then this project's additions
            "normality", "hodges_lehmann", "target", "safety", "durability", "source", "adjusted_dose", "holm",
            "rtm", "sample_size", "threshold_sensitivity", "table1",
            "attrition", "change_by_followup", "oldham", "reconstruction", "strata_counts", "arms", "longitudinal")


def analyse_overall(cohort):
    """Paired analysis of every analysed patient (computed once per cohort and build: chapters 3, 5 and 6 use it)."""
    from .stats import paired_test

    f = cohort.frame
    return cohort.once("analyse_overall", lambda: paired_test(f["hba1c_baseline"], f["hba1c_followup"],
                                                               cohort.params["alpha"]), shared=True)


class Strata(dict):
    """{stratum: PairedResult}, with ``hidden_by_arms``: the strata a controlled study's crossed
    split (arm x stratum) hides in pages (``disclosure.solve_arms``; empty without arms)."""

    hidden_by_arms: frozenset = frozenset()


def analyse_strata(cohort) -> dict:
    """Paired analysis within each severity stratum (a ``Strata`` dict; computed once per cohort and build)."""
    return cohort.once("analyse_strata", lambda: _analyse_strata(cohort), shared=True)


def _analyse_strata(cohort) -> dict:
    from .disclosure import solve_arms
    from .stats import paired_test

    f = cohort.frame
    base, follow = f["hba1c_baseline"].to_numpy(), f["hba1c_followup"].to_numpy()
    out = Strata()
    for name in STRATA:
        rows = cohort.stratum_mask(name)  # the two columns tested, not the whole frame, selected
        out[name] = paired_test(base[rows], follow[rows], cohort.params["alpha"])
    out.hidden_by_arms = solve_arms(cohort.frame)["stratum"][0]
    return out


def strata_block(strata: dict) -> dict:
    """``strata``: the PAIRED block of each stratum."""
    return {k: v.interface() for k, v in strata.items()}


def comparison_block(comparisons) -> list[dict] | None:
    """``published_comparison``: one entry per compared figure; None when nothing was compared."""
    if comparisons is None:
        return None
    return [{"quantity": c.quantity, "published": c.published, "reproduced": c.reproduced, "agrees": c.agrees,
             "printed": c.printed, "check": c.check, "status": c.status} for c in comparisons]


def source_block(cohort) -> dict | None:
    """``source``: one-way ANOVA (R: oneway.test(change ~ msc_source, var.equal = TRUE)) and
    Kruskal-Wallis (R: kruskal.test) across MSC sources, with each source's n, mean and SD of
    change; None without msc_source or with fewer than two usable sources."""
    from .dose import compare_sources

    src = compare_sources(cohort)
    if src.anova_p is None and src.anova_f is None:
        return None
    return {"anova": {"f": src.anova_f, "df1": src.anova_df[0], "df2": src.anova_df[1], "p": src.anova_p},
            "kruskal": {"h": src.kruskal_h, "df": src.anova_df[0], "p": src.kruskal_p},
            "groups": src.groups.to_dict("records")}


def adjusted_dose_block(cohort) -> dict | None:
    """``adjusted_dose``: lm(change ~ hba1c_baseline + high_dose), high_dose's coefficient, with
    the baseline slope, R squared and the partial correlation of dose and change; None when it
    cannot be fitted."""
    from .dose import adjust_dose_for_baseline

    a = adjust_dose_for_baseline(cohort)
    if a.high_vs_low is None:
        return None
    return {"estimate": a.high_vs_low, "ci_low": a.high_vs_low_ci[0], "ci_high": a.high_vs_low_ci[1],
            "p": a.high_vs_low_p, "n": a.n, "baseline_slope": a.baseline_slope, "baseline_slope_p": a.baseline_slope_p,
            "r_squared": a.r_squared, "partial_r": a.partial_r, "partial_p": a.partial_p}


def threshold_sensitivity_block(cohort) -> list[dict]:
    """``threshold_sensitivity``: stratum sizes, mean changes and p over severe_above cut-offs."""
    from .strata import threshold_sensitivity

    return threshold_sensitivity(cohort).to_dict("records")


def strata_counts_block(cohort) -> list[dict]:
    """``strata_counts``: patients per stratum, their share of the analysed, baseline range."""
    from .strata import count_strata

    return count_strata(cohort).to_dict("records")


def table1_block(cohort) -> dict:
    """``table1``: Table 1's tidy rows (variable, level, group, n, denominator, summaries)."""
    from .describe import describe_cohort

    return {"rows": describe_cohort(cohort).to_dict("records")}


def trust_blocks(cohort, overall, strata, dose) -> dict:
    """Chapter 5's blocks: oldham, rtm, durability, holm (exactly the family adjusted), sample_size."""
    from . import trust
    from .published import derived_bounds

    alpha = cohort.params["alpha"]
    return {"oldham": trust.oldham_block(cohort), "rtm": trust.rtm_block(cohort),
            "durability": trust.durability(cohort),
            "holm": trust.holm_block(trust.subgroup_family(strata, dose)),
            "sample_size": trust.sample_size_block(overall.mean_change, overall.sd_change,
                                                   derived_bounds(alpha=alpha)["overall_sd_bound"], alpha,
                                                   cohort.params["dropout"])}


def reconstruction_block(comparisons, alpha: float, published: dict | None) -> dict | None:
    """``reconstruction``: the honest reproduction count of the comparison with ``published``
    and, when the file holds the paper's stratum figures, what they imply (derived bounds, the
    severe sizes that fit) and which numbers of a reconstruction are pinned, derived or
    assumed; None when nothing was compared."""
    from .published import derived_bounds, implies_bounds, reproduction_summary

    if published is None or comparisons is None:
        return None
    implied = derived_bounds(published, alpha) if implies_bounds(published) else {}
    return {**implied, "summary": reproduction_summary(comparisons, published), "basis": published.get("basis", [])}


def assemble_results(data_block: dict, params: dict, records: list[dict]) -> tuple[dict, dict]:
    """results.json (without provenance), assembled in this one place: the ``data`` block and
    the typed ``params`` of the validated cohort, then the chapters' records merged in
    chapter order (contract keys in the contract's order, then the rest). Returns
    (results, extras): extras are records that are not results (e.g. the index figure)."""
    merged: dict = {}
    for chapter_records in records:
        merged.update(chapter_records)
    results = {"data": dict(data_block), "params": dict(params)}
    for key in TOP_KEYS[2:]:
        results[key] = merged.get(key)
    extras = {k: v for k, v in merged.items() if k not in TOP_KEYS}
    return results, extras


def compute_results(cohort) -> dict:
    """The whole results.json content (without provenance) for a cohort."""
    from .change import analyse_change
    from .dose import analyse_dose
    from .mmrm import with_mmrm
    from .published import compare_published, published_for
    from .trajectory import analyse_trajectory, interface_block

    overall = analyse_overall(cohort)
    strata = analyse_strata(cohort)
    dose = analyse_dose(cohort)
    published = published_for(cohort)
    comparisons = compare_published(cohort, overall, strata, dose, published)
    change = analyse_change(cohort)
    trust = trust_blocks(cohort, overall, strata, dose)
    records = {
        "overall": overall.interface(),
        "strata": strata_block(strata),
        "dose": dose.interface(),
        "published_comparison": comparison_block(comparisons),
        "normality": change["normality"], "hodges_lehmann": change["hodges_lehmann"],
        "target": change["target"], "safety": change["safety"], "durability": trust["durability"],
        "source": source_block(cohort), "adjusted_dose": adjusted_dose_block(cohort), "holm": trust["holm"],
        "rtm": trust["rtm"], "sample_size": trust["sample_size"],
        "threshold_sensitivity": threshold_sensitivity_block(cohort), "table1": table1_block(cohort),
        "attrition": change["attrition"], "change_by_followup": change["change_by_followup"],
        "oldham": trust["oldham"], "reconstruction": reconstruction_block(comparisons, cohort.params["alpha"], published),
        "strata_counts": strata_counts_block(cohort),
        "arms": arms_block(cohort),
        "longitudinal": with_mmrm(cohort, interface_block(analyse_trajectory(cohort))),
    }
    return assemble_results(cohort.data_block(), cohort.params, [records])[0]


def arms_block(cohort) -> dict | None:
    """The ``arms`` block (None without an ``arm`` column)."""
    from .arms import analyse_arms
    from .trial import with_trial_analyses

    result = analyse_arms(cohort)
    return None if result is None else with_trial_analyses(cohort, result.interface())


def dumps(results: dict) -> str:
    """results.json text: full precision, keys in a stable order."""
    return json.dumps(jsonable(results), indent=2, allow_nan=False) + "\n"
