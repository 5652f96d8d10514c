"""The teaching rendering's own cells: the statistical call behind a reader table, written as
a student would write it (``stats.paired_test(f["hba1c_baseline"], f["hba1c_followup"],
alpha)``), and its result printed.

Those cells (tagged ``teaching``) appear only in the teaching pages and the workbooks. What
they print obeys the pages' disclosure rule (``disclosure``): only a result's aggregate
numbers, never a patient's value, and nothing computed from fewer than 3 values or for a group
the pages hide; then one line says so instead. Numbers are rounded to 4 significant digits
(results.json has them at full precision).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import warnings

import pandas as pd

from mscreport.core.disclosure import (SUPPRESSED_ORDER, current_policy, group_size, hidden_groups, order_shown,
                                       shown_count, suppressed, too_few)

# columns the teaching cells read that a cohort file may lack (they are then empty: the call
# gives its "not computable" result, as the chapter's own analysis does)
STUDY_COLUMNS = ("dose_cells", "dose_group", "msc_source", "followup_months")
MEASUREMENT_COLUMNS = ("patient_id", "months", "years", "hba1c")
# fields that count the values a result is computed from
_SIZE_FIELDS = ("n", "n_nonzero", "n_patients")
_ORDER_FIELDS = ("hl_estimate", "hl_ci_low", "hl_ci_high", "median", "q1", "q3", "minimum", "maximum")  # order statistics


def analysed_frame(cohort) -> pd.DataFrame:
    """The analysed patients, one row each (HbA1c in NGSP %, ``change`` = follow-up -
    baseline, ``stratum``, ``dose_group``...), with every study column present: a column the
    cohort file lacks is all missing.

    ``stratum``, ``dose_group`` and the category columns (``msc_source``, ``sex``...) are
    pandas categoricals (one byte per patient; missing is NaN). Their levels are fixed: a
    subset's ``value_counts()`` lists a level with 0 patients, and a new label needs the
    column as text first, e.g. ``f["sex"].astype(object).fillna("unknown")``."""
    # a lazy copy (pandas' copy-on-write): a class may change it freely, and the cohort's frame
    # stays as it was, without a second copy of every column held (half a gigabyte at 1e7)
    frame = cohort.frame.copy(deep=False)
    for column in STUDY_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(float("nan"), index=frame.index, dtype="float64")
    return frame


def measurements(cohort) -> pd.DataFrame:
    """The repeated measurements the mixed model uses (a long file: ``patient_id``, ``months``,
    ``years`` since the infusion, ``hba1c`` in NGSP %); empty for a wide file, which has none."""
    long = getattr(cohort, "longitudinal", None)
    if long is None:
        return pd.DataFrame({c: pd.Series(dtype="object" if c == "patient_id" else "float64")
                             for c in MEASUREMENT_COLUMNS})
    return long.model_frame()


def _format(value) -> str:
    """A field's value as shown: floats to 4 significant digits, anything else as str."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.4g}" if math.isfinite(value) else "nan"
    return str(value)


def result_lines(result, fields=None, prefix: str = "") -> list[tuple[str, str]]:
    """(name, shown value) of a result's fields: numbers rounded to 4 significant digits,
    text as it is (empty text left out), a nested result or dict flattened as ``outer.inner``,
    None kept (the library's "not computable"); tables left out (they may hold one patient's
    row). ``fields``: only these top-level fields, in this order."""
    if dataclasses.is_dataclass(result):
        items = [(f.name, getattr(result, f.name)) for f in dataclasses.fields(result)]
    else:
        items = list(dict(result).items())
    if fields is not None:
        values = dict(items)
        items = [(name, values[name]) for name in fields]
    lines = []
    for name, value in items:
        key = prefix + name
        if dataclasses.is_dataclass(value) or isinstance(value, dict):
            lines += result_lines(value, prefix=key + ".")
        elif isinstance(value, (pd.DataFrame, pd.Series)):
            continue
        elif isinstance(value, tuple):
            lines.append((key, "(" + ", ".join(_format(v) for v in value) + ")"))
        elif isinstance(value, str):
            if value:
                lines.append((key, value))
        else:
            lines.append((key, _shown_number(name, value)))
    return lines


def _shown_number(name: str, value) -> str:
    """A printed number as ``_format`` shows it, except a count (a field named ``n``, ``df`` or
    ``n_*`` holding a whole number), which the strict rule shows as strict pages show counts."""
    value = value.item() if hasattr(value, "item") else value
    count = name in ("n", "df") or name.startswith("n_")
    if current_policy().strict and count and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and float(value).is_integer():
        return shown_count(int(value))
    return _format(value)


def _sizes(result) -> list:
    if not dataclasses.is_dataclass(result):
        return []
    return [getattr(result, f) for f in _SIZE_FIELDS if hasattr(result, f)]


def describe_result(result, cohort, groups=("overall",), fields=None) -> str:
    """The text ``print_result`` prints: the result's type and its fields, one per line; or,
    when the disclosure rule hides one of ``groups`` (``overall``, ``moderate``, ``severe``,
    ``high``, ``low``) or the result counts 1 or 2 values, only that it is suppressed. Order
    statistics (Hodges-Lehmann estimate and bounds, medians, quartiles) of fewer than 5 values
    are suppressed as the pages suppress them. None (a result the data cannot give) is said as
    such."""
    if result is None:
        return "None: this cohort cannot give this result (the text above says why)."
    name = type(result).__name__
    hidden = set(hidden_groups(cohort.frame)) & set(groups)
    small = [n for n in _sizes(result) if too_few(n)]
    if hidden or small:
        which = ", ".join(sorted(hidden)) or "this result"
        return f"{name}: {suppressed(small[0] if small else group_size(cohort.frame, sorted(hidden)[0]))} for {which}; results.json has it."
    lines = result_lines(result, fields)
    sizes = [n for n in _sizes(result) if n is not None]
    if sizes and not order_shown(min(sizes)):  # the Hodges-Lehmann estimate and bounds are order statistics
        lines = [(k, SUPPRESSED_ORDER if k.split(".")[-1] in _ORDER_FIELDS else v) for k, v in lines]
    width = max((len(k) for k, _ in lines), default=0)
    return "\n".join([f"{name}:"] + [f"  {k.ljust(width)}  {v}" for k, v in lines])


def print_result(result, cohort, groups=("overall",), fields=None) -> None:
    """Print a statistical result as a student inspecting it sees it, aggregates only and
    suppressed by the pages' rule (see ``describe_result``)."""
    print(describe_result(result, cohort, groups, fields))


# ------------------------------------------------------------------ plain one-liners
PLAIN_MAX_ROWS = 50_000  # patients: above this the open table is a seeded random sample (plain calls stay quick)
PLAIN_MAX_PATIENTS = 1500  # patients of the measurements plain statsmodels' MixedLM fits (trajectory's own limit)
PLAIN_SEED = 20261207


def open_table(cohort, columns) -> pd.DataFrame:
    """The open patient table of the plain one-liners: ``columns`` of the analysed patients
    (``analysed_frame``), a copy a class may change. Above ``PLAIN_MAX_ROWS`` patients, a
    seeded random sample of that many (said in one printed line): the plain calls then give
    the sample's numbers, not the library's."""
    frame = analysed_frame(cohort)[list(columns)]
    if len(frame) <= PLAIN_MAX_ROWS:
        return frame.copy()
    print(f"The open table d is a random sample of {PLAIN_MAX_ROWS:,} of the {len(frame):,} patients "
          "(plain calls on it give the sample's numbers).")
    return frame.sample(PLAIN_MAX_ROWS, random_state=PLAIN_SEED)


def open_measurements(measurements: pd.DataFrame) -> pd.DataFrame:
    """The measurements for plain statsmodels' MixedLM: all of them up to ``PLAIN_MAX_PATIENTS``
    patients, otherwise those of a seeded random sample of that many patients (said in one
    printed line)."""
    patients = measurements["patient_id"].unique()
    if len(patients) <= PLAIN_MAX_PATIENTS:
        return measurements
    keep = pd.Series(patients).sample(PLAIN_MAX_PATIENTS, random_state=PLAIN_SEED)
    print(f"m_open holds the measurements of a random sample of {PLAIN_MAX_PATIENTS:,} of the {len(patients):,} patients.")
    return measurements[measurements["patient_id"].isin(keep)]


def try_call(func, *args, **kwargs):
    """``func(*args, **kwargs)``, or None when an argument is None (a result this cohort cannot
    give) or the call fails on the data (scipy and statsmodels raise on too few values): a
    student's plain one-liner that runs on any cohort, as the library's calls do. Its warnings
    and anything it prints (small samples, no convergence) stay off the page: a result it
    cannot give is NaN or None."""
    if any(a is None for a in (*args, *kwargs.values())):
        return None
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return func(*args, **kwargs)
    except Exception:  # noqa: BLE001 - any failure of a third-party call on these data means "not computable"
        return None


def fit_plain(model, formula: str, data: pd.DataFrame, fit_kwargs: dict | None = None, **model_kwargs):
    """``model(formula, data, **model_kwargs).fit(**fit_kwargs)`` (e.g. ``smf.ols``,
    ``smf.mixedlm``), or None when the data cannot give it (see ``try_call``)."""
    built = try_call(model, formula, data, **model_kwargs)
    return None if built is None else try_call(built.fit, **(fit_kwargs or {}))


def p_value(result) -> float | None:
    """A scipy result's ``pvalue``, None without a result (see ``try_call``)."""
    return None if result is None else float(result.pvalue)


def residual_sd(fit) -> float | None:
    """A statsmodels OLS fit's residual SD, sqrt(scale) (R's ``summary(lm)$sigma``); None without a fit."""
    return None if fit is None else math.sqrt(fit.scale)


def effect_size(delta, sd) -> float | None:
    """|delta| / sd (a standardised difference, as ``tt_ind_solve_power`` takes it); None when
    either is missing or sd is not positive."""
    return None if delta is None or not sd or sd <= 0 else abs(delta) / sd


def slope_estimate(fit) -> float | None:
    """A mixed model's (``trajectory.MixedModelResult``) slope per year, None without a fit."""
    return None if fit is None else fit.slope_per_year["estimate"]


def _plain_items(name: str, value) -> list[tuple[str, object]]:
    """(name, number) pairs of one printed item: a number; a scipy result (statistic,
    pvalue); a statsmodels fit (its fixed-effect coefficients); None (not computable)."""
    if value is None:
        return [(name, "None: this cohort cannot give it")]
    if hasattr(value, "statistic") and hasattr(value, "pvalue"):
        return [(f"{name}.statistic", value.statistic), (f"{name}.pvalue", value.pvalue)]
    params = getattr(value, "fe_params", None)
    params = getattr(value, "params", None) if params is None else params
    if params is not None:
        return [(f"{name}.{term}", coef) for term, coef in params.items()]
    return [(name, value)]


def print_plain(cohort, groups=("overall",), label: str = "plain", **items) -> None:
    """Print the numbers of plain scipy/statsmodels calls (``t=sps.ttest_rel(...)``,
    ``ols=smf.ols(...).fit()``, or numbers) as ``print_result`` prints a library result: 4
    significant digits, and only the suppression line when the disclosure rule hides one of
    ``groups``."""
    hidden = set(hidden_groups(cohort.frame)) & set(groups)
    if hidden:
        reason = suppressed(group_size(cohort.frame, sorted(hidden)[0]))  # the true reason: too few, or secondary
        print(f"{label}: {reason} for {', '.join(sorted(hidden))}; results.json has it.")
        return
    shown = [(k, v if isinstance(v, str) else _shown_number(k, v))
             for name, value in items.items() for k, v in _plain_items(name, value)]
    width = max((len(k) for k, _ in shown), default=0)
    print("\n".join([f"{label}:"] + [f"  {k.ljust(width)}  {v}" for k, v in shown]))


def print_groups(frame: pd.DataFrame, by: str, column: str, cohort) -> None:
    """Per group of ``by``: the mean, SD, n and standard error (SD/√n) of ``column``, each group
    printed as ``print_plain`` prints (suppressed where the pages hide the group)."""
    for name, part in frame.groupby(by, observed=True)[column]:
        values = part.dropna()
        sd = values.std() if len(values) > 1 else None
        print_plain(cohort, groups=(str(name),), label=str(name), mean=values.mean(), sd=sd, n=len(values),
                    se=None if sd is None else sd / math.sqrt(len(values)))


# ------------------------------------------------------------------ exercises (nbgrader test cells)
UNANSWERED = ...  # what an answer variable holds in the student workbook until the student answers
NUMERICALLY_INFINITE = 1e12  # a hand-computed statistic this large divided by rounding noise: "not computable"


class NotAnswered(AssertionError):
    """An exercise's answer variable still holds ``UNANSWERED``."""


def check_answered(value, exercise: str) -> None:
    """The visible part of an exercise's autograded cell: fails (AssertionError) until the
    answer variable holds something other than ``...``."""
    if value is UNANSWERED:
        raise NotAnswered(f"Exercise {exercise}: not answered yet (replace the ... with your answer, then run it)")


def check_close(value, expected, exercise: str = "", rel: float = 1e-6, abs_tol: float = 1e-9) -> None:
    """The hidden part of an exercise's autograded cell: ``value`` equals the analysis' result
    ``expected`` (numbers to ``rel``; None, text and lists exactly). The message does not
    give the expected value away."""
    if expected is None or value is None:  # "not computable": None, or NaN / inf from plain arithmetic (0 / 0, x / 0)
        # or a division by a rounding residue (an SD of 1e-16 where the library sees 0): |x| above 1e12
        ok = all(v is None or isinstance(v, float) and (not math.isfinite(v) or abs(v) > NUMERICALLY_INFINITE)
                 for v in (value, expected))
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        ok = isinstance(value, (int, float)) and (math.isclose(float(value), float(expected), rel_tol=rel, abs_tol=abs_tol)
                                                  or math.isnan(value) and math.isnan(expected))
    else:
        ok = value == expected
    if not ok:
        raise AssertionError(f"Exercise {exercise}: {value!r} is not the analysis' result; look again")
