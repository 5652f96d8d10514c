"""The chapter notebooks: static rules (thin, parameterised, in sync with lib/) and nbval.

nbval: each chapter is executed once by papermill (outputs stored), then nbval re-executes
it and compares every output with the stored one, after the sanitisers in
``nbval_sanitize.cfg`` mask what is legitimately volatile. A difference means the same
inputs gave a different page.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import jupytext
import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT

CHAPTERS = list_chapters()
IDS = [c.name for c in CHAPTERS]


def test_the_four_analysis_steps_are_chapters_in_reading_order():
    names = [c.name.split("_", 1)[1] for c in CHAPTERS]
    assert names[:4] == ["cohort", "severity", "change", "dose"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_chapter_opens_with_title_and_question(chapter):
    nb = jupytext.read(chapter.source)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "**Question:**" in first.source
    assert chapter.question.endswith("?")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_parameters_cell_matches_the_library_defaults(chapter):
    nb = jupytext.read(chapter.source)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    at = nb.cells.index(tagged[0])
    # right after the title: the paper's, then its variants for other studies (tagged study-*, pipeline.study_cells)
    assert at >= 1 and all(c.cell_type == "markdown" and c.source.startswith("# ") for c in nb.cells[:at]), \
        "the parameters cell comes right after the title"
    assert all(any(t.startswith("study-") for t in c.metadata.get("tags", [])) for c in nb.cells[1:at])
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.AnnAssign), "parameters are literal `name: type = value  # help` lines"
        values[node.target.id] = ast.literal_eval(node.value)
    assert values.pop("data_path") == str(DEFAULT_COHORT.relative_to(REPO_ROOT))
    assert values == DEFAULTS
    for line in tagged[0].source.splitlines():
        assert "  # " in line, f"parameter without help comment: {line}"


CONTROL_FLOW = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.Lambda,
                ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_code_cells_have_no_branches_loops_or_lambdas(chapter):
    """Sentence choice, row picking and formatting live in lib/ as named, tested functions: a
    code cell has no if, conditional expression, loop, comprehension or lambda."""
    nb = jupytext.read(chapter.source)
    found = [f"{type(n).__name__} in cell {i}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for n in ast.walk(ast.parse(cell.source)) if isinstance(n, CONTROL_FLOW)]
    assert not found, f"{chapter.name}: move into lib/mscreport: {found}"


def test_the_control_flow_check_can_fail():
    tree = ast.parse("x = [a for a in b]\nif x:\n    y = lambda: 1")
    assert {type(n) for n in ast.walk(tree) if isinstance(n, CONTROL_FLOW)} == {ast.ListComp, ast.If, ast.Lambda}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_notebook_is_thin(chapter):
    """Computation lives in lib/: no function or class is defined in a chapter."""
    nb = jupytext.read(chapter.source)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert not defs, f"{chapter.name}: define {[d.name for d in defs]} in lib/mscreport instead"
    assert any("Chapter.from_parameters" in c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_text_twin_is_canonical(chapter):
    """The py:percent file is what jupytext writes back: reviewable, no hidden metadata."""
    text = chapter.source.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    assert jupytext.writes(nb, fmt="py:percent") == text


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_teaching_chapter_ends_with_exercises_with_answers(chapter):
    """The chapter ends with its exercises (cells tagged teaching), in nbgrader's source form:
    at least one "predict, then run" exercise whose answer is a code cell tagged ``solution``
    with a ``### BEGIN SOLUTION`` region, followed by its autograded cell (tagged
    ``autograde``: ``lesson.check_answered`` and hidden tests); answers in words are Markdown
    cells tagged ``solution`` (the student workbook blanks them, the teaching page folds
    them). No answer is rendered by library code (``exercises.``) or left inside a question."""
    nb = jupytext.read(chapter.source)
    start = next(i for i, c in enumerate(nb.cells) if "## Exercises" in c.source)
    cells = nb.cells[start:]
    tags = [c.metadata.get("tags", []) for c in cells]
    assert all("teaching" in t for t in tags), f"{chapter.name}: every exercise cell is tagged teaching"
    assert "predict, then run" in "\n".join(c.source for c in cells)
    solutions = [i for i, t in enumerate(tags) if "solution" in t]
    assert len(solutions) >= 2, f"{chapter.name}: fewer than 2 answers (cells tagged solution)"
    checks = [i for i, t in enumerate(tags) if "autograde" in t]
    assert checks, f"{chapter.name}: no autograded exercise"
    for i in checks:
        assert "solution" in tags[i - 1] and "### BEGIN SOLUTION" in cells[i - 1].source, chapter.name
        assert "lesson.check_answered(" in cells[i].source and "### BEGIN HIDDEN TESTS" in cells[i].source
    assert not any("ch.say(exercises." in c.source for c in cells if c.cell_type == "code")
    assert not any("<details>" in c.source for c in cells), f"{chapter.name}: answer left inside a question cell"


@pytest.mark.slow
def test_nbval_outputs_are_reproducible(tmp_path):
    import nbformat
    import papermill as pm

    for c in CHAPTERS:
        nb = jupytext.read(c.source)
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"c{i:03d}"
        src = tmp_path / f"{c.name}.src.ipynb"
        nbformat.write(nb, src)
        pm.execute_notebook(str(src), str(tmp_path / f"{c.name}.ipynb"), kernel_name="python3",
                            cwd=str(REPO_ROOT / "notebooks"), progress_bar=False)
        src.unlink()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                           "--nbval-sanitize-with", str(REPO_ROOT / "tests" / "nbval_sanitize.cfg"),
                           "--nbval-current-env", "-o", "addopts=", "-o", "testpaths=", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
