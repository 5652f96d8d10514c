"""Reading the first sheet of an XLSX workbook within limits, as text-like cells.

A workbook is a zip archive of XML parts; a few kilobytes can declare a sheet of 17 billion
cells, and a megabyte can unpack to gigabytes. So, before the sheet is parsed:

* the zip directory's uncompressed sizes: the whole workbook at most ``MAX_UNPACKED_BYTES``,
  the shared strings at most ``MAX_STRINGS_BYTES``, every other part that is not a worksheet
  at most ``MAX_PART_BYTES`` (``zipfile`` stops at the size its directory declares, so a part
  cannot unpack to more than its entry says);
* the sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``): at most
  ``MAX_CELLS`` cells.

The sheet is then parsed as a stream, one cell at a time (no tree of the sheet is held), and
the cells and rows actually met are counted against the same limits, for a sheet that declares
no dimension or a false one. Cell values are openpyxl's (``WorkSheetParser.parse_cell``: shared
strings, numbers, booleans, dates from the cell's number format); the value stored with a
formula is read, and a formula cell without a stored value is an error naming the cell (the
workbook was saved by a program that does not calculate, and its value is unknown, not
missing). An error cell (``#DIV/0!``) reads as its text, so the column's check names it;
``#N/A`` reads as missing.

Rows and columns are 1-based spreadsheet numbers here; ``sheet_records`` returns one list of
cells per spreadsheet row from row 1 (a blank row as an empty list), for
``readers._table_from_records``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, iterparse

from mscreport.core.errors import InputError, Problem

MAX_UNPACKED_BYTES = 256 << 20  # the whole workbook, unpacked
MAX_STRINGS_BYTES = 64 << 20  # xl/sharedStrings.xml, read whole by openpyxl
MAX_PART_BYTES = 16 << 20  # any other part that is not a worksheet (styles, workbook, relations)
MAX_CELLS = 10_000_000  # rows x columns of the sheet, declared or met (1,000,000 patients x 10 columns)
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's own sheet
TOO_BIG = "save the sheet as CSV (File > Save As > CSV UTF-8), which mscreport reads without this limit"

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _FORMULA, _VALUE, _DATA = f"{_NS}row", f"{_NS}c", f"{_NS}f", f"{_NS}v", f"{_NS}sheetData"


@dataclass(frozen=True)
class FormulaCell:
    """A formula cell without a stored value: spreadsheet row and column (1-based), its
    reference (``C5``) and formula text (may be empty for a shared formula)."""

    row: int
    column: int
    ref: str
    formula: str


def _fail(name: str, message: str) -> InputError:
    return InputError([Problem(name, None, None, message)])


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def check_unpacked_sizes(archive: zipfile.ZipFile, name: str) -> None:
    """InputError when the zip directory says the workbook, its shared strings or another
    part unpacks to more than its limit (nothing is unpacked to find out)."""
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _fail(name, f"this workbook unpacks to {_mib(total)} (its zip directory says so), more than the "
                          f"{_mib(MAX_UNPACKED_BYTES)} mscreport reads from a workbook: {TOO_BIG}")
    for info in infos:
        part = info.filename.lower()
        limit = (MAX_STRINGS_BYTES if part.endswith("sharedstrings.xml")
                 else None if part.startswith("xl/worksheets/") else MAX_PART_BYTES)
        if limit is not None and info.file_size > limit:
            raise _fail(name, f"the workbook's part {info.filename!r} unpacks to {_mib(info.file_size)}, more than "
                              f"the {_mib(limit)} mscreport reads: {TOO_BIG}")


def check_declared_dimension(ws, name: str) -> None:
    """InputError when the sheet's declared dimension holds more than ``MAX_CELLS`` cells."""
    rows, columns = ws.max_row, ws.max_column  # from <dimension>, read by openpyxl without parsing the rows
    if not rows or not columns:
        return
    if rows * columns > MAX_CELLS:
        from openpyxl.utils import get_column_letter

        ref = f"A1:{get_column_letter(columns)}{rows}"
        raise _fail(name, f"the first sheet declares {rows:,} rows x {columns:,} columns ({ref}), more than the "
                          f"{MAX_CELLS:,} cells mscreport reads from a workbook: delete the unused rows and columns "
                          f"after the data, or {TOO_BIG}")


def _too_many(name: str, what: str) -> InputError:
    return _fail(name, f"the first sheet holds {what}, more than mscreport reads from a workbook: {TOO_BIG}")


def _stream_cells(source, parser, name: str):
    """(spreadsheet row, column, value, formula cell or None) of every cell of a sheet,
    parsed as a stream: each cell is dropped from the tree once read, each row once ended."""
    rows_met = cells_met = 0
    row_number = 0
    row_element = data_element = None
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _ROW:
                given = element.get("r")
                row_number = int(given) if given else row_number + 1
                if row_number > MAX_ROWS:
                    raise _too_many(name, f"a row numbered {row_number:,}")
                rows_met += 1
                parser.row_counter, parser.col_counter = row_number, 0
                row_element = element
            elif tag == _DATA:
                data_element = element
            continue
        if tag == _CELL:
            cell = parser.parse_cell(element)
            cells_met += 1
            if cells_met > MAX_CELLS or cell["column"] > MAX_COLUMNS:
                raise _too_many(name, f"more than {MAX_CELLS:,} cells" if cells_met > MAX_CELLS
                                else f"a cell in column {cell['column']:,}")
            formula = None
            if element.find(_FORMULA) is not None and _no_stored_value(element):
                ref = element.get("r") or _ref(cell["row"], cell["column"])
                formula = FormulaCell(cell["row"], cell["column"], ref, (element.findtext(_FORMULA) or "").strip())
            value = cell["value"]
            if cell["data_type"] == "e" and value == "#N/A":
                value = None
            yield cell["row"], cell["column"], value, formula
            if row_element is not None:
                row_element.remove(element)
        elif tag == _ROW:
            if data_element is not None:
                data_element.remove(element)
            row_element = None


def _no_stored_value(element) -> bool:
    """Whether a formula cell has no stored result: no ``<v>``, or an empty one in a cell not
    typed as text (Excel stores a formula giving "" as ``t="str"`` with an empty ``<v>``;
    a program that does not calculate, such as openpyxl, writes an empty ``<v/>``)."""
    value = element.find(_VALUE)
    return value is None or (not (value.text or "") and element.get("t") not in ("str", "s", "inlineStr"))


def _ref(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def sheet_records(data: bytes, name: str, cell_text) -> tuple[list[list[str]], list[FormulaCell]]:
    """The first sheet of a workbook as records (one list of cell texts per spreadsheet row from
    row 1; ``cell_text`` turns a value into text) and its formula cells without a stored value.
    InputError for a workbook over the limits or one that cannot be read."""
    import openpyxl
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _fail(name, f"cannot read this file as an Excel workbook ({exc}): save it again as .xlsx or as CSV") from None
    with archive:
        check_unpacked_sizes(archive, name)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # openpyxl / zipfile / XML errors
        raise _fail(name, f"cannot read this file as an Excel workbook ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:100]}): save it again as .xlsx or as CSV") from None
    try:
        if not wb.worksheets:
            raise _fail(name, "this workbook has no worksheet: save the cohort's sheet as .xlsx or as CSV")
        ws = wb.worksheets[0]
        check_declared_dimension(ws, name)
        parser = WorkSheetParser(None, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        by_row: dict[int, list] = {}
        formulas: list[FormulaCell] = []
        width = last_row = 0
        with ws._get_source() as source:
            for row, column, value, formula in _stream_cells(source, parser, name):
                if formula is not None:
                    formulas.append(formula)
                    continue
                if value is None:
                    continue
                cells = by_row.setdefault(row, [])
                cells.append((column, value))
                width, last_row = max(width, column), max(last_row, row)
    except InputError:
        raise
    except (ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise _fail(name, f"cannot read the first sheet of this workbook ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:100]}): save it again as .xlsx or as CSV") from None
    finally:
        wb.close()
    if last_row * width > MAX_CELLS:  # what the table would hold once its rows are padded to its width
        raise _too_many(name, f"{last_row:,} rows x {width:,} columns")
    records: list[list[str]] = []
    for row in range(1, last_row + 1):
        cells = by_row.pop(row, None)
        if not cells:
            records.append([])
            continue
        texts = [""] * max(column for column, _ in cells)
        for column, value in cells:
            texts[column - 1] = cell_text(value)
        records.append(texts)
    return records, formulas


def formula_problems(formulas: list[FormulaCell], header_row: int, columns: list[str], name: str) -> list[Problem]:
    """One problem per formula cell without a stored value, located at its data row and column
    (``columns``: the table's column names by spreadsheet column, before any is dropped)."""
    out = []
    for f in formulas:
        row = f.row - header_row if f.row > header_row else None
        column = columns[f.column - 1] if f.column <= len(columns) else None
        shown = f" (={f.formula[:60]})" if f.formula else ""
        out.append(Problem(name, row, column,
                           f"cell {f.ref} holds a formula{shown} without a stored result, so its value is unknown "
                           "(the workbook was saved by a program that does not calculate): open it in Excel or "
                           "LibreOffice, recalculate, save it and try again, or save the sheet as CSV"))
    return out
