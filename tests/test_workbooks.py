"""Workbooks for a class (`mscreport workbooks`, `make workbooks`): unpaired notebooks in two
editions; the student edition carries no answer; a workbook runs from its own folder with the
`mscreport` kernel; saving it leaves the chapter sources (notebooks/) untouched."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.core.paths import NOTEBOOKS_DIR, REPO_ROOT
from mscreport.pipeline.workbooks import (AUTOGRADE_TAG, BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION,
                                          KERNEL_NAME, SOLUTION_TAG, STUDENT_ANSWER)

CHAPTERS = list_chapters()


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    out = tmp_path_factory.mktemp("class") / "workbooks"
    assert main(["workbooks", "--output", str(out)]) == 0
    return out


def _solutions(nb) -> list[str]:
    return [c.source for c in nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]


def _git_status_notebooks() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--", "notebooks/"], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True).stdout


def test_two_editions_of_every_chapter(workbooks):
    for edition in ("student", "with_answers"):
        names = sorted(p.stem for p in (workbooks / edition).glob("*.ipynb"))
        assert names == [c.name for c in CHAPTERS], edition


def _inside(source: str, begin: str, end: str) -> list[str]:
    """The lines between ``begin`` and ``end`` markers (every such region)."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() in (begin, end):
            inside = line.strip() == begin
        elif inside:
            out.append(line)
    return out


def _answer_texts(nb) -> list[str]:
    """Every piece of answer text of an answer edition: the Markdown answers' lines, and the
    lines inside solution regions and hidden tests (short lines such as ``)`` left out)."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and SOLUTION_TAG in cell.metadata.get("tags", []):
            texts += cell.source.splitlines()
        elif cell.cell_type == "code":
            texts += _inside(cell.source, BEGIN_SOLUTION, END_SOLUTION) + _inside(cell.source, BEGIN_HIDDEN, END_HIDDEN)
    return [t.strip() for t in texts if len(t.strip()) > 12]


def test_student_edition_has_no_answer_text(workbooks):
    """No line of any answer of the answer edition (Markdown answers, solution regions, hidden
    tests) appears in the student workbook, nor in the library it imports."""
    library = "\n".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "lib" / "mscreport").rglob("*.py"))
    for c in CHAPTERS:
        with_answers = nbformat.read(workbooks / "with_answers" / f"{c.name}.ipynb", as_version=4)
        answers = _answer_texts(with_answers)
        assert len(answers) >= 3, f"{c.name}: the answer edition lost its answers"
        student_text = (workbooks / "student" / f"{c.name}.ipynb").read_text(encoding="utf-8")
        student = nbformat.read(workbooks / "student" / f"{c.name}.ipynb", as_version=4)
        cells_text = "\n".join(cell.source for cell in student.cells)
        leaked = [a for a in answers if a in cells_text]
        assert not leaked, f"{c.name}: answer text in the student edition: {leaked[:3]}"
        for marker in (BEGIN_SOLUTION, BEGIN_HIDDEN, "**Answer", "<details>"):
            assert marker not in student_text, (c.name, marker)
        assert not [a for a in answers if a.startswith("**Answer") and a in library], c.name
        assert not _solutions(student)
        assert student_text.count("## Exercises") == 1
        assert sum(cell.source == STUDENT_ANSWER for cell in student.cells) == len(_solutions(with_answers)) - sum(
            cell.cell_type == "code" for cell in with_answers.cells if SOLUTION_TAG in cell.metadata.get("tags", []))


def test_the_control_finds_answer_text_when_it_is_there(workbooks):
    """The comparison above can fail: the answer edition compared with itself leaks."""
    nb = nbformat.read(workbooks / "with_answers" / "03_change.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert all(a in text for a in _answer_texts(nb))


def test_nbgrader_cell_metadata(workbooks):
    """nbgrader's schema-3 cell metadata on every exercise cell of both editions: unique
    grade_ids, autograded test cells graded and locked with points, answers marked solution;
    every chapter has at least one autograded "predict, then run" exercise."""
    for c in CHAPTERS:
        source_text = c.source.read_text(encoding="utf-8")
        assert "predict, then run" in source_text, f"{c.name}: no predict-first exercise"
        for edition in ("student", "with_answers"):
            nb = nbformat.read(workbooks / edition / f"{c.name}.ipynb", as_version=4)
            graded = [cell for cell in nb.cells if "nbgrader" in cell.metadata]
            ids = [cell.metadata["nbgrader"]["grade_id"] for cell in graded]
            assert len(ids) == len(set(ids)) and ids, (c.name, edition)
            for cell in graded:
                meta = cell.metadata["nbgrader"]
                assert meta["schema_version"] == 3 and set(meta) >= {"grade", "solution", "locked", "grade_id"}
                if AUTOGRADE_TAG in cell.metadata.get("tags", []):
                    assert meta["grade"] and meta["locked"] and not meta["solution"] and meta["points"] > 0
                    assert "lesson.check_answered(" in cell.source
                    assert (BEGIN_HIDDEN in cell.source) == (edition == "with_answers"), (c.name, edition)
                else:
                    assert meta["solution"] and not meta["locked"]
                    if cell.cell_type == "code" and edition == "with_answers":
                        assert BEGIN_SOLUTION in cell.source and END_SOLUTION in cell.source
            assert any(AUTOGRADE_TAG in cell.metadata.get("tags", []) for cell in graded), (c.name, edition)


def test_no_exercise_sends_students_to_a_shell():
    """Every exercise is done in the notebook: no "Rebuild with", no `mscreport ...` command."""
    for c in CHAPTERS:
        import jupytext

        cells = [cell for cell in jupytext.read(c.source).cells if "teaching" in cell.metadata.get("tags", [])]
        start = next(i for i, cell in enumerate(cells) if "## Exercises" in cell.source)
        text = "\n".join(cell.source for cell in cells[start:])
        for shell in ("Rebuild with", "mscreport build", "mscreport synth", "mscreport validate", "-p "):
            assert shell not in text, (c.name, shell)


def test_workbooks_are_unpaired_and_ask_for_the_named_kernel(workbooks):
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    for path in sorted(workbooks.rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert "jupytext" not in nb["metadata"], f"{path.name}: jupytext pairing metadata"
        assert nb["metadata"]["kernelspec"]["name"] == KERNEL_NAME
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
        config = load_jupytext_configuration_file(find_jupytext_configuration_file(str(path.parent)))
        assert config.default_formats(str(path)) == "ipynb", "jupytext would pair this workbook with a text file"


def test_workbooks_are_reproducible(workbooks, tmp_path):
    again = tmp_path / "again"
    assert main(["workbooks", "--output", str(again)]) == 0
    for path in sorted(workbooks.rglob("*.ipynb")):
        assert path.read_bytes() == (again / path.relative_to(workbooks)).read_bytes(), path.name


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["workbooks", "--output", str(f)]) == 2
    assert "must be a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_student_workbook_runs_from_its_folder_and_saving_leaves_sources_alone(workbooks, tmp_path, monkeypatch):
    """Run a student workbook with nbclient on the `mscreport` kernel (installed here into a
    scratch prefix, as `make workbooks` does into .venv), cwd = its folder; save it; the
    chapter sources are unchanged."""
    from nbclient import NotebookClient

    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL_NAME],
                   check=True, capture_output=True)
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
    before_status = _git_status_notebooks()
    before = {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.iterdir() if p.is_file()}

    folder = workbooks / "student"
    path = folder / "02_severity.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('a student was here', ch.cohort.rows_analysed)"))
    NotebookClient(nb, kernel_name=nb.metadata["kernelspec"]["name"], timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    assert "a student was here" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    # unanswered exercises fail their checks (nbgrader's way), nothing else does
    assert {o["ename"] for _, o in _errors(nb)} == {"NotAnswered"}
    nbformat.write(nb, path)

    assert _git_status_notebooks() == before_status
    assert {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{c.name}.ipynb" for c in CHAPTERS), \
        "saving wrote a paired file next to the workbook"


# ------------------------------------------------------- a real Jupyter server saves a workbook
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sha256s(folder: Path) -> dict[str, str]:
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.py"))}


class _Server:
    """A jupyter_server (the server JupyterLab runs on) in ``root``, with this environment's
    server extensions (jupytext's contents manager among them), spoken to over its REST API."""

    TOKEN = "mscreport-test"

    def __init__(self, root: Path, home: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"))
        self.log = home / "server.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", f"--ServerApp.root_dir={root}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.TOKEN}"],
            cwd=root, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)

    def request(self, method: str, path: str, body=None):
        import urllib.request

        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {self.TOKEN}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")

    def wait_ready(self, seconds: float = 60) -> str | None:
        """None when the server answers; otherwise why it did not start (with its log's tail)."""
        import time
        import urllib.error

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"jupyter_server exited with {self.proc.returncode}: {self.log.read_text()[-800:]}"
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return None
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        return f"jupyter_server did not answer within {seconds:.0f} s: {self.log.read_text()[-800:]}"

    def edit_and_save(self, path: str, text: str) -> dict:
        """What JupyterLab does: open (GET with content), edit a code cell, save (PUT the
        notebook model), create a checkpoint. Returns the saved model."""
        status, model = self.request("GET", f"/api/contents/{path}?type=notebook&content=1")
        assert status == 200 and model["type"] == "notebook", (path, status)
        nb = model["content"]
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", []))
        cell["source"] = cell["source"] + text
        status, saved = self.request("PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json", "content": nb})
        assert status == 200, (path, status)
        self.request("POST", f"/api/contents/{path}/checkpoints")
        return saved

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.slow
def test_workbook_saved_in_a_running_jupyter_server_leaves_git_status_clean(tmp_path):
    """In a temporary copy of the repository (its chapter sources, the root ``jupytext.toml``
    that pairs every notebook with a py:percent file, ``.gitignore``; committed), ``make
    workbooks``'s folder is written, a jupyter_server with jupytext's contents manager is
    started there, and a student workbook is opened, edited and saved through the contents
    REST API (JupyterLab's save path). ``git status`` stays clean and every chapter source
    keeps its hash. Control: the same edit saved to a paired chapter twin
    (``notebooks/*.ipynb``, as ``make notebooks`` makes) does rewrite its ``.py``: the server
    really saves through the pairing, so the first check can fail."""
    pytest.importorskip("jupyter_server", reason="jupyter_server is not installed (pip install -e '.[test]')")
    from mscreport.pipeline.workbooks import write_workbooks

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    for source in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")):
        (repo / "notebooks" / source.name).write_bytes(source.read_bytes())
    for name in ("jupytext.toml", ".gitignore"):
        (repo / name).write_bytes((REPO_ROOT / name).read_bytes())

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args], cwd=repo,
                              capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "chapters")
    write_workbooks(repo / "workbooks")  # what `make workbooks` writes (workbooks/ is git-ignored)
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", "notebooks/02_severity.py"], cwd=repo,
                   check=True, capture_output=True)  # the paired twin of `make notebooks`, for the control
    sources = _sha256s(repo / "notebooks")
    assert git("status", "--porcelain") == ""

    home = tmp_path / "home"
    home.mkdir()
    server = _Server(repo, home)
    try:
        why = server.wait_ready()
        if why:
            pytest.skip(f"a Jupyter server could not start here, so the save through it is untested: {why}")
        edit = "\n# a student's edit, saved from Jupyter"
        saved = server.edit_and_save("workbooks/student/02_severity.ipynb", edit)
        assert saved["path"] == "workbooks/student/02_severity.ipynb"
        on_disk = nbformat.read(repo / "workbooks" / "student" / "02_severity.ipynb", as_version=4)
        assert any(c.source.endswith(edit) for c in on_disk.cells), "the server did not write the workbook"
        assert git("status", "--porcelain") == "", "saving a workbook changed the repository"
        assert _sha256s(repo / "notebooks") == sources, "saving a workbook rewrote a chapter source"
        assert sorted(p.name for p in (repo / "workbooks" / "student").iterdir() if not p.name.startswith(".")) == \
            sorted(f"{c.name}.ipynb" for c in CHAPTERS), "saving wrote a paired text file next to the workbook"

        server.edit_and_save("notebooks/02_severity.ipynb", edit)  # control: a paired chapter twin
        assert edit in (repo / "notebooks" / "02_severity.py").read_text(encoding="utf-8"), \
            "control failed: this server does not save through jupytext's pairing, so the check above proves nothing"
        assert git("status", "--porcelain").split() == ["M", "notebooks/02_severity.py"]
    finally:
        server.stop()


# ------------------------------------------------------- autograding: executed workbooks
@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory):
    """The `mscreport` kernel installed into a scratch prefix (as `make workbooks` does into .venv)."""
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL_NAME],
                   check=True, capture_output=True)
    return str(prefix / "share" / "jupyter")


def _execute(path: Path, kernel_path: str, monkeypatch, extra: str | None = None):
    """Run a workbook top to bottom from its folder, errors recorded in the cells (allow_errors)."""
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", kernel_path + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
    nb = nbformat.read(path, as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _errors(nb) -> list[tuple[object, dict]]:
    return [(cell, o) for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]


ANSWERS = ("import json\nprint('ANSWERS', json.dumps({k: v for k, v in globals().items() if k.startswith('answer_')},"
           " default=str))")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", [c.name for c in CHAPTERS])
def test_autograded_cells_pass_on_answers_and_fail_unanswered(chapter, workbooks, kernel_path, monkeypatch):
    """The answer edition runs without an error (every autograded check passes); the student
    edition runs to its last cell, and its only errors are the autograded cells' "not
    answered yet"; a wrong answer fails the hidden test."""
    answered = _execute(workbooks / "with_answers" / f"{chapter}.ipynb", kernel_path, monkeypatch, ANSWERS)
    assert not _errors(answered), [o["evalue"] for _, o in _errors(answered)]
    printed = "".join(o.get("text", "") for o in answered.cells[-1].outputs)
    answers = json.loads(printed.split("ANSWERS", 1)[1])
    assert answers, chapter

    student = _execute(workbooks / "student" / f"{chapter}.ipynb", kernel_path, monkeypatch)
    assert all(cell.execution_count is not None for cell in student.cells if cell.cell_type == "code"), \
        "the student workbook did not run to its end"
    errors = _errors(student)
    checks = [cell for cell in student.cells if AUTOGRADE_TAG in cell.metadata.get("tags", [])]
    assert len(errors) == len(checks) >= 1
    assert all(AUTOGRADE_TAG in cell.metadata.get("tags", []) and o["ename"] == "NotAnswered" for cell, o in errors)

    # a wrong answer: the first numeric answer, off by one, fails its hidden test
    nb = nbformat.read(workbooks / "with_answers" / f"{chapter}.ipynb", as_version=4)
    name = next((k for k, v in answers.items() if isinstance(v, (int, float))), None)
    if name is None:  # chapter 7 on a wide file: its only computed answer is None (no repeated measurements)
        assert chapter == "07_trajectory" and answers == {"answer_7_1": None}
        return
    i = next(i for i, cell in enumerate(nb.cells) if f"{name} = " in cell.source and BEGIN_SOLUTION in cell.source)
    nb.cells[i].source += f"\n{name} = {name} + 1"
    wrong = workbooks.parent / f"wrong_{chapter}.ipynb"
    nbformat.write(nb, wrong)
    failed = _errors(_execute(wrong, kernel_path, monkeypatch))
    assert len(failed) == 1 and failed[0][1]["ename"] == "AssertionError" and "is not the analysis' result" in failed[0][1]["evalue"]


@pytest.mark.slow
def test_answer_edition_answers_match_r(workbooks, kernel_path, monkeypatch):
    """The answers the solution cells compute are R's numbers (tests/r/reference.R, tests/r/lessons.R)."""
    ref = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_reference.json").read_text(encoding="utf-8"))
    les = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_lessons.json").read_text(encoding="utf-8"))

    def answers(chapter):
        nb = _execute(workbooks / "with_answers" / f"{chapter}.ipynb", kernel_path, monkeypatch, ANSWERS)
        return json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs).split("ANSWERS", 1)[1])

    a3 = answers("03_change")
    assert a3["answer_3_2"] == pytest.approx(ref["datasets"]["reconstructed_cohort"]["overall"]["t"], rel=1e-9)  # R: t.test(paired = TRUE)$statistic
    assert a3["answer_3_1"] == pytest.approx(les["sign"]["severe"]["p"], rel=1e-9)  # R: binom.test(sum(x < 0), sum(x != 0))$p.value
    a5 = answers("05_trust")
    assert a5["answer_5_4"] == math.ceil(les["ancova"]["n90"])  # R: power.t.test(delta, sd = summary(lm(f ~ b))$sigma, power = 0.9)$n
    a6 = answers("06_published")
    sev13 = next(x for x in ref["reconstruction"]["severe_range"] if x["n_severe"] == 13)
    assert a6["answer_6_1"] == pytest.approx(sev13["followup_mean"], rel=1e-12)  # R: 7.49 - (48 * 0.58 + 13 * 1.55) / 61
    assert a6["answer_6_2"] == pytest.approx(sev13["sd_change"], rel=1e-9)  # R: 1.55 * sqrt(13) / qt(1 - 0.0122 / 2, 12)
