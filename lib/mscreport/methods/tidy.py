"""Results as tidy pandas DataFrames: one row per statistic.

Every result dataclass of the library (``PairedResult``, ``WelchResult``, ``DoseResult``, ...)
has ``to_frame()``, giving the columns

* ``analysis``: what was computed, from the result's type (``paired``, ``welch``, ``pearson``...);
* ``group``: which patients (the name given; a nested result adds the field it sits in,
  e.g. ``high`` / ``low`` inside a dose result, unless the field is named after the analysis,
  as ``welch``);
* ``statistic``: the field's name (``mean_change``, ``ci_low``, ``p``...);
* ``value``: a float, NaN where the library has None (not computable).

Text fields (methods, notes) are left out. Frames of several results stack with
``pandas.concat``. ``to_frame`` takes a dict too: of results (``analyse_strata``'s
``Strata``: one group per key) or the results.json layout (``compute_results``: ``analysis``
the top-level block, ``group`` the path of keys and list items inside it, dot-joined). The units are those of the result: HbA1c in NGSP %, change = follow-up -
baseline, intervals at 1 - alpha.
"""

from __future__ import annotations

import dataclasses
import math
import re

COLUMNS = ("analysis", "group", "statistic", "value")


def _analysis_name(obj) -> str:
    name = type(obj).__name__.removesuffix("Result")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _number(value) -> float | None:
    """A field as a float, or None when it is not numeric (text, tables, ...)."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        value = value.item()  # a numpy scalar
    if isinstance(value, (int, float)):
        return float(value)
    return None


def tidy_rows(result, group: str = "") -> list[dict]:
    """The rows of ``to_frame`` for a result dataclass (nested results recurse)."""
    rows = []
    analysis = _analysis_name(result)
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if dataclasses.is_dataclass(value):  # e.g. high/low paired results; welch keeps the parent's group
            inner = group if _analysis_name(value) == field.name else ".".join(g for g in (group, field.name) if g)
            rows += tidy_rows(value, inner)
            continue
        if isinstance(value, tuple) and len(value) == 2 and all(_number(v) is not None for v in value):
            for suffix, v in zip(("low", "high") if field.name.endswith("_ci") else ("0", "1"), value):
                rows.append({"analysis": analysis, "group": group, "statistic": f"{field.name}_{suffix}",
                             "value": _number(v)})
            continue
        number = _number(value)
        if number is not None:
            rows.append({"analysis": analysis, "group": group, "statistic": field.name, "value": number})
    return rows


def _item_name(item, i: int) -> str:
    """A list item's name in ``group``: its ``quantity``, ``name`` or ``key`` text, else its index."""
    if isinstance(item, dict):
        for key in ("quantity", "name", "key"):
            if isinstance(item.get(key), str):
                return item[key]
    return str(i)


def mapping_rows(block, analysis: str, path: tuple = ()) -> list[dict]:
    """The rows of a nested dict / list of results.json values: every number (bool as 0/1;
    None as NaN) a row; text left out; a nested result dataclass through ``tidy_rows``."""
    group = ".".join(path)
    if dataclasses.is_dataclass(block) and not isinstance(block, type):
        return tidy_rows(block, group)
    if isinstance(block, dict):
        rows = []
        for key, value in block.items():
            if isinstance(value, (dict, list, tuple)) or dataclasses.is_dataclass(value):
                rows += mapping_rows(value, analysis, (*path, str(key)))
                continue
            number = _number(value)
            if number is not None:
                rows.append({"analysis": analysis, "group": group, "statistic": str(key), "value": number})
        return rows
    if isinstance(block, (list, tuple)):
        rows = []
        for i, item in enumerate(block):
            if isinstance(item, (dict, list, tuple)) or dataclasses.is_dataclass(item):
                rows += mapping_rows(item, analysis, (*path, _item_name(item, i)))
            elif _number(item) is not None:
                rows.append({"analysis": analysis, "group": group, "statistic": str(i), "value": _number(item)})
        return rows
    return []


def dict_rows(results: dict, group: str = "") -> list[dict]:
    """The rows of ``to_frame`` for a dict: of result dataclasses (each key a group, as
    ``Strata``), or of results.json blocks (each top-level key an analysis)."""
    rows = []
    for key, value in results.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            rows += tidy_rows(value, ".".join(g for g in (group, str(key)) if g))
        elif isinstance(value, (dict, list, tuple)):
            rows += mapping_rows(value, str(key), tuple(g for g in (group,) if g))
        elif _number(value) is not None:
            rows.append({"analysis": "", "group": group, "statistic": str(key), "value": _number(value)})
    return rows


def to_frame(result, group: str = ""):
    """A result dataclass, a dict of them (``Strata``) or a results.json dict
    (``compute_results``) as a tidy DataFrame (columns analysis, group, statistic, value)."""
    import pandas as pd

    if isinstance(result, dict):
        rows = dict_rows(result, group)
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        rows = tidy_rows(result, group)
    else:
        raise TypeError(f"to_frame takes a result dataclass or a dict of results, not {type(result).__name__}")
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"value": "float64"})


class TidyResult:
    """Mixin for the library's result dataclasses: ``result.to_frame()``."""

    __slots__ = ()

    def to_frame(self, group: str = ""):
        """This result as a tidy DataFrame: one row per statistic (analysis, group,
        statistic, value); None becomes NaN. See ``mscreport.methods.tidy``."""
        return to_frame(self, group)
