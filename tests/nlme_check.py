"""One comparison of a mixed-model result (``MixedModelResult.interface()`` or results.json's
``mixed_model``) with an nlme reference block written by tests/r/longitudinal.R or
tests/r/steno2.R or tests/r/long_balanced.R."""

from __future__ import annotations

import pytest

REL = 1e-4  # nlme and statsmodels optimise differently (issue 10)


def assert_matches_nlme(got: dict, ref: dict, rel: float = REL) -> None:
    """Counts and df exactly; estimates, SEs, CIs and the three SDs to ``rel``; p to 10 x ``rel``."""
    assert got["n_patients"] == ref["n_patients"] and got["n_measurements"] == ref["n_measurements"]
    for term in ("intercept", "slope_per_year"):
        assert got[term]["df"] == ref[term]["df"]
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert got[term][key] == pytest.approx(ref[term][key], rel=rel), (term, key)
        if ref[term]["p"] > 1e-12:  # beyond that a relative error in t is multiplied by t^2
            assert got[term]["p"] == pytest.approx(ref[term]["p"], rel=10 * rel), (term, "p")
    for key in ("sd_intercept", "sd_slope", "sd_residual"):
        assert got[key] == pytest.approx(ref[key], rel=rel), key
    assert got["converged"] is True
