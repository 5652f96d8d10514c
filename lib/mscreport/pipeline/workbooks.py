"""Workbooks for a class: unpaired ``.ipynb`` copies of the chapters that students can edit,
run and save without touching the report's sources.

``write_workbooks(DIR)`` writes two editions, ``DIR/student/`` (exercises without their
answers) and ``DIR/with_answers/`` (each answer in its own markdown cell tagged
``solution``, as nbgrader and sphinx-exercise do; exercises whose answers a chapter renders
from results, through ``exercises``, are switched to questions only). A workbook

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

from pathlib import Path

from mscreport.pipeline.chapters import list_chapters

KERNEL_NAME = "mscreport"
KERNEL_DISPLAY_NAME = "Python (mscreport)"
SOLUTION_TAG = "solution"  # cell tag of an exercise's answer
STUDENT_SWITCH = "exercises.SHOW_ANSWERS = False  # student edition: the questions without their answers"
EDITIONS = {"student": False, "with_answers": True}  # folder -> answers included
_JUPYTEXT_TOML = ('# Workbooks are plain notebooks: no text twin is paired with them, so saving one\n'
                  '# never writes a .py file (the chapter sources live in notebooks/).\nformats = "ipynb"\n')
_README = """# Workbooks

Notebook copies of the report's chapters for a class, written by `make workbooks`
(`mscreport workbooks --output DIR`). Edit, run and save them freely: they are not the
report's sources (those are `notebooks/*.py`), and saving one changes nothing there.

* `student/`: the chapters with their exercises, without the answers (hand these out).
* `with_answers/`: the same, each answer in its own cell tagged `solution`.

Open them in Jupyter with the kernel **{display}** (`{kernel}`), which `make workbooks`
installs into `.venv` (after a `pip install`: `mscreport workbooks --install-kernel`). Run all cells from the top; each chapter reads the bundled cohort.
Regenerate with `make workbooks` after the chapters change (this overwrites the copies).
"""


def make_workbook(source: Path, answers: bool):
    """One chapter (a py:percent file) as an unpaired notebook for the ``mscreport`` kernel,
    with or without the cells tagged ``solution``."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if not answers:
        nb.cells = [c for c in nb.cells if SOLUTION_TAG not in c.metadata.get("tags", [])]
        for cell in nb.cells:  # exercises whose answers are rendered from results: questions only
            if cell.cell_type == "code" and "exercises." in cell.source:
                cell.source = f"{STUDENT_SWITCH}\n{cell.source}"
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
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
