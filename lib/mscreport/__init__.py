"""mscreport: a literate, reproducible report of HbA1c change from baseline to follow-up.

The computation lives here, once; the chapter notebooks are prose and figures around one-line
calls into this package. The same functions are the Python API (names in ``__all__``,
imported on first use so that ``import mscreport`` stays light)::

    import mscreport

    cohort = mscreport.load_cohort("my_cohort.csv", mscreport.resolve_params(overrides=["severe_above=8.5"]))
    overall = mscreport.analyse_overall(cohort)          # a PairedResult
    overall.to_frame("all")                               # tidy: analysis, group, statistic, value
    results = mscreport.compute_results(cohort)          # the results.json layout, as a dict

Loading: ``load_cohort`` (a file, or a pandas DataFrame validated the same way; raises
``InputError`` listing every problem),
``resolve_params``, ``DEFAULTS``, ``DEFAULT_COHORT`` (the bundled synthetic cohort),
``make_cohort`` (the reconstructed cohort), ``is_bundled_cohort``.
Analyses: ``analyse_overall``, ``analyse_strata``, ``analyse_dose``, ``compare_sources``,
``adjust_dose_for_baseline``, ``threshold_sensitivity``, ``describe_cohort``,
``compare_published`` (with ``published_for``: the figures a cohort is compared with),
``compute_results``; and the tests themselves: ``paired_test``, ``welch_test``,
``mann_whitney``, ``pearson``, ``spearman``, ``kruskal_wallis``, ``mcnemar``, ``holm``,
``signed_rank_test``, ``shapiro_wilk``.
Results: frozen dataclasses with ``to_frame()`` (``to_frame(result)`` too; ``analyse_strata``'s
dict and ``compute_results``'s too); ``build_report`` writes the whole report (as ``mscreport
build``; returns the exit code); ``results_schema()`` is the JSON Schema of results.json.

Conventions used everywhere:

* change = follow-up - baseline, so a fall in HbA1c is negative;
* every HbA1c quantity is held in NGSP % (input in mmol/mol is converted on load);
* all tests are two-sided; confidence intervals are at 1 - alpha;
* a statistic that cannot be computed is None (null in results.json), never a made-up value.
"""

from __future__ import annotations

import importlib

from .core.version import __version__

# public name -> module that defines it (imported on first access: PEP 562)
_API = {
    # loading and parameters
    "load_cohort": "inputs.cohort", "Cohort": "inputs.cohort", "resolve_params": "inputs.params", "describe_parameters": "inputs.params",
    "DEFAULTS": "inputs.params", "PARAMETERS": "inputs.params", "DEFAULT_COHORT": "core.paths", "is_bundled_cohort": "core.paths",
    "make_cohort": "analysis.reconstruction", "InputError": "core.errors", "Problem": "core.errors",
    # analyses of a cohort
    "analyse_overall": "analysis.paired", "analyse_strata": "analysis.paired", "compute_results": "report.blocks",
    "analyse_dose": "analysis.dose", "compare_sources": "analysis.dose", "adjust_dose_for_baseline": "analysis.dose",
    "threshold_sensitivity": "analysis.strata", "describe_cohort": "analysis.table_one", "compare_published": "analysis.published",
    "load_published": "analysis.published", "published_for": "analysis.published",
    # the tests, on arrays
    "paired_test": "methods.stats", "welch_test": "methods.stats", "mann_whitney": "methods.stats", "pearson": "methods.stats",
    "spearman": "methods.stats", "kruskal_wallis": "methods.stats", "mcnemar": "methods.stats", "holm": "methods.stats",
    "signed_rank_test": "methods.stats", "shapiro_wilk": "methods.stats",
    # result types and tidy frames
    "PairedResult": "methods.stats", "WelchResult": "methods.stats", "MannWhitneyResult": "methods.stats", "PearsonResult": "methods.stats",
    "SpearmanResult": "methods.stats", "DoseResult": "analysis.dose", "to_frame": "methods.tidy",
    # units
    "ifcc_to_ngsp": "core.units", "ngsp_to_ifcc": "core.units",
    # the whole report, and the schema of its results.json
    "build_report": "pipeline.build:build", "results_schema": "core.schema",
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
