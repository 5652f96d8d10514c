"""results.json: the interface.md layout, assembled from the analysis results.

Numbers are plain floats at full precision; what cannot be computed is None (JSON null).
The chapters compute these same blocks through the same functions and record them; the
build merges the records (``merge_records``). ``compute_results`` does it in one call
(tests, ``mscreport synth`` checks).
"""

from __future__ import annotations

import json
import math

from .dose import analyse_dose
from .published import compare_published
from .stats import paired_test
from .strata import STRATA

TOP_KEYS = ("data", "params", "overall", "strata", "dose", "published_comparison")


def analyse_overall(cohort):
    """Paired analysis of every analysed patient."""
    f = cohort.frame
    return paired_test(f["hba1c_baseline"], f["hba1c_followup"], cohort.params["alpha"])


def analyse_strata(cohort) -> dict:
    """Paired analysis within each severity stratum."""
    return {name: paired_test(cohort.stratum(name)["hba1c_baseline"], cohort.stratum(name)["hba1c_followup"],
                              cohort.params["alpha"]) for name in STRATA}


def comparison_block(comparisons) -> list[dict]:
    return [{"quantity": c.quantity, "published": c.published, "reproduced": c.reproduced, "agrees": c.agrees,
             "printed": c.printed, "check": c.check, "status": c.status} for c in comparisons]


def compute_results(cohort) -> dict:
    """The whole results.json content (without provenance) for a cohort."""
    overall = analyse_overall(cohort)
    strata = analyse_strata(cohort)
    dose = analyse_dose(cohort)
    return {
        "data": cohort.data_block(),
        "params": dict(cohort.params),
        "overall": overall.interface(),
        "strata": {k: v.interface() for k, v in strata.items()},
        "dose": dose.interface(),
        "published_comparison": comparison_block(compare_published(cohort, overall, strata, dose)),
    }


def jsonable(obj):
    """Replace NaN/inf by None and numpy scalars by Python numbers, recursively."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(results: dict) -> str:
    """results.json text: full precision, keys in a stable order."""
    return json.dumps(jsonable(results), indent=2, allow_nan=False) + "\n"
