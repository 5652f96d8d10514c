"""results.json, assembled from the chapters' records in the layout of the contract (interface.md).

Numbers are plain floats at full precision; what cannot be computed is None (JSON null).
The chapters compute the blocks (``blocks``) and record them; the build merges the records
here. ``blocks.compute_results`` does it in one call (tests, the API).
"""

from __future__ import annotations

import json

from mscreport.core.jsondata import jsonable

# The build process only assembles the chapters' records (``assemble_results``, ``dumps``):
# this module imports no analysis (the blocks are computed in the kernels: ``blocks``).

TOP_KEYS = ("data", "params", "overall", "strata", "dose", "published_comparison",
            # interface.md "Every number the report shows", then this project's additions
            "normality", "hodges_lehmann", "target", "safety", "durability", "source", "adjusted_dose", "holm",
            "rtm", "sample_size", "threshold_sensitivity", "table1",
            "attrition", "change_by_followup", "oldham", "reconstruction", "strata_counts", "arms", "longitudinal",
            "disclosure", "strata_comparison", "simulations", "sign_test", "ancova_sample_size", "post_baseline_slope")


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


def dumps(results: dict) -> str:
    """results.json text: full precision, keys in a stable order."""
    return json.dumps(jsonable(results), indent=2, allow_nan=False) + "\n"
