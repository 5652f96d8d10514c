"""HbA1c units: the IFCC-NGSP master equation NGSP % = 0.0915 x IFCC + 2.15 and its exact
inverse IFCC = (NGSP - 2.15) / 0.0915, values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mscreport.core import units


def test_percent_to_mmol_mol():
    # (7.0 - 2.15) / 0.0915 = 4.85 / 0.0915 = 53.005464...: laboratories print 53
    assert units.ngsp_to_ifcc(7.0) == pytest.approx(4.85 / 0.0915, abs=1e-12)
    assert round(units.ngsp_to_ifcc(7.0)) == 53
    # (6.5 - 2.15) / 0.0915 = 47.540983...
    assert units.ngsp_to_ifcc(6.5) == pytest.approx(47.540983606557, abs=1e-9)


def test_mmol_mol_to_percent():
    # 0.0915 x 53 = 4.8495; + 2.15 = 6.9995
    assert units.ifcc_to_ngsp(53) == pytest.approx(6.9995, abs=1e-12)
    # 0.0915 x 48 = 4.392; + 2.15 = 6.542
    assert units.ifcc_to_ngsp(48) == pytest.approx(6.542, abs=1e-12)


def test_differences_convert_by_the_slope_only():
    assert units.ngsp_difference_to_ifcc(1.0) == pytest.approx(1 / 0.0915)  # 10.929 mmol/mol per % point
    assert units.ngsp_difference_to_ifcc(-0.79) == pytest.approx(-8.633879781)
    # a difference of levels equals the converted difference
    assert units.ngsp_to_ifcc(8.0) - units.ngsp_to_ifcc(7.0) == pytest.approx(units.ngsp_difference_to_ifcc(1.0))


def test_the_two_directions_are_exact_inverses():
    x = np.linspace(4, 14, 101)
    assert np.abs(units.ifcc_to_ngsp(units.ngsp_to_ifcc(x)) - x).max() < 1e-12
    y = np.linspace(20, 130, 111)
    assert np.abs(units.ngsp_to_ifcc(units.ifcc_to_ngsp(y)) - y).max() < 1e-11


def test_to_ngsp_on_arrays_and_series():
    s = pd.Series([58.0, 75.0, np.nan])
    out = units.to_ngsp(s, "mmol_mol")
    assert out.iloc[:2].tolist() == pytest.approx([7.457, 9.0125])
    assert np.isnan(out.iloc[2])
    assert units.to_ngsp(s, "percent") is s  # already NGSP: untouched
    assert units.to_ngsp(np.array([42.0]), "mmol_mol") == pytest.approx([5.993])


def test_unknown_unit():
    with pytest.raises(ValueError, match="unknown HbA1c unit"):
        units.to_ngsp(7.0, "mg_dl")


def test_labels():
    assert units.UNITS == ("percent", "mmol_mol")
    assert units.UNIT_LABELS == {"percent": "%", "mmol_mol": "mmol/mol"}
