"""Where every row goes: read -> analysed | excluded (with a reason) | refused (named problem).

Property-based: random mixtures of valid rows, rows to be excluded and, separately, invalid
rows, written as comma- or semicolon-separated files (the latter with decimal commas), with
blank lines sprinkled in. Invariants (lib/mscreport/inputs/cohort.py):

* no invalid row: rows_read == rows_analysed + len(excluded), and every non-blank row number
  appears exactly once, either in ``cohort.frame['row']`` or in ``cohort.excluded``;
* some invalid rows: InputError, every invalid row is named, and no valid row is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.validators import REASON_BELOW_MIN, REASON_NO_BASELINE, REASON_NO_FOLLOWUP, REASON_NO_HBA1C

COLUMNS = ["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months"]
MODERATE_MIN = 6.2

tenths = lambda lo, hi: st.integers(int(round(lo * 10)), int(round(hi * 10))).map(lambda t: t / 10)  # noqa: E731
doses = st.sampled_from(["1e8", "2e8", "5e8", "1e9", "1.5e9", "2e9", ""])
sources = st.sampled_from(["umbilical_cord", "UC", "bm", "Bone_Marrow", "AD", "at", "adipose", ""])
months = st.one_of(st.integers(0, 120).map(str), st.just(""))


@st.composite
def valid_row(draw):
    return {"kind": "valid", "hba1c_baseline": draw(tenths(MODERATE_MIN, 14.0)),
            "hba1c_followup": draw(tenths(4.0, 14.0)), "dose_cells": draw(doses),
            "msc_source": draw(sources), "followup_months": draw(months)}


@st.composite
def no_followup_row(draw):
    row = draw(valid_row())
    return {**row, "kind": "no_followup", "hba1c_followup": ""}


@st.composite
def below_min_row(draw):
    row = draw(valid_row())
    followup = draw(st.one_of(tenths(4.0, 14.0), st.just("")))
    return {**row, "kind": "below_min", "hba1c_baseline": draw(tenths(3.0, 6.1)), "hba1c_followup": followup}


@st.composite
def no_baseline_row(draw):
    row = draw(valid_row())
    followup = draw(st.one_of(tenths(4.0, 14.0), st.just("")))
    return {**row, "kind": "no_baseline" if followup != "" else "no_hba1c", "hba1c_baseline": "",
            "hba1c_followup": followup}


EXCLUDED_KINDS = ("no_followup", "below_min", "no_baseline", "no_hba1c")
INVALID_KINDS = ["non_numeric_baseline", "empty_id", "duplicate_id", "baseline_implausible",
                 "followup_implausible", "dose_zero", "dose_negative", "dose_in_billions", "unknown_source",
                 "negative_months", "non_numeric_months"]


@st.composite
def invalid_row(draw):
    row = draw(valid_row())
    kind = draw(st.sampled_from(INVALID_KINDS))
    row["kind"] = kind
    if kind == "non_numeric_baseline":
        row["hba1c_baseline"] = draw(st.sampled_from(["seven", "7.5%", "NA", "?", "7..5"]))
    elif kind == "baseline_implausible":
        row["hba1c_baseline"] = draw(st.sampled_from([0.5, 25.0, 58.0, 300.0]))
    elif kind == "followup_implausible":
        row["hba1c_followup"] = draw(st.sampled_from([1.0, 21.0, 48.0]))
    elif kind == "dose_zero":
        row["dose_cells"] = "0"
    elif kind == "dose_negative":
        row["dose_cells"] = "-1e9"
    elif kind == "dose_in_billions":
        row["dose_cells"] = draw(st.sampled_from(["1.5", "2", "0.5"]))
    elif kind == "unknown_source":
        row["msc_source"] = draw(st.sampled_from(["liver", "cord blood", "xx"]))
    elif kind == "negative_months":
        row["followup_months"] = draw(st.sampled_from(["-1", "-24"]))
    elif kind == "non_numeric_months":
        row["followup_months"] = "three years"
    return row


def _cell(value, decimal_comma: bool) -> str:
    text = value if isinstance(value, str) else f"{value:g}"
    return text.replace(".", ",") if decimal_comma else text


def write_cohort(rows: list[dict], blanks: list[bool], semicolon: bool, folder: Path) -> tuple[Path, dict[int, dict]]:
    """Write rows (with a blank line before those flagged); return the path and {row number: row}."""
    sep = ";" if semicolon else ","
    lines = [sep.join(COLUMNS)]
    numbered: dict[int, dict] = {}
    ids_so_far: list[str] = []
    k = 0
    for i, (row, blank) in enumerate(zip(rows, blanks)):
        if blank:
            lines.append("")
            k += 1  # a blank line keeps its place in the numbering
        k += 1
        pid = f"P{i + 1:03d}"
        if row["kind"] == "empty_id":
            pid = ""
        elif row["kind"] == "duplicate_id":
            if ids_so_far:
                pid = ids_so_far[0]
            else:  # nothing to duplicate yet: make it another kind of invalid row
                row = {**row, "kind": "non_numeric_baseline", "hba1c_baseline": "seven"}
        if pid and row["kind"] != "duplicate_id":
            ids_so_far.append(pid)
        cells = [pid] + [_cell(row[c], semicolon) for c in COLUMNS[1:]]
        lines.append(sep.join(cells))
        numbered[k] = row
    path = folder / ("cohort_semicolon.csv" if semicolon else "cohort.csv")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, numbered


good_rows = st.lists(st.one_of(valid_row(), no_followup_row(), below_min_row(), no_baseline_row()), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=good_rows, data=st.data(), semicolon=st.booleans())
def test_every_row_is_analysed_or_excluded_exactly_once(rows, data, semicolon):
    blanks = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    with tempfile.TemporaryDirectory() as folder:
        path, numbered = write_cohort(rows, blanks, semicolon, Path(folder))
        if not any(r["kind"] == "valid" for r in rows):
            with pytest.raises(InputError) as info:
                load_cohort(path, {"inclusion_min": str(MODERATE_MIN)})
            assert "no patient left to analyse" in str(info.value)
            return
        cohort = load_cohort(path, {"inclusion_min": str(MODERATE_MIN)})
    analysed = cohort.frame["row"].tolist()
    excluded = [e.row for e in cohort.excluded]
    assert cohort.rows_read == len(rows)
    assert cohort.rows_read == cohort.rows_analysed + len(cohort.excluded)
    assert sorted(analysed + excluded) == sorted(numbered)  # each non-blank row exactly once
    assert len(set(analysed + excluded)) == len(analysed) + len(excluded)
    expected_reason = {"below_min": REASON_BELOW_MIN.format(MODERATE_MIN), "no_followup": REASON_NO_FOLLOWUP,
                       "no_baseline": REASON_NO_BASELINE, "no_hba1c": REASON_NO_HBA1C}
    for e in cohort.excluded:
        assert e.reason == expected_reason[numbered[e.row]["kind"]]
    for r in analysed:
        assert numbered[r]["kind"] == "valid"
    # the values survived the trip (decimal commas included), in NGSP %
    by_row = cohort.frame.set_index("row")
    for r in analysed:
        assert by_row.loc[r, "hba1c_baseline"] == pytest.approx(numbered[r]["hba1c_baseline"])
        assert by_row.loc[r, "change"] == pytest.approx(numbered[r]["hba1c_followup"] - numbered[r]["hba1c_baseline"])
        assert by_row.loc[r, "stratum"] == ("severe" if numbered[r]["hba1c_baseline"] > 8.0 else "moderate")


@settings(max_examples=60, deadline=None)
@given(good=st.lists(st.one_of(valid_row(), no_followup_row(), below_min_row(), no_baseline_row()), max_size=20),
       bad=st.lists(invalid_row(), min_size=1, max_size=10), data=st.data(), semicolon=st.booleans())
def test_every_invalid_row_is_named(good, bad, data, semicolon):
    rows = data.draw(st.permutations(good + bad))
    blanks = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    with tempfile.TemporaryDirectory() as folder:
        path, numbered = write_cohort(list(rows), blanks, semicolon, Path(folder))
        with pytest.raises(InputError) as info:
            load_cohort(path, {"inclusion_min": str(MODERATE_MIN)})
    named = {p.row for p in info.value.problems}
    invalid = {k for k, r in numbered.items() if r["kind"] not in ("valid", *EXCLUDED_KINDS)}
    assert invalid <= named, f"rows {sorted(invalid - named)} not named in:\n{info.value}"
    assert named <= invalid, f"valid rows {sorted(named - invalid)} named in:\n{info.value}"
    for p in info.value.problems:
        assert str(p).startswith(f"{path}:{p.row}:{p.column}: ")
        assert p.column is not None  # each cell problem names its column
