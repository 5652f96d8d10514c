"""The reconstructed cohort: synthetic patients built to reproduce, at the paper's own
rounding, every figure Matsuoka et al. (JBRES 2025) publish. SYNTHETIC: no real patient.

Construction (deterministic for a seed; no search over seeds):

1. stratum sizes 48 moderate / 13 severe follow from the published means
   (``data/published_results.yaml``, ``assumed``);
2. HbA1c is kept in whole tenths of a % (as laboratories report it), so every mean is a
   sum of integers: baseline and change sums are fixed first to the values whose means
   print as the published 7.49, -0.58 and -1.55;
3. values are drawn, moment-matched to the assumed mean and SD, rounded to tenths, and the
   sums restored by moving single tenths;
4. the severe stratum's SD of change is then solved for, by moving pairs of tenths that keep
   the sum, until its paired t-test p prints as the published 0.0122;
5. doses, sources, follow-up and demographics are drawn from the assumptions, with the
   dose subgroups checked against the published qualitative findings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st

from mscreport.display.fmt import fmt_cells
from mscreport.core.groups import assign_dose_groups
from mscreport.inputs.params import DEFAULTS
from mscreport.analysis.published import load_published
from mscreport.methods.stats import paired_test, pearson, welch_test


def _figures() -> dict:
    """The published figures (by id) and the assumptions (by id), from data/published_results.yaml:
    the one place they are written down."""
    pub = load_published()
    return ({f["id"]: f["value"] for f in pub["figures"]}, {a["id"]: a["value"] for a in pub["assumed"]})


PUBLISHED, ASSUMED = _figures()
N_MODERATE, N_SEVERE = ASSUMED["stratum_sizes"]["moderate"], ASSUMED["stratum_sizes"]["severe"]
N = N_MODERATE + N_SEVERE
BASELINE_SUM = round(PUBLISHED["baseline_mean"] * N * 10)  # tenths of %: mean 7.4902, prints 7.49
SEVERE_BASELINE_SUM = round(ASSUMED["baseline_distribution"]["severe_mean"] * N_SEVERE * 10)
MODERATE_CHANGE_SUM = round(-PUBLISHED["moderate_reduction"] * N_MODERATE * 10)  # -278 tenths: mean -0.579, prints -0.58
SEVERE_CHANGE_SUM = round(-PUBLISHED["severe_reduction"] * N_SEVERE * 10)  # -202 (python rounds -201.5 to even)
SEVERE_P = PUBLISHED["severe_p"]
FOLLOWUP_FLOOR = 50  # tenths of %: no synthetic follow-up HbA1c below 5.0 %
# assumed dose_distribution, "1e8, 2e8, ... cells; ...": the round figures clinics use
DOSE_LEVELS = np.array([float(x) for x in ASSUMED["dose_distribution"].split(" cells")[0].split(",")])
DOSE_CUTOFF = DEFAULTS["dose_cutoff"]  # the paper's high-dose threshold, 1e9 cells
FOLLOWUP_MIN, FOLLOWUP_MEDIAN, FOLLOWUP_MAX = PUBLISHED["followup_min"], PUBLISHED["followup_median"], PUBLISHED["followup_max"]
SOURCES = [name for name, k in ASSUMED["source_mix"].items() for _ in range(k)]


def _tenths(values: np.ndarray, total: int, lo, hi) -> np.ndarray:
    """Round to integer tenths within [lo, hi] (scalars or per-value arrays) and move single
    tenths until the sum is total."""
    lo = np.broadcast_to(lo, values.shape)
    hi = np.broadcast_to(hi, values.shape)
    t = np.clip(np.rint(values * 10).astype(int), lo, hi)
    order = np.argsort(values)
    step = 0
    while t.sum() != total:
        k = int(np.sign(total - t.sum()))
        idx = order[step % len(t)] if k < 0 else order[::-1][step % len(t)]
        if lo[idx] <= t[idx] + k <= hi[idx]:
            t[idx] += k
        step += 1
        if step > 100 * len(t):
            raise RuntimeError("cannot meet the target sum within bounds")
    return t


def _moment_match(z: np.ndarray, mean: float, sd: float) -> np.ndarray:
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


def _paired_p(change_tenths: np.ndarray) -> float:
    """The paired t-test p of changes given in tenths of % (the report's own test)."""
    d = change_tenths / 10
    return paired_test(np.zeros(len(d)), d, rank_tests=False).p


def _tune_sd(change: np.ndarray, baseline: np.ndarray, p_target: float, lo_fu: int = FOLLOWUP_FLOOR) -> np.ndarray:
    """Move pairs of tenths (sum kept) until the paired-t p prints as p_target (3 sig. digits)."""
    c = change.copy()
    n = len(c)
    lo_p, hi_p = p_target * (1 - 0.5 / 122), p_target * (1 + 0.5 / 122)  # rounds to 0.0122
    t_target = st.t.isf(p_target / 2, n - 1)
    sd_target = abs(c.mean()) * math.sqrt(n) / t_target
    ss_target = sd_target**2 * (n - 1)
    for _ in range(2000):
        p = _paired_p(c)
        if lo_p <= p < hi_p:
            return c
        ss = float(((c - c.mean()) ** 2).sum())
        best = None
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                new_i, new_j = c[i] + 1, c[j] - 1  # i up a tenth, j down a tenth
                if baseline[j] + new_j < lo_fu or baseline[i] + new_i > baseline[i]:
                    continue  # follow-up stays plausible and no patient worsens beyond baseline
                new_ss = ss + 2 * (c[i] - c[j]) + 2
                gap = abs(new_ss - ss_target)
                if best is None or gap < best[0]:
                    best = (gap, i, j)
        if best is None:
            break
        _, i, j = best
        c[i] += 1
        c[j] -= 1
        if abs(((c - c.mean()) ** 2).sum() - ss_target) >= abs(ss - ss_target):
            ss_target += 1.0 if p > p_target else -1.0  # nudge past a plateau
    raise RuntimeError("could not reach the published severe-stratum p-value")


def _assign_doses(rng, severe: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Tailored doses: severe patients a little more often high; published checks enforced."""
    p_high = np.where(severe, 0.55, 0.3)
    high = rng.random(len(severe)) < p_high
    dose = np.where(high, rng.choice(DOSE_LEVELS[4:], len(severe), p=[0.5, 0.3, 0.2]),
                    rng.choice(DOSE_LEVELS[:4], len(severe), p=[0.2, 0.3, 0.2, 0.3]))
    for _ in range(200):
        hi = assign_dose_groups(dose, DOSE_CUTOFF) == "high"
        welch = welch_test(change[hi], change[~hi])
        r = pearson(dose, change)
        larger = change[hi].mean() < change[~hi].mean()
        if larger and welch.p >= DEFAULTS["alpha"] and r.p >= DEFAULTS["alpha"]:
            break
        # too strong: swap the largest-reduction high-dose patient with a mid low-dose one; too weak: reverse
        hi_idx, lo_idx = np.flatnonzero(hi), np.flatnonzero(~hi)
        if not larger:
            i, j = hi_idx[np.argmax(change[hi_idx])], lo_idx[np.argmin(change[lo_idx])]
        else:
            i, j = hi_idx[np.argmin(change[hi_idx])], lo_idx[np.argsort(change[lo_idx])[len(lo_idx) // 2]]
        dose[i], dose[j] = dose[j], dose[i]
    else:
        raise RuntimeError("could not meet the published dose findings")
    # the published range: smallest 1e8 and largest 2e9 present
    if not (dose == DOSE_LEVELS[0]).any():
        lo_idx = np.flatnonzero(assign_dose_groups(dose, DOSE_CUTOFF) == "low")
        dose[lo_idx[np.argmin(dose[lo_idx])]] = DOSE_LEVELS[0]
    if not (dose == DOSE_LEVELS[-1]).any():
        hi_idx = np.flatnonzero(assign_dose_groups(dose, DOSE_CUTOFF) == "high")
        dose[hi_idx[np.argmax(dose[hi_idx])]] = DOSE_LEVELS[-1]
    return dose


def _followup_months(rng) -> np.ndarray:
    m = np.sort(rng.integers(FOLLOWUP_MIN, FOLLOWUP_MAX + 1, N))
    mid = N // 2
    m[0], m[-1], m[mid] = FOLLOWUP_MIN, FOLLOWUP_MAX, FOLLOWUP_MEDIAN
    m[:mid] = np.minimum(m[:mid], FOLLOWUP_MEDIAN)
    m[mid + 1:] = np.maximum(m[mid + 1:], FOLLOWUP_MEDIAN)
    return rng.permutation(m)


def make_cohort(seed: int = 2025) -> pd.DataFrame:
    """The reconstructed (synthetic) cohort in the interface format, one row per patient."""
    rng = np.random.default_rng(seed)
    # baselines, in tenths of %
    mod_b = _tenths(np.clip(_moment_match(rng.normal(size=N_MODERATE), 7.0, 0.45), 6.2, 8.0),
                    BASELINE_SUM - SEVERE_BASELINE_SUM, 62, 80)
    sev_b = _tenths(np.clip(_moment_match(rng.gamma(2.0, size=N_SEVERE), 9.3, 1.0), 8.1, 12.5),
                    SEVERE_BASELINE_SUM, 81, 125)
    # changes: larger falls from higher baselines (as seen clinically), then moment-matched
    mod_z = rng.normal(size=N_MODERATE) - 0.5 * (mod_b - mod_b.mean()) / mod_b.std()
    sev_z = rng.normal(size=N_SEVERE) - 0.5 * (sev_b - sev_b.mean()) / sev_b.std()
    mod_c = _tenths(_moment_match(mod_z, MODERATE_CHANGE_SUM / 10 / N_MODERATE, 0.5), MODERATE_CHANGE_SUM,
                    np.maximum(-30, FOLLOWUP_FLOOR - mod_b), 10)
    sev_c = _tenths(_moment_match(sev_z, SEVERE_CHANGE_SUM / 10 / N_SEVERE, 1.9), SEVERE_CHANGE_SUM,
                    np.maximum(-60, FOLLOWUP_FLOOR - sev_b), 10)
    sev_c = _tune_sd(sev_c, sev_b, SEVERE_P)
    baseline = np.concatenate([mod_b, sev_b])
    change = np.concatenate([mod_c, sev_c])
    severe = np.arange(N) >= N_MODERATE
    dose = _assign_doses(rng, severe, change / 10)
    age = rng.integers(35, 81, N)
    frame = pd.DataFrame({
        "hba1c_baseline": baseline / 10,
        "hba1c_followup": (baseline + change) / 10,
        "dose_cells": dose,
        "msc_source": rng.permutation(SOURCES),
        "followup_months": _followup_months(rng),
        "age_years": age,
        "sex": np.where(rng.random(N) < 0.4, "female", "male"),
        "bmi": np.round(np.clip(rng.normal(27.5, 4.0, N), 20, 38), 1),
        "diabetes_duration_years": np.minimum(rng.integers(1, 31, N), age - 25),
        "serious_adverse_event": "no",
    })
    frame = frame.iloc[rng.permutation(N)].reset_index(drop=True)
    frame.insert(0, "patient_id", [f"SYN-{i:03d}" for i in range(1, N + 1)])
    frame["synthetic"] = "yes"
    return frame


def write_cohort(frame: pd.DataFrame, path) -> None:
    """CSV with HbA1c to 0.1 % and doses written as e.g. 1.5e9."""
    out = frame.copy()
    out["hba1c_baseline"] = out["hba1c_baseline"].map(lambda v: f"{v:.1f}")
    out["hba1c_followup"] = out["hba1c_followup"].map(lambda v: f"{v:.1f}")
    out["dose_cells"] = out["dose_cells"].map(fmt_cells)
    out.to_csv(path, index=False, lineterminator="\n")


LONG_VISITS = (3, 6, 12, 18, 24, 36, 48, 60)  # months of the routine visits a patient may have
LONG_MAX_INTERMEDIATE = 3
SCREENING_MONTHS = -6  # a screening HbA1c, outside the default baseline window, for every 4th patient


def make_long_cohort(seed: int = 2025) -> pd.DataFrame:
    """The reconstructed cohort as a long file (one row per HbA1c measurement). SYNTHETIC.

    Per patient: the baseline at month 0 and the follow-up at ``followup_months`` are exactly
    the wide cohort's (``make_cohort(seed)``), so the long file reduced to the last follow-up
    is the reconstructed cohort and reproduces every published figure. Between them, up to 3
    routine visits (``LONG_VISITS`` before the follow-up), whose HbA1c moves from the baseline
    towards the follow-up over the first 6 months, with noise (SD 0.25 %), in tenths of a %,
    never below 5.0 %; every 4th patient also has a screening value at month -6 (outside the
    default baseline window, so it shows the window rule at work).
    """
    wide = make_cohort(seed)
    rng = np.random.default_rng([seed, 1])  # a stream of its own: the wide cohort is unchanged
    patient_cols = [c for c in wide.columns if c not in ("hba1c_baseline", "hba1c_followup", "followup_months")]
    rows = []
    for k, p in enumerate(wide.itertuples(index=False)):
        base, last, months = p.hba1c_baseline, p.hba1c_followup, int(p.followup_months)
        visits = [v for v in LONG_VISITS if v < months - 1]
        chosen = sorted(rng.choice(visits, size=min(LONG_MAX_INTERMEDIATE, len(visits)), replace=False)) if visits else []
        times = ([SCREENING_MONTHS] if k % 4 == 0 else []) + [0] + [int(v) for v in chosen] + [months]
        for t in times:
            if t == 0:
                value = base
            elif t == months:
                value = last
            else:
                drift = base + (last - base) * min(1.0, max(t, 0) / 6) if t > 0 else base
                value = max(FOLLOWUP_FLOOR / 10, round(drift + rng.normal(0, 0.25), 1))
            rows.append({"patient_id": p.patient_id, "months": t, "hba1c": value,
                         **{c: getattr(p, c) for c in patient_cols}})
    return pd.DataFrame(rows)


def write_long_cohort(frame: pd.DataFrame, path) -> None:
    """CSV with HbA1c to 0.1 % and doses written as e.g. 1.5e9."""
    out = frame.copy()
    out["hba1c"] = out["hba1c"].map(lambda v: f"{v:.1f}")
    out["dose_cells"] = out["dose_cells"].map(fmt_cells)
    out.to_csv(path, index=False, lineterminator="\n")
