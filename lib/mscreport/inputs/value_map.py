"""Mapping the values of a column: ``--values msc_source=UC-MSC:umbilical_cord``.

A clinic's export names things its own way ("UC-MSC", "Placebo arm"); a value mapping
rewrites those cells before any check, so the usual checks then apply to the value mapped to.
Given on the command line (``--values COLUMN=FROM:TO``, repeatable) or in the ``--columns``
YAML file under ``values:``::

    values:
      msc_source:
        UC-MSC: umbilical_cord
        BM-MSC: bone_marrow

COLUMN is a column as the analysis names it (a dictionary column, after ``-c`` and header
matching); FROM matches a cell whose text, without surrounding spaces and ignoring case, is
FROM; TO replaces it (an empty TO makes the cell missing). The last ``:`` of an item separates
FROM from TO. A FROM that no cell holds is a note (a misspelling shows), a COLUMN the file does
not have is an error.
"""

from __future__ import annotations

import difflib

from mscreport.core.errors import Problem

WHERE = "--values"


def parse_value_items(items, where: str = WHERE) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """``COLUMN=FROM:TO`` items -> {column: {from: to}} (later items win), with problems for
    malformed items."""
    mapping: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for item in items:
        column, sep, rest = str(item).partition("=")
        column = column.strip()
        source, colon, target = rest.rpartition(":")
        if not sep or not colon or not column:
            problems.append(Problem(where, None, column or None,
                                    f"{item!r}: expected COLUMN=FROM:TO, e.g. --values msc_source=UC-MSC:umbilical_cord"))
            continue
        source, target = _unquote(source), _unquote(target)
        if not source:
            problems.append(Problem(where, None, column, f"{item!r}: the value to replace (before ':') is empty"))
            continue
        mapping.setdefault(column, {})[source] = target
    return mapping, problems


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def parse_value_section(section, where: str) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """The ``values:`` section of a column-map YAML file -> {column: {from: to}}."""
    if not isinstance(section, dict):
        return {}, [Problem(where, None, "values", "values: expected COLUMN: then FROM: TO lines under it")]
    mapping: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for column, pairs in section.items():
        if not isinstance(pairs, dict) or not pairs:
            problems.append(Problem(where, None, str(column), f"values: {column}: expected FROM: TO lines under it, "
                                                              "e.g. UC-MSC: umbilical_cord"))
            continue
        for source, target in pairs.items():
            if isinstance(source, bool) or isinstance(target, (bool, dict, list)) or not str(source).strip():
                problems.append(Problem(where, None, str(column), f"values: {column}: {source!r}: {target!r}: give "
                                                                  "the value as written and what it means, as text"))
                continue
            mapping.setdefault(str(column).strip(), {})[str(source).strip()] = "" if target is None else str(target).strip()
    return mapping, problems


def _key(cells):
    """Cells as compared with FROM: text without surrounding spaces, case folded."""
    return cells.astype("string").fillna("").str.strip().str.casefold()


def apply_value_map(frame, mapping: dict[str, dict[str, str]], name: str) -> tuple[object, list[Problem], list[Problem]]:
    """(frame with the cells mapped, problems, notes). Only the columns named are touched
    (as text); problems for a column the file does not have, notes for a FROM no cell holds.
    ``frame``: a pandas DataFrame (pandas is imported by the caller, not here: ``column_map``
    imports this module before any heavy library)."""
    problems: list[Problem] = []
    notes: list[Problem] = []
    if not mapping:
        return frame, problems, notes
    import numpy as np

    for column, pairs in mapping.items():
        if column not in frame.columns:
            near = next(iter(difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1)), None)
            hint = f"; the closest is {near}" if near else ""
            problems.append(Problem(WHERE, None, column, f"--values names the column {column!r}, which {name} does "
                                                         f"not have (after mapping its headers){hint}"))
            continue
        cells = frame[column]
        keys = _key(cells)
        lookup = {source.casefold(): target for source, target in pairs.items()}
        hit = keys.isin(list(lookup)).to_numpy(dtype=bool)
        found = set(keys[hit].unique()) if hit.any() else set()
        for source in pairs:
            if source.casefold() not in found:
                notes.append(Problem(WHERE, None, column, f"note: no cell of {column} reads {source!r}: "
                                                          f"--values {column}={source}:{pairs[source]} changed nothing"))
        if hit.any():
            text = cells.astype("string").fillna("")
            mapped = keys[hit].map(lookup)
            text = text.copy()
            text.iloc[np.flatnonzero(hit)] = mapped.to_numpy(dtype=object)
            frame = frame.assign(**{column: text.astype(object) if cells.dtype == object else text})
    return frame, problems, notes
