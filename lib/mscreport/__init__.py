"""mscreport: a literate, reproducible report of HbA1c change from baseline to follow-up.

The computation lives here, once; the chapter notebooks are prose and figures around one-line
calls into this package. The same functions are the Python API (names in ``__all__``,
imported on first use so that ``import mscreport`` stays light)::

    import mscreport

    cohort = mscreport.load_cohort("my_cohort.csv", mscreport.resolve_params(overrides=["severe_above=8.5"]))
    overall = mscreport.analyse_overall(cohort)          # a PairedResult
    overall.to_frame("all")                               # tidy: analysis, group, statistic, value
    results = mscreport.compute_results(cohort)          # the results.json layout, as a dict

Loading: ``load_cohort`` (validates; raises ``InputError`` listing every problem),
``resolve_params``, ``DEFAULTS``, ``DEFAULT_COHORT`` (the bundled synthetic cohort),
``make_cohort`` (the reconstructed cohort), ``is_bundled_cohort``.
Analyses: ``analyse_overall``, ``analyse_strata``, ``analyse_dose``, ``compare_sources``,
``adjust_dose_for_baseline``, ``threshold_sensitivity``, ``describe_cohort``,
``compare_published`` (with ``published_for``: the figures a cohort is compared with),
``compute_results``; and the tests themselves: ``paired_test``, ``welch_test``,
``mann_whitney``, ``pearson``, ``spearman``, ``kruskal_wallis``, ``mcnemar``, ``holm``,
``signed_rank_test``, ``shapiro_wilk``.
Results: frozen dataclasses with ``to_frame()`` (``to_frame(result)`` too); ``build_report``
writes the whole report (as ``mscreport build``; returns the exit code).

Conventions used everywhere:

* change = follow-up - baseline, so a fall in HbA1c is negative;
* every HbA1c quantity is held in NGSP % (input in mmol/mol is converted on load);
* all tests are two-sided; confidence intervals are at 1 - alpha;
* a statistic that cannot be computed is None (null in results.json), never a made-up value.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access: PEP 562)
_API = {
    # loading and parameters
    "load_cohort": "cohort", "Cohort": "cohort", "resolve_params": "params", "describe_parameters": "params",
    "DEFAULTS": "params", "PARAMETERS": "params", "DEFAULT_COHORT": "paths", "is_bundled_cohort": "paths",
    "make_cohort": "synth", "InputError": "errors", "Problem": "errors",
    # analyses of a cohort
    "analyse_overall": "results", "analyse_strata": "results", "compute_results": "results",
    "analyse_dose": "dose", "compare_sources": "dose", "adjust_dose_for_baseline": "dose",
    "threshold_sensitivity": "strata", "describe_cohort": "describe", "compare_published": "published",
    "load_published": "published", "published_for": "published",
    # the tests, on arrays
    "paired_test": "stats", "welch_test": "stats", "mann_whitney": "stats", "pearson": "stats",
    "spearman": "stats", "kruskal_wallis": "stats", "mcnemar": "stats", "holm": "stats",
    "signed_rank_test": "stats", "shapiro_wilk": "stats",
    # result types and tidy frames
    "PairedResult": "stats", "WelchResult": "stats", "MannWhitneyResult": "stats", "PearsonResult": "stats",
    "SpearmanResult": "stats", "DoseResult": "dose", "to_frame": "tidy",
    # units
    "ifcc_to_ngsp": "units", "ngsp_to_ifcc": "units",
    # the whole report
    "build_report": "build:build",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    where = _API.get(name)
    if where is None:
        raise AttributeError(f"module 'mscreport' has no attribute {name!r}")
    module, _, attribute = where.partition(":")  # "module" or "module:attribute"
    value = getattr(importlib.import_module(f".{module}", __name__), attribute or name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
