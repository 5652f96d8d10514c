"""The blocks of results.json, each computed from its analysis (in the chapters' kernels).

A chapter records each block it computes (``Chapter.record``); ``results.assemble_results``
merges the records. ``compute_results`` computes every block in one call (tests, the API,
``mscreport synth`` checks). Numbers are plain floats at full precision; what cannot be
computed is None (JSON null).
"""

from __future__ import annotations

from mscreport.analysis import teaching_numbers, trust
from mscreport.analysis.arm_compare import arms_block
from mscreport.analysis.change import analyse_change
from mscreport.analysis.mmrm import with_mmrm
from mscreport.analysis.dose import adjusted_dose_block, analyse_dose, compare_sources
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.published import (compare_published, derived_bounds, implies_bounds, published_for,
                                          reproduction_summary)
from mscreport.analysis.published_arm import compared_on
from mscreport.analysis.strata import count_strata, threshold_sensitivity
from mscreport.analysis.strata_compare import compare_strata
from mscreport.analysis.simulations import simulations_block
from mscreport.analysis.table_one import describe_cohort
from mscreport.analysis.trajectory import analyse_trajectory, interface_block
from mscreport.core.disclosure import solve_splits
from mscreport.display import figures
from mscreport.report.results import assemble_results


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
    src = compare_sources(cohort)
    if src.anova_p is None and src.anova_f is None:
        return None
    return {"anova": {"f": src.anova_f, "df1": src.anova_df[0], "df2": src.anova_df[1], "p": src.anova_p},
            "kruskal": {"h": src.kruskal_h, "df": src.anova_df[0], "p": src.kruskal_p},
            "groups": src.groups.to_dict("records")}


def threshold_sensitivity_block(cohort) -> list[dict]:
    """``threshold_sensitivity``: stratum sizes, mean changes and p over severe_above cut-offs."""
    return threshold_sensitivity(cohort).to_dict("records")


def strata_counts_block(cohort) -> list[dict]:
    """``strata_counts``: patients per stratum, their share of the analysed, baseline range."""
    return count_strata(cohort).to_dict("records")


def disclosure_block(cohort) -> dict:
    """``disclosure``: the mode and the groups pages hide, solved over every split and crossing
    (``disclosure.solve_splits``), so pages made from results.json (the index) hide the same."""
    solved = solve_splits(cohort.frame)
    return {"mode": cohort.params.get("disclosure", "standard"),
            "hidden_on_pages": {"strata": sorted(solved["stratum"]), "dose_groups": sorted(solved["dose_group"]),
                                "sources": sorted(solved["msc_source"]), "arms": sorted(solved["arms"])}}


def table1_block(cohort) -> dict:
    """``table1``: Table 1's tidy rows (variable, level, group, n, denominator, summaries)."""
    return {"rows": describe_cohort(cohort).to_dict("records")}


def trust_blocks(cohort, overall, strata, dose) -> dict:
    """Chapter 5's blocks: oldham, rtm, durability, holm (exactly the family adjusted), sample_size."""
    alpha = cohort.params["alpha"]
    return {"oldham": trust.oldham_block(cohort), "rtm": trust.rtm_block(cohort),
            "durability": trust.durability(cohort),
            "holm": trust.holm_block(trust.subgroup_family(strata, dose)),
            "sample_size": trust.sample_size_block(overall.mean_change, overall.sd_change,
                                                   # the paper's SD bound only for its reconstruction
                                                   derived_bounds(alpha=alpha)["overall_sd_bound"] if cohort.reconstruction
                                                   else None, alpha,
                                                   cohort.params["dropout"])}


def reconstruction_block(comparisons, alpha: float, published: dict | None, compared_on: dict | None = None) -> dict | None:
    """``reconstruction``: the honest reproduction count of the comparison with ``published``
    and, when the file holds the paper's stratum figures, what they imply (derived bounds, the
    severe sizes that fit) and which numbers of a reconstruction are pinned, derived or
    assumed; None when nothing was compared. ``compared_on``: the one arm compared
    (``published_arm.compared_on``; the summary's ``compared_on``), None for every patient."""
    if published is None or comparisons is None:
        return None
    implied = derived_bounds(published, alpha) if implies_bounds(published) else {}
    return {**implied, "summary": reproduction_summary(comparisons, published, compared_on),
            "basis": published.get("basis", [])}


HEADLINE_FIGURE = ("HbA1c at baseline and last follow-up by severity stratum (from the change chapter).",
                   "Before-after lines of HbA1c for the moderate and severe strata.")  # caption, alt text


def headline_figure(cohort, policy) -> dict:
    """The index page's figure (recorded by the change chapter as ``headline_figure``):
    baseline and follow-up HbA1c by stratum under the pages' disclosure ``policy``."""
    fig = figures.paired_plot(cohort.frame, cohort.params["aggregate_above"], policy=policy)
    return figures.figure_record(fig, *HEADLINE_FIGURE)


def compute_results(cohort) -> dict:
    """The whole results.json content (without provenance) for a cohort."""
    return assemble_results(cohort.data_block(), cohort.resolved_params, [compute_records(cohort)])[0]


def compute_records(cohort) -> dict:
    """Every result record the chapters hand to results.json (``Chapter.record``), computed
    in one call: what ``compute_results`` assembles and the live preview's index is written
    from before the chapters have run (``pipeline.preview``)."""
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
        "oldham": trust["oldham"], "reconstruction": reconstruction_block(comparisons, cohort.params["alpha"], published, compared_on(cohort)),
        "strata_counts": strata_counts_block(cohort),
        "arms": arms_block(cohort),
        "longitudinal": with_mmrm(cohort, interface_block(analyse_trajectory(cohort))),
        "disclosure": disclosure_block(cohort),
        "strata_comparison": compare_strata(cohort),
        "simulations": simulations_block(cohort.params),
        "sign_test": teaching_numbers.sign_test_block(cohort),
        "ancova_sample_size": teaching_numbers.ancova_size_block(cohort),
        "post_baseline_slope": teaching_numbers.post_baseline_block(cohort),
    }
    return records

