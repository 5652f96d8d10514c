"""Matching a header to a dictionary column by its words: "Follow-up date" is ``followup_date``,
"HbA1c baseline (%)" is ``hba1c_baseline``.

A header that is not a dictionary column once normalised (``readers.normalise_column``) is
tried twice more, each time as the letters and digits of its words run together, lower case:

1. all its words: "Follow-up date" -> ``followupdate`` = ``followup_date``'s;
   "Dose (cells)" -> ``dosecells`` = ``dose_cells``'s;
2. its words outside brackets (a unit in brackets dropped): "HbA1c baseline (%)",
   "HbA1c baseline (mmol/mol)" -> ``hba1cbaseline``.

The words must be the column's, in its order: "Baseline HbA1c" is not matched (its note names
the closest column instead), nor "HbA1c baseline date", "Follow-up" or "HbA1c follow-up 2".
A match is used only when it is unambiguous: the column is not in the file already (by name
or by ``-c``) and no other header matches it. Every header so matched is named in a note.
"""

from __future__ import annotations

import re

from mscreport.core import dictionary as dd
from mscreport.core.errors import Problem

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _run_together(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


_BY_KEY = {_run_together(c): c for c in dd.KNOWN_COLUMNS}


def column_of_words(header: str) -> str | None:
    """The dictionary column a header's words spell (all words, then those outside brackets), or None."""
    for text in (header, _BRACKETS.sub(" ", header)):
        key = _run_together(text)
        if key in _BY_KEY:
            return _BY_KEY[key]
    return None


def match_by_words(names: list[str], headers: list[str], name: str) -> tuple[list[str], list[Problem]]:
    """Column names with the headers matched by their words renamed to their dictionary column,
    and a note for each (``FILE:-:COLUMN: note: ...``)."""
    present = {n for n in names if n in dd.COLUMNS_BY_NAME}
    found: dict[str, list[int]] = {}
    for j, (column, header) in enumerate(zip(names, headers)):
        if column in dd.COLUMNS_BY_NAME:
            continue
        target = column_of_words(str(header))
        if target is not None and target not in present:
            found.setdefault(target, []).append(j)
    names = list(names)
    notes = []
    for target, where in found.items():
        if len(where) != 1:
            continue  # two headers spell the same column: neither is guessed (each gets the unused-column note)
        j = where[0]
        names[j] = target
        notes.append(Problem(name, None, target, f"note: the header {headers[j]!r} is read as {target} (its words); "
                                                 f"if it is not, map the right one with -c {target}=\"HEADER\""))
    return names, notes
