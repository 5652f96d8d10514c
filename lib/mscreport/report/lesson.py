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

import dataclasses
import math

import pandas as pd

from mscreport.core.disclosure import current_policy, group_size, hidden_groups, shown_count, suppressed, too_few

# columns the teaching cells read that a cohort file may lack (they are then empty: the call
# gives its "not computable" result, as the chapter's own analysis does)
STUDY_COLUMNS = ("dose_cells", "dose_group", "msc_source", "followup_months")
MEASUREMENT_COLUMNS = ("patient_id", "months", "years", "hba1c")
# fields that count the values a result is computed from
_SIZE_FIELDS = ("n", "n_nonzero", "n_patients")


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
            value = value.item() if hasattr(value, "item") else value
            count = name in ("n", "df") or name.startswith("n_")
            if current_policy().strict and count and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and float(value).is_integer():
                lines.append((key, shown_count(int(value))))  # a count (n, df) as strict pages show counts
                continue
            lines.append((key, _format(value)))
    return lines


def _sizes(result) -> list:
    if not dataclasses.is_dataclass(result):
        return []
    return [getattr(result, f) for f in _SIZE_FIELDS if hasattr(result, f)]


def describe_result(result, cohort, groups=("overall",), fields=None) -> str:
    """The text ``print_result`` prints: the result's type and its fields, one per line; or,
    when the disclosure rule hides one of ``groups`` (``overall``, ``moderate``, ``severe``,
    ``high``, ``low``) or the result counts 1 or 2 values, only that it is suppressed. None
    (a result the data cannot give) is said as such."""
    if result is None:
        return "None: this cohort cannot give this result (the text above says why)."
    name = type(result).__name__
    hidden = set(hidden_groups(cohort.frame)) & set(groups)
    small = [n for n in _sizes(result) if too_few(n)]
    if hidden or small:
        which = ", ".join(sorted(hidden)) or "this result"
        return f"{name}: {suppressed(small[0] if small else group_size(cohort.frame, sorted(hidden)[0]))} for {which}; results.json has it."
    lines = result_lines(result, fields)
    width = max((len(k) for k, _ in lines), default=0)
    return "\n".join([f"{name}:"] + [f"  {k.ljust(width)}  {v}" for k, v in lines])


def print_result(result, cohort, groups=("overall",), fields=None) -> None:
    """Print a statistical result as a student inspecting it sees it, aggregates only and
    suppressed by the pages' rule (see ``describe_result``)."""
    print(describe_result(result, cohort, groups, fields))
