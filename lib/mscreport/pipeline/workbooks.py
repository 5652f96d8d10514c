"""Workbooks for a class: unpaired ``.ipynb`` copies of the chapters that students can edit,
run and save without touching the report's sources.

``write_workbooks(DIR)`` writes two editions in nbgrader's formats (its cell metadata,
``nbgrader`` with ``grade_id``, ``points``, ``solution``, ``grade``, ``locked``,
``schema_version`` 3):

* ``DIR/with_answers/``: nbgrader's *source* format, for the teacher. An answer in words is a
  Markdown cell tagged ``solution`` (manually graded); a "predict, then run" answer is a code
  cell whose ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region computes it; the cell after
  it (tagged ``autograde``) is an autograded test cell that checks the student's number
  against the analysis, its check between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN
  TESTS``. ``nbgrader generate_assignment`` can release it as it is.
* ``DIR/student/``: what nbgrader would release: every solution region replaced by its answer
  variables set to ``...`` (``# YOUR CODE HERE``), every Markdown answer by ``YOUR ANSWER
  HERE``, hidden tests removed. No answer text is left, in the notebook or in the library it
  imports (``report.exercises`` has none). The exercises come last in each chapter, so "Run
  all" runs the chapter and stops at the first autograded cell not yet answered.

A workbook

* carries no jupytext metadata, and ``DIR/jupytext.toml`` turns pairing off there, so saving
  it in Jupyter (even with jupytext's contents manager) writes only that ``.ipynb``, never a
  ``notebooks/*.py`` chapter source;
* asks for the named kernel ``mscreport`` (``make workbooks`` installs it into ``.venv``;
  ``mscreport workbooks --install-kernel`` for this user, ``kernel_install``), the Python
  that has the library;
* runs from its own folder: its ``data_path`` default is resolved against the repository
  root when it is not found next to the workbook (``report.resolve_data_path``).

Cell ids are numbered, so the same chapters give the same workbook files.
"""

from __future__ import annotations

import re
from pathlib import Path

from mscreport.pipeline.chapters import list_chapters

KERNEL_NAME = "mscreport"
KERNEL_DISPLAY_NAME = "Python (mscreport)"
SOLUTION_TAG = "solution"  # cell tag of an exercise's answer (Markdown, or code with a solution region)
AUTOGRADE_TAG = "autograde"  # cell tag of an autograded test cell
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUDENT_ANSWER = "YOUR ANSWER HERE"
STUDENT_CODE = "# YOUR CODE HERE"
NBGRADER_SCHEMA = 3
_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*=(?!=)")
EDITIONS = {"student": False, "with_answers": True}  # folder -> answers included
_JUPYTEXT_TOML = ('# Workbooks are plain notebooks: no text twin is paired with them, so saving one\n'
                  '# never writes a .py file (the chapter sources live in notebooks/).\nformats = "ipynb"\n')
_README = """# Workbooks

Notebook copies of the report's chapters for a class, written by `make workbooks`
(`mscreport workbooks --output DIR`). Edit, run and save them freely: they are not the
report's sources (those are `notebooks/*.py`), and saving one changes nothing there.

* `student/`: the chapters with their exercises, without the answers (hand these out).
  Each exercise is done in the notebook: write your prediction, set the answer variable
  (it holds `...` until you do), run; the cell after it checks your answer.
* `with_answers/`: the same in nbgrader's source format (solution regions, answers in
  cells tagged `solution`, autograded test cells with hidden tests): for the teacher, and
  for `nbgrader generate_assignment`.

Open them in Jupyter with the kernel **{display}** (`{kernel}`), which `make workbooks`
installs into `.venv` (after a `pip install`: `mscreport workbooks --install-kernel`). Run all cells from the top; each chapter reads the bundled cohort.
Regenerate with `make workbooks` after the chapters change (this overwrites the copies).
"""


def _region(lines: list[str], begin: str, end: str) -> tuple[int, int] | None:
    """(first, last) line index of the first ``begin`` ... ``end`` region, or None."""
    stripped = [line.strip() for line in lines]
    if begin not in stripped:
        return None
    first = stripped.index(begin)
    return first, stripped.index(end, first)


def with_solution_region(source: str) -> str:
    """A solution code cell's source with its solution region: as it is when it has one,
    otherwise the whole cell becomes the region (nbgrader's source format)."""
    if _region(source.splitlines(), BEGIN_SOLUTION, END_SOLUTION):
        return source
    return f"{BEGIN_SOLUTION}\n{source}\n{END_SOLUTION}"


def student_code(source: str) -> str:
    """nbgrader's release of a solution code cell: each solution region replaced by the
    variables it assigns set to ``...`` (what ``lesson.check_answered`` fails on), marked
    ``# YOUR CODE HERE``; a region assigning nothing becomes that line alone."""
    lines = with_solution_region(source).splitlines()
    while (span := _region(lines, BEGIN_SOLUTION, END_SOLUTION)) is not None:
        first, last = span
        names = [m.group(1) for line in lines[first + 1:last] if (m := _ASSIGNED.match(line))]
        names = list(dict.fromkeys(names))
        answer = [f"{name} = ...  {STUDENT_CODE}" for name in names] or [STUDENT_CODE]
        lines[first:last + 1] = answer
    return "\n".join(lines)


def without_hidden_tests(source: str) -> str:
    """An autograded cell as a student sees it: the hidden tests removed."""
    lines = source.splitlines()
    while (span := _region(lines, BEGIN_HIDDEN, END_HIDDEN)) is not None:
        del lines[span[0]:span[1] + 1]
    return "\n".join(lines).rstrip()


def nbgrader_metadata(cell, grade_id: str) -> dict | None:
    """nbgrader's cell metadata (schema 3) for an exercise cell, None for any other: an
    autograded test cell (graded, locked, 1 point), a code answer (solution), an answer in
    words (solution, graded by hand, 1 point)."""
    tags = cell.metadata.get("tags", [])
    base = {"grade_id": grade_id, "schema_version": NBGRADER_SCHEMA, "task": False}
    if AUTOGRADE_TAG in tags:
        return {**base, "grade": True, "locked": True, "points": 1, "solution": False}
    if SOLUTION_TAG in tags and cell.cell_type == "code":
        return {**base, "grade": False, "locked": False, "solution": True}
    if SOLUTION_TAG in tags:
        return {**base, "grade": True, "locked": False, "points": 1, "solution": True}
    return None


def make_workbook(source: Path, answers: bool):
    """One chapter (a py:percent file) as an unpaired notebook for the ``mscreport`` kernel:
    nbgrader's source format (``answers``) or its student release (see the module's docstring)."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    counts: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
        tags = cell.metadata.get("tags", [])
        kind = "check" if AUTOGRADE_TAG in tags else "code" if cell.cell_type == "code" else "answer"
        meta = nbgrader_metadata(cell, "")
        if meta is None:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        meta["grade_id"] = f"{source.stem}-{kind}-{counts[kind]}"
        cell.metadata["nbgrader"] = meta
        if meta["solution"] and cell.cell_type == "code":
            cell.source = with_solution_region(cell.source) if answers else student_code(cell.source)
        elif meta["solution"] and not answers:
            cell.source = STUDENT_ANSWER
        elif not answers:
            cell.source = without_hidden_tests(cell.source)
        if not answers:
            cell.metadata["tags"] = [t for t in tags if t != SOLUTION_TAG]
    return nb


def write_workbooks(output: Path, chapters=None) -> list[Path]:
    """Both editions of every chapter under ``output``; returns the notebooks written."""
    import nbformat

    output = Path(output)
    written = []
    for folder, answers in EDITIONS.items():
        (output / folder).mkdir(parents=True, exist_ok=True)
        for chapter in chapters or list_chapters():
            path = output / folder / f"{chapter.name}.ipynb"
            nbformat.write(make_workbook(chapter.source, answers), path)
            written.append(path)
    (output / "jupytext.toml").write_text(_JUPYTEXT_TOML, encoding="utf-8")
    (output / "README.md").write_text(_README.format(display=KERNEL_DISPLAY_NAME, kernel=KERNEL_NAME), encoding="utf-8")
    return written
