"""The class cohort (``mscreport build --class``): the reconstructed MSC patients as a long file
plus a **simulated control arm**, so that every chapter of a class build has data (chapter 7 a
trajectory, chapter 3 a between-arm comparison). Seeded and deterministic; the data card is
data/README.md, "Data card: the class cohort".

- Arm ``MSC``: ``data/reconstructed_cohort_long.csv`` as it is (61 synthetic patients, one row
  per HbA1c measurement, months since the infusion).
- Arm ``simulated_control``: one invented patient per MSC patient (``SIM-CTRL-001``, ...), no
  treatment and no treatment effect. Baseline (month 0): the MSC baselines resampled with
  replacement (the same baseline distribution). Each patient has a true level mu and every
  other measurement is mu plus noise, with the MSC cohort's baseline mean m, SD s and
  baseline-follow-up correlation rho: mu | baseline ~ N(m + rho (baseline - m), rho (1 - rho) s^2),
  measurement = mu + N(0, (1 - rho) s^2). So a control's expected change is
  -(1 - rho)(baseline - m): regression to the mean and nothing else. Visit months copy the
  partner MSC patient's; age, sex, BMI and diabetes duration are resampled from the MSC
  patients; ``dose_cells``, ``msc_source`` and ``serious_adverse_event`` are empty (nothing
  was infused, and no safety is invented). HbA1c in NGSP %, 1 decimal, at least 4.5 %.
- Every row has ``synthetic`` = yes.
"""

from __future__ import annotations

from pathlib import Path

from mscreport.core.errors import InputError, Problem
from mscreport.core.paths import DATA_DIR
from mscreport.inputs.params import _collect

CLASS_SEED = 2027
MSC_ARM, CONTROL_ARM = "MSC", "simulated_control"
LONG_SOURCE = "reconstructed_cohort_long.csv"
CLASS_FILE = "class_cohort_long.csv"
CLASS_COHORT = DATA_DIR / CLASS_FILE
HBA1C_FLOOR = 4.5  # NGSP %: no simulated HbA1c below this
PATIENT_COLUMNS = ("age_years", "sex", "bmi", "diabetes_duration_years")  # resampled from the MSC patients
# the parameters of a class build (``mscreport build --class``); -p and --params given with it win
CLASS_PARAMS = {
    "reference_arm": CONTROL_ARM,
    "condition": "type_2_diabetes",
    "intervention": "a single intravenous MSC infusion",
    "inclusion_min": "6.2",
    "visits": "6,12,24",  # months: the MMRM's nominal visits (the long file's routine visits)
    # chapter 6: the paper's figures describe the MSC arm (the reconstruction), never the simulated controls
    "published_path": "data/published_results.yaml",
    "published_arm": MSC_ARM,
    "report_title": "Class build: HbA1c after MSC infusion, against a SIMULATED control arm",
    "study_description": ("Teaching material. The MSC arm is the reconstructed cohort of Matsuoka et al. (synthetic "
                          "patients rebuilt from the paper's summary figures), one row per HbA1c measurement. The "
                          "arm simulated_control is SIMULATED: invented untreated patients with the same baseline "
                          "distribution, regression to the mean and no treatment effect (data/README.md, \"Data "
                          "card: the class cohort\"). Between-arm results show the method, not evidence about MSC."),
}


def class_overrides(params_file, overrides: list[str], data: str | None) -> list[str]:
    """The ``-p`` items of a class build: ``CLASS_PARAMS`` for every name the user did not give
    (in the parameter file or with -p), then the user's own. ``--data`` (or ``data_path``) with
    ``--class`` is an error: the class build has its own cohort file."""
    given = _collect(params_file, overrides)[0]
    if data or "data_path" in given:
        raise InputError([Problem("--class", None, None, "--class builds the class cohort "
                                  f"(data/{CLASS_FILE}); leave out --data and data_path, or build without --class")])
    return [f"{k}={v}" for k, v in CLASS_PARAMS.items() if k not in given] + list(overrides)


def _baseline_and_last(msc):
    """Per MSC patient: the month-0 HbA1c and the last HbA1c after month 0 (NGSP %)."""
    import pandas as pd

    base = msc[msc["months"] == 0].set_index("patient_id")["hba1c"]
    last = msc[msc["months"] > 0].sort_values("months").groupby("patient_id")["hba1c"].last()
    return pd.DataFrame({"baseline": base, "last": last}).dropna()


def make_class_cohort(seed: int = CLASS_SEED, source: Path | None = None):
    """The class cohort as a long frame (pandas): the MSC arm's rows, then the simulated control arm's."""
    import numpy as np
    import pandas as pd

    msc = pd.read_csv(source or DATA_DIR / LONG_SOURCE, dtype={"patient_id": str, "dose_cells": str})
    msc.insert(1, "arm", MSC_ARM)
    pairs = _baseline_and_last(msc)
    m, s = float(pairs["baseline"].mean()), float(pairs["baseline"].std(ddof=1))
    rho = float(np.corrcoef(pairs["baseline"], pairs["last"])[0, 1])
    rng = np.random.default_rng(seed)
    ids = list(pairs.index)
    rows = []
    for k, partner in enumerate(ids, start=1):
        baseline = float(pairs["baseline"].iloc[rng.integers(len(ids))])
        mu = rng.normal(m + rho * (baseline - m), s * np.sqrt(rho * (1 - rho)))
        person = msc[msc["patient_id"] == ids[rng.integers(len(ids))]].iloc[0]
        for month in msc.loc[msc["patient_id"] == partner, "months"]:
            value = baseline if month == 0 else mu + rng.normal(0.0, s * np.sqrt(1 - rho))
            rows.append({"patient_id": f"SIM-CTRL-{k:03d}", "arm": CONTROL_ARM, "months": int(month),
                         "hba1c": max(HBA1C_FLOOR, round(float(value), 1)), "dose_cells": "", "msc_source": "",
                         **{c: person[c] for c in PATIENT_COLUMNS}, "serious_adverse_event": "", "synthetic": "yes"})
    control = pd.DataFrame(rows, columns=list(msc.columns))
    return pd.concat([msc, control], ignore_index=True)


def write_class_cohort(frame, path) -> None:
    """The class cohort as CSV (HbA1c with 1 decimal, empty cells for missing values)."""
    frame.to_csv(path, index=False, float_format="%.1f", lineterminator="\n")


if __name__ == "__main__":  # regenerate data/class_cohort_long.csv: python -m mscreport.inputs.class_cohort
    write_class_cohort(make_class_cohort(), CLASS_COHORT)
