"""validators.parse_plain_numbers (pyarrow's cast for columns of plain decimals) must give
exactly the doubles of the general path (pd.to_numeric, the oracle here), bit for bit, and
hand every other column to that path (None)."""

import functools
import re

import numpy as np
import pandas as pd
import pytest

from mscreport.inputs import validators as v


def _to_numeric(cells):
    """The general path's parse: stripped text, empty -> NaN, pd.to_numeric."""
    text = pd.Series(cells, dtype=object).astype("string").fillna("").str.strip()
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64").to_numpy()


@functools.lru_cache(maxsize=None)
def _random_plain_cells(seed, n=80_000):
    rng = np.random.default_rng(seed)
    alphabet = list("0123456789") * 3 + list(".eE+-")
    cells = ["".join(rng.choice(alphabet, rng.integers(1, v.PLAIN_MAX_CHARS + 1))) for _ in range(n)]
    plain = re.compile(v.PLAIN_NUMBER)
    return tuple(c for c in cells if plain.match(c) and not (c.startswith("-") and float(c) == 0))


@pytest.mark.parametrize("integers_only", [False, True])
def test_plain_cells_parse_to_the_same_doubles_as_to_numeric(integers_only):
    cells = list(_random_plain_cells(1))
    if integers_only:  # pandas parses an all-integer column through int64
        cells = [c for c in cells if re.fullmatch(r"[+-]?[0-9]+", c)]
    cells += ["", "7.5", "1.5e9", "2E-6", ".5", "7.", "+6.2", "123456789012345", "0.1", "1e22", "9e-9"]
    assert len(cells) > 20_000
    got = v.parse_plain_numbers(pd.Series(cells, dtype=object))
    assert got is not None
    assert np.array_equal(got.view("u8"), _to_numeric(cells).view("u8"))  # bit for bit, NaN for ""


@pytest.mark.parametrize("cell", ["7,5", " 7.5", "7.5 %", "n/a", "1e23", "1e-10", "1234567890123456", "-0", "-0.0",
                                  "nan", "inf", "0x10", "1_000", "."])
def test_other_cells_take_the_general_path(cell):
    """Decimal commas, spaces, units, markers, exponents beyond 1e22 / 1e-9, more than 15
    characters, negative zero, nan/inf: None, so parse_numbers words them or parses them."""
    assert v.parse_plain_numbers(pd.Series(["7.5", cell, ""], dtype=object)) is None


def test_parse_numbers_is_unchanged_for_a_plain_column():
    cells = ["7.5", "", "8.25", "1e3"]
    values, problems = v.parse_numbers(pd.Series(cells, dtype=object, name="hba1c_baseline"), "f.csv", "hba1c_baseline")
    assert problems == [] and values.name == "hba1c_baseline"
    assert np.array_equal(values.to_numpy().view("u8"), _to_numeric(cells).view("u8"))


@pytest.mark.parametrize("cells", [[b"7.5", "7.5"], [7.5, "7.5"], [pd.Timestamp("2020-01-01"), "7"], [True, "7"]])
def test_cells_that_are_not_text_take_the_general_path(cells):
    """Bytes (a Parquet binary column), numbers or dates among text cells (a spreadsheet)."""
    assert v.parse_plain_numbers(pd.Series(cells, dtype=object)) is None
