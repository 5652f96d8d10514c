"""Workbooks for a class (`mscreport workbooks`, `make workbooks`): unpaired notebooks in two
editions; the student edition carries no answer; a workbook runs from its own folder with the
`mscreport` kernel; saving it leaves the chapter sources (notebooks/) untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.core.paths import NOTEBOOKS_DIR, REPO_ROOT
from mscreport.pipeline.workbooks import KERNEL_NAME, SOLUTION_TAG, STUDENT_SWITCH

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


def test_student_edition_has_no_answer_text(workbooks):
    for c in CHAPTERS:
        with_answers = nbformat.read(workbooks / "with_answers" / f"{c.name}.ipynb", as_version=4)
        student_text = (workbooks / "student" / f"{c.name}.ipynb").read_text(encoding="utf-8")
        answers = _solutions(with_answers)
        computed = any(cell.cell_type == "code" and "exercises." in cell.source for cell in with_answers.cells)
        assert computed or len(answers) >= 2, f"{c.name}: the answer edition lost its answers"
        student = nbformat.read(workbooks / "student" / f"{c.name}.ipynb", as_version=4)
        assert not _solutions(student)
        leaked = [a[:60] for a in answers if a in student_text or a.split("**", 2)[-1].strip()[:40] in student_text]
        assert not leaked, f"{c.name}: answer text in the student edition: {leaked}"
        assert "Answer" not in student_text and "<details>" not in student_text
        # the questions themselves stay (in markdown, or rendered by the exercises call)
        assert student_text.count("## Exercises") == 1 or computed
    assert any(_solutions(nbformat.read(workbooks / "with_answers" / f"{c.name}.ipynb", as_version=4)) for c in CHAPTERS)


def test_answers_rendered_from_results_are_switched_off_for_students(workbooks):
    """Chapters whose exercise answers are computed (``exercises.*``) print only the questions
    in the student edition: the switch precedes the call, and it does hide every answer."""
    from mscreport.report import exercises

    switched = 0
    for c in CHAPTERS:
        for edition in ("student", "with_answers"):
            nb = nbformat.read(workbooks / edition / f"{c.name}.ipynb", as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code" and "exercises." in cell.source.replace(STUDENT_SWITCH, ""):
                    assert cell.source.startswith(STUDENT_SWITCH) == (edition == "student"), (c.name, edition)
                    switched += edition == "student"
    assert switched >= 1
    rows = [{"test": "a", "p": 0.01, "p_holm": 0.02}]
    assert "Answer" in exercises.trust_exercises(rows, 0.05)
    try:
        exercises.SHOW_ANSWERS = False
        text = exercises.trust_exercises(rows, 0.05)
    finally:
        exercises.SHOW_ANSWERS = True
    assert "Answer" not in text and "<details>" not in text and "## Exercises" in text and "3. " in text


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
    NotebookClient(nb, kernel_name=nb.metadata["kernelspec"]["name"], timeout=300,
                   resources={"metadata": {"path": str(folder)}}).execute()
    assert "a student was here" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)
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
