"""readers.read_arrow_csv (a plain CSV file read by pyarrow into Arrow text columns) must give
the table the general path gives (pandas' C parser or csv.reader, the oracle here: the fast
path switched off), and the validated cohort must be the same to the last cell, dtype, row
number, exclusion, note and message; a file that is not plain must take the general path.
Also the vectorised helpers of validators.py against what they replace."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mscreport.inputs import readers, validators
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.readers import read_cohort_file

HEADER = "patient_id,hba1c_baseline,hba1c_followup,dose_cells,msc_source,followup_months"
ROWS = ["P-001,8.4,7.5,1e9,bone_marrow,12", "P-002,7.1,6.8,5e8,umbilical_cord,6",
        "P-003,9.2,,2e8,adipose,24", "P-004,6.9,6.0,,bone_marrow,", "P-005,10.5,8.1,1.5e9,umbilical_cord,12",
        "P-006,,7.0,3e8,,3", "P-007,5.9,5.8,1e9,bone_marrow,12", "P-008,7.7,7.0,8e8,adipose,9"]


def _csv(lines, sep=",", newline="\n", trailing=True) -> str:
    text = newline.join(line.replace(",", sep) for line in lines)
    return text + newline if trailing else text


# name -> the file's bytes; every one a file the fast path reads (plain)
PLAIN = {
    "comma": _csv([HEADER, *ROWS]).encode(),
    "no final newline": _csv([HEADER, *ROWS], trailing=False).encode(),
    "semicolon": _csv([HEADER, *ROWS], sep=";").encode(),
    "semicolon decimal commas": _csv([HEADER, *ROWS], sep=";").replace("8.4", "8,4").replace("7.5", "7,5").encode(),
    "tab": _csv([HEADER, *ROWS], sep="\t").encode(),
    "crlf": _csv([HEADER, *ROWS], newline="\r\n").encode(),
    "trailing separators": _csv([HEADER + ",", *(r + "," for r in ROWS)]).encode(),
    "unnamed column with values": _csv([HEADER + ",", *(r + ",x" for r in ROWS)]).encode(),
    "rows of only separators and spaces": _csv([HEADER, ROWS[0], ",,,,,", ROWS[1], " , ,\t, ,\u3000,", *ROWS[2:]]).encode(),
    "empty cells and spaces": _csv([HEADER, *ROWS, "P-009, 8.0 ,  7.1,,  ,", "  P-010  ,8.1,7.2,1e9,adipose,12"]).encode(),
    "non-ASCII": _csv([HEADER + ",note", *(r + ",Müller été" for r in ROWS), "Pé-011,8.0,7.0,1e9,adipose,12,ß"]).encode(),
    "duplicate and look-alike ids": _csv([HEADER, *ROWS, "P-001,8.0,7.0,1e9,adipose,12", "p-002,8.0,7.0,1e9,adipose,12",
                                         "P-0\u200b03,8.0,7.0,1e9,adipose,12"]).encode(),
    "bad cells": _csv([HEADER, *ROWS, "P-020,n/a,7.0,1.5 billion,marrow,12", "P-021,75,7.0,1e9,adipose,-3",
                       "P-022,8.0,7.0,0.5,adipose,12"]).encode(),
    "notes only": _csv([HEADER + ",comment,sex,age_years,bmi", *(r + ",ok,F,54,27.5" for r in ROWS),
                        "P-030,8.0,7.0,1e9,bone_marrow,12,x,female,n/a,31.5", "p-001,8.0,7.0,1e9, Bone Marrow ,12,,x,40,",
                        "P-031,8.0,7.0,1e9,umbilical cord,12,y,M,61 years,22"]).encode(),
    "header spelled differently": _csv(["Patient ID,HbA1c Baseline,hba1c-followup,dose_cells,MSC Source,followup_months",
                                        *ROWS]).encode(),
    "unknown and duplicate columns": _csv([HEADER + ",extra,dose_cells", *(r + ",1,2" for r in ROWS)]).encode(),
    "empty ids": _csv([HEADER, *ROWS, ",8.0,7.0,1e9,adipose,12"]).encode(),
    "header only": _csv([HEADER]).encode(),
    "blank lines": _csv([HEADER, ROWS[0], "", ROWS[1], "", "", *ROWS[2:], ""]).encode(),
    "blank lines crlf": _csv([HEADER, ROWS[0], "", ROWS[1], "", *ROWS[2:]], newline="\r\n").encode(),
    "long ids": _csv([HEADER, *(f"{'X' * 30}{i},8.{i},7.0,1e9,adipose,12" for i in range(9)),
                      f"{'x' * 30}3,8.0,7.0,1e9,adipose,12"]).encode(),
}
# files the fast path must leave to the general path
NOT_PLAIN = {
    "quotes": _csv([HEADER, '"P-001",8.4,7.5,1e9,bone_marrow,12', *ROWS[1:]]).encode(),
    "BOM": b"\xef\xbb\xbf" + PLAIN["comma"],
    "cp1252": _csv([HEADER + ",note", *(r + ",Müller" for r in ROWS)]).encode("cp1252"),
    "blank first line": _csv(["", HEADER, *ROWS]).encode(),
    "bare CR": _csv([HEADER, *ROWS], newline="\r").encode(),
    "ragged short row": _csv([HEADER, ROWS[0], "P-002,7.1", *ROWS[2:]]).encode(),
    "ragged long row": _csv([HEADER, ROWS[0], "P-002,7,1,6.8,5e8,umbilical_cord,6", *ROWS[2:]]).encode(),
    "NUL": PLAIN["comma"].replace(b"P-003", b"P-\x0003"),
    "UTF-16": _csv([HEADER, *ROWS]).encode("utf-16"),
    "header with a form feed": _csv([HEADER + "\x0cx", *ROWS]).encode(),
}


def _general(monkeypatch):
    monkeypatch.setattr(readers, "read_arrow_csv", lambda data: None)


def _write(tmp_path, name, data) -> str:
    path = tmp_path / (name.replace(" ", "_") + ".csv")
    path.write_bytes(data)
    return str(path)


def _outcome(path):
    """Everything read_cohort_file and load_cohort give: tables, or the messages of the error."""
    try:
        raw = read_cohort_file(path)
    except InputError as exc:
        return ("read error", [str(p) for p in exc.problems]), None
    try:
        cohort = load_cohort(path)
    except InputError as exc:
        return raw, ("error", [str(p) for p in exc.problems])
    return raw, cohort


def _same_raw(fast, slow):
    assert (fast.path, fast.sha256, fast.header_row, fast.headers) == (slow.path, slow.sha256, slow.header_row, slow.headers)
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert fast.frame.index.equals(slow.frame.index) and fast.frame.index.name == slow.frame.index.name == "row"
    assert fast.frame.index.dtype == slow.frame.index.dtype
    for j in range(fast.frame.shape[1]):  # cell by cell, as text; the fast path's as what .astype("string") makes
        a, b = fast.frame.iloc[:, j], slow.frame.iloc[:, j]
        assert a.tolist() == b.tolist()
        pd.testing.assert_series_equal(a, b.astype("string"))


def _same_cohort(fast, slow):
    if isinstance(slow, tuple):
        assert fast == slow
        return
    assert slow.frame.shape[0] > 0
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert dict(fast.frame.dtypes) == dict(slow.frame.dtypes)
    for f in dataclasses.fields(slow):
        if f.name not in ("frame", "longitudinal"):
            assert getattr(fast, f.name) == getattr(slow, f.name), f.name


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_file_takes_the_fast_path_and_gives_what_the_general_path_gives(name, tmp_path, monkeypatch):
    path = _write(tmp_path, name, PLAIN[name])
    assert readers.read_arrow_csv(PLAIN[name]) is not None  # the fast path cannot silently rot
    fast_raw, fast = _outcome(path)
    if not isinstance(fast_raw, tuple):
        assert all(isinstance(fast_raw.frame[c].array, pd.arrays.ArrowStringArray) for c in fast_raw.frame.columns)
    _general(monkeypatch)
    slow_raw, slow = _outcome(path)
    if isinstance(slow_raw, tuple):
        assert fast_raw == slow_raw
        return
    assert all(slow_raw.frame[c].dtype == object for c in slow_raw.frame.columns)
    _same_raw(fast_raw, slow_raw)
    _same_cohort(fast, slow)


@pytest.mark.parametrize("name", sorted(NOT_PLAIN))
def test_a_file_that_is_not_plain_takes_the_general_path(name, tmp_path):
    assert readers.read_arrow_csv(NOT_PLAIN[name]) is None
    raw, _ = _outcome(_write(tmp_path, name, NOT_PLAIN[name]))
    if not isinstance(raw, tuple):
        assert not any(isinstance(raw.frame[c].array, pd.arrays.ArrowStringArray) for c in raw.frame.columns)


def test_the_bundled_kind_of_file_gives_the_same_cohort_on_both_paths(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    n = 3000
    lines = [HEADER] + [f"ID-{i:05d},{rng.uniform(6, 11):.1f},{rng.uniform(5, 10):.1f},{rng.choice(['1e8', '5e8', '2e9', ''])},"
                        f"{rng.choice(['bone_marrow', 'adipose', 'umbilical_cord', ''])},{rng.integers(1, 60)}" for i in range(n)]
    path = _write(tmp_path, "big", _csv(lines).encode())
    fast_raw, fast = _outcome(path)
    _general(monkeypatch)
    slow_raw, slow = _outcome(path)
    _same_raw(fast_raw, slow_raw)
    _same_cohort(fast, slow)


def test_space_codepoints_are_pythons_whitespace():
    assert readers.SPACE_CODEPOINTS == tuple(i for i in range(0x110000) if chr(i).isspace())


@pytest.mark.parametrize("cells", [["", " ", "\t", "\u3000", "\u2028 ", " a", "a ", "\u200b", "x"],
                                   ["\x1c", "\x85", "\xa0\xa0", "\ufeff", "-"]])
def test_has_text_is_the_same_for_arrow_and_object_cells(cells):
    expected = np.array([bool(c.strip()) for c in cells])
    assert (readers._has_text(pd.Series(cells, dtype=object)) == expected).all()
    assert (readers._has_text(pd.Series(cells, dtype="string[pyarrow]")) == expected).all()


def test_plain_numbers_of_arrow_cells_are_those_of_object_cells():
    rng = np.random.default_rng(3)
    cells = [f"{x:.{rng.integers(0, 4)}f}" for x in rng.uniform(0.5, 100, 5000)] + ["", "1e9", "2E-6", ".5", "7."]
    a = validators.parse_plain_numbers(pd.Series(cells, dtype=object))
    b = validators.parse_plain_numbers(pd.Series(cells, dtype="string[pyarrow]"))
    assert a is not None and np.array_equal(a.view("u8"), b.view("u8"))
    assert validators.parse_plain_numbers(pd.Series(["7,5", "1"], dtype="string[pyarrow]")) is None


def test_no_shared_key_is_never_claimed_for_ids_that_share_one():
    rng = np.random.default_rng(11)
    for _ in range(300):
        ids = ["".join(rng.choice(list("aAbB1_-é "), rng.integers(0, 20))) for _ in range(rng.integers(1, 40))]
        s = pd.Series(ids, dtype="string")
        if validators._no_shared_key(s):
            assert not validators._lookalike_key(s).duplicated().any(), ids
    assert validators._no_shared_key(pd.Series([f"BENCH-{i:07d}" for i in range(5000)], dtype="string"))
    assert not validators._no_shared_key(pd.Series(["Abc-12345678", "aBC-12345678"], dtype="string"))
    assert not validators._no_shared_key(pd.Series(["ab", "ab"], dtype=object))  # not known: compared the slow way


def test_select_rows_is_loc_and_reset_index():
    out = pd.DataFrame({"row": np.arange(1, 7), "patient_id": pd.Series(list("abcdef"), dtype="string"),
                        "x": np.linspace(0, 1, 6), "c": pd.Series(["u", None, "v", "w", None, "u"], dtype=object)})
    for mask in (np.array([True, False, True, True, False, True]), np.ones(6, bool), np.zeros(6, bool)):
        expected = out.loc[mask].reset_index(drop=True)
        pd.testing.assert_frame_equal(validators._select_rows(out.copy(), mask), expected)


@pytest.mark.parametrize("distinct", [20, 100_000])
def test_plain_numbers_decide_as_the_regular_expression_on_every_cell(distinct):
    """Few distinct cells (checked and cast per distinct cell) or many (per cell): the same
    decision as the expression on every cell, and the same doubles as the object path."""
    import re

    rng = np.random.default_rng(5)
    alphabet = list("0123456789") * 2 + list(".eE+-") * 2 + ["x", " ", "é", ","]
    pool = ["".join(rng.choice(alphabet, rng.integers(0, 16))) for _ in range(distinct)]
    pattern = re.compile(validators.PLAIN_NUMBER)
    plain = [c for c in pool if c == "" or (pattern.match(c) and len(c) <= validators.PLAIN_MAX_CHARS
                                            and not (c.startswith("-") and float(c) == 0))]
    allowed = set(plain)
    odd = [c for c in pool if c not in allowed]
    assert len(plain) > 3 and odd
    for cells in (rng.choice(plain, 100_000).tolist(), rng.choice(plain, 100_000).tolist() + [odd[0]],
                  [odd[-1]] + rng.choice(plain, 100_000).tolist(), rng.choice(plain, 50).tolist()):
        text = pd.Series(["header"] + cells, dtype="string[pyarrow]").iloc[1:]  # sliced, as read
        got = validators.parse_plain_numbers(text)
        assert (got is not None) == all(c in allowed for c in cells)
        if got is not None:
            want = validators.parse_plain_numbers(pd.Series(cells, dtype=object))
            assert np.array_equal(got.view("u8"), want.view("u8"))


@pytest.mark.parametrize("cells", [["a", "b c", "", "x"], [" a", "b"], ["a ", "b"], ["a\u3000", "b"], ["\u3000a", "b"],
                                   ["é", "a"], ["a\t", "b"], ["", ""], ["ab\u200b", "c"]])
def test_text_is_stripped_text_whether_or_not_a_copy_is_made(cells):
    for dtype in ("string[pyarrow]", object):
        frame = pd.DataFrame({"c": pd.Series(["header", *cells], dtype=dtype)}).iloc[1:]  # sliced, as read
        got = validators.text_cells(frame, "c")
        pd.testing.assert_series_equal(got, frame["c"].astype("string").fillna("").str.strip().reset_index(drop=True))
    plain = all(c == "" or (c[0].isascii() and c[-1].isascii() and c[0].isprintable() and c[-1].isprintable()
                            and not c[0].isspace() and not c[-1].isspace()) for c in cells)
    assert validators._nothing_to_strip(pd.Series(cells, dtype="string[pyarrow]")) == plain


def _sliced_chunks(cells, size=3):
    """An Arrow-backed text Series of ``cells`` in several sliced chunks, as the reader gives."""
    import pyarrow as pa

    whole = pa.array(["header", *cells], pa.large_string())
    chunks = [whole.slice(1 + i, size) for i in range(0, len(cells), size)] or [whole.slice(1, 0)]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, pa.large_string())))


@pytest.mark.parametrize("cells", [["a", " a", "", "\u3000", "x ", "\t", "é", " ", "b", "\x1c", "-", "\u2028"], ["", ""], []])
def test_has_text_of_chunked_arrow_cells(cells):
    expected = np.array([bool(c.strip()) for c in cells], dtype=bool)
    assert (readers._has_text(_sliced_chunks(cells)) == expected).all()


@pytest.mark.parametrize("cells", [["bone marrow", "", "adipose", "bone marrow", "Adipose", "é", ""], ["x"], []])
def test_factorize_text_gives_codes_of_the_cells(cells):
    for text in (_sliced_chunks(cells), pd.Series(cells, dtype=object).astype("string")):
        codes, distinct = validators._factorize_text(text)
        assert [distinct[k] for k in codes] == cells
        assert sorted(distinct) == sorted(set(cells))
