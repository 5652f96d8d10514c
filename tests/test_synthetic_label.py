""""Synthetic data" is decided by the data, never by the file's name (issue 14.5)."""

from __future__ import annotations

import shutil

import pandas as pd

from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT


def test_the_bundled_cohort_is_synthetic_by_its_bytes_under_any_name(tmp_path):
    copy = tmp_path / "my_clinic_2024.csv"
    shutil.copyfile(DEFAULT_COHORT, copy)
    assert load_cohort(copy).synthetic
    assert load_cohort(copy).data_block()["synthetic"] is True


def test_a_real_cohort_named_synth_is_not_synthetic(tmp_path):
    frame = pd.read_csv(DEFAULT_COHORT).drop(columns=["synthetic"])
    frame["hba1c_followup"] = frame["hba1c_followup"] + 0.1  # other bytes, other patients
    path = tmp_path / "synthesis_reconstructed_synthetic.csv"
    frame.to_csv(path, index=False)
    cohort = load_cohort(path)
    assert not cohort.synthetic and cohort.data_block()["synthetic"] is False


def test_a_synthetic_column_says_so_only_when_every_row_says_yes(tmp_path):
    frame = pd.read_csv(DEFAULT_COHORT)
    frame["hba1c_followup"] = frame["hba1c_followup"] + 0.1
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    assert load_cohort(path).synthetic
    frame.loc[3, "synthetic"] = "no"
    frame.to_csv(path, index=False)
    assert not load_cohort(path).synthetic
