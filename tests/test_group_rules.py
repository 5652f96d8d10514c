"""The stratum and dose-group rules (strata.is_severe / assign_strata, dose.assign_dose_groups):
categoricals of their groups (one byte per patient), the boundaries as the paper words them."""

import numpy as np
import pandas as pd
import pytest

from mscreport.core.groups import DOSE_GROUPS, STRATA
from mscreport.core.groups import assign_dose_groups
from mscreport.core.groups import assign_strata, is_severe


def test_strata_boundary_and_type():
    baseline = np.array([6.2, 7.9, 8.0, 8.0000001, 12.5, -0.0, np.inf])
    got = assign_strata(baseline, 8.0)
    # no baseline below moderate_min: the paper's two strata only ('below' a category only when used)
    assert isinstance(got, pd.Categorical) and list(got.categories) == list(STRATA[1:]) == ["moderate", "severe"]
    # 8.0 itself is moderate (the paper's "6.2-8 %"); above it severe
    assert list(got) == ["moderate", "moderate", "moderate", "severe", "severe", "moderate", "severe"]
    assert is_severe(baseline, 8.0).tolist() == [g == "severe" for g in got]
    assert list(assign_strata(baseline, 7.0)) == ["moderate", "severe", "severe", "severe", "severe", "moderate", "severe"]


def test_a_kept_baseline_below_moderate_min_is_in_the_stratum_below():
    got = assign_strata(np.array([6.19, 6.2, 8.0, 8.01]), 8.0, 6.2)
    assert list(got.categories) == list(STRATA) == ["below", "moderate", "severe"]
    assert list(got) == ["below", "moderate", "moderate", "severe"]


def test_dose_groups_boundary_missing_and_type():
    dose = np.array([1e9, 999_999_999.0, 2e9, np.nan, 1e8, np.inf])
    got = assign_dose_groups(dose, 1e9)
    assert isinstance(got, pd.Categorical) and list(got.categories) == list(DOSE_GROUPS)
    assert [None if pd.isna(g) else g for g in got] == ["high", "low", "high", None, "low", "high"]
    assert list(assign_dose_groups(dose, 5e8)[:2]) == ["high", "high"]


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_rules_on_a_frame_keep_their_groups(n):
    rng = np.random.default_rng(n)
    frame = pd.DataFrame({"b": rng.uniform(6.2, 12, n), "d": rng.choice([1e8, 1e9, np.nan], n)})
    frame["stratum"] = assign_strata(frame["b"], 8.0)
    frame["dose_group"] = assign_dose_groups(frame["d"], 1e9)
    assert frame["stratum"].dtype == "category" and frame["dose_group"].dtype == "category"
    assert ((frame["stratum"] == "severe") == (frame["b"] > 8.0)).all()
    assert (frame["dose_group"].isna() == frame["d"].isna()).all()
    counts = frame["stratum"].value_counts()
    assert int(counts.get("severe", 0)) == int((frame["b"] > 8.0).sum())
