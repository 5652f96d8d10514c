"""Installable anywhere: a regular (non-editable) ``pip install`` of the project into a fresh
virtual environment builds the report from another directory, with the chapters and the
bundled cohort shipped as package data (issue 12.2)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from mscreport.core.paths import REPO_ROOT

SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "lib", "notebooks", "data", "docs")


def _run(cmd, cwd, timeout=300, **extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MSCREPORT_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(extra_env)
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv (no pip, no setuptools of its own) that sees the test environment's
    packages through a .pth line, with mscreport installed into it from a copy of the sources."""
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.ipynb", "*.egg-info", ".ipynb_checkpoints")
    for name in SHIPPED:
        path = REPO_ROOT / name
        (shutil.copytree(path, src / name, ignore=ignore) if path.is_dir() else shutil.copy2(path, src / name))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root)
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).stdout.strip())
    # the test environment's dependencies (and pip, setuptools), without its editable mscreport
    (site / "_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # and their data files (nbconvert's templates live in PREFIX/share/jupyter), but no kernelspecs:
    # a kernel `mscreport` that `make workbooks` installed into the test environment is not this one's
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True)
    for entry in (Path(sys.prefix) / "share" / "jupyter").iterdir():
        if entry.name != "kernels":
            (share / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", src], cwd=root)
    shutil.rmtree(src)  # nothing may still point into the sources
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return venv, elsewhere


@pytest.mark.slow
def test_installed_package_ships_chapters_and_data(installed):
    venv, elsewhere = installed
    code = ("import json, mscreport, mscreport.core.paths as p; print(json.dumps({'pkg': mscreport.__file__, "
            "'nb': str(p.NOTEBOOKS_DIR), 'data': str(p.DEFAULT_COHORT), 'pub': str(p.PUBLISHED_RESULTS), "
            "'reports': str(p.REPORTS_DIR), 'checkout': p.IN_CHECKOUT, "
            "'default': str(p.resolve_data_path('data/reconstructed_cohort.csv')), "
            "'chapters': sorted(x.name for x in p.NOTEBOOKS_DIR.glob('[0-9][0-9]_*.py'))}))")
    got = json.loads(_run([venv / "bin" / "python", "-c", code], cwd=elsewhere).stdout)
    assert got["pkg"].startswith(str(venv)), got
    for key in ("nb", "data", "pub"):
        assert got[key].startswith(str(venv)) and "site-packages" in got[key], got
    assert Path(got["data"]).is_file() and Path(got["pub"]).is_file()
    assert got["default"] == got["data"]  # a chapter's default data_path finds the bundled cohort
    assert got["chapters"] == sorted(p.name for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert got["reports"] == "reports" and got["checkout"] is False
    version = _run([venv / "bin" / "mscreport", "--version"], cwd=elsewhere).stdout
    assert tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"] in version


@pytest.mark.slow
def test_installed_mscreport_builds_from_another_directory(installed):
    venv, elsewhere = installed
    proc = _run([venv / "bin" / "mscreport", "build", "--jobs", "2"], cwd=elsewhere, timeout=400)
    out = elsewhere / "reports"  # the default output: ./reports of the current directory
    assert (out / "index.html").is_file(), proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["rows_analysed"] == 61
    assert results["data"]["path"] == "data/reconstructed_cohort.csv"  # its name in the repository
    assert results["published_comparison"], "the bundled cohort is compared with the paper's figures"
    assert all(c["agrees"] for c in results["published_comparison"])
    assert len(list(out.glob("[0-9][0-9]_*.html"))) == len(list((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.py")))
    # issue 26.9: no "Git commit: None" and no repository-only rebuild command after a pip install
    index = (out / "index.html").read_text()
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert "Git commit" not in index and "<code>None</code>" not in index
    assert f"<li>mscreport version <code>{version}</code> (an installed package)</li>" in index
    assert "<li>Rebuild with: <code>mscreport build --jobs 2</code> (in the environment where mscreport" in index
    assert "make report" not in index and ".venv" not in index and "repository root" not in index
    assert results["provenance"]["checkout"] is False and results["provenance"]["git_commit"] is None
    assert (out / "search_index.js").is_file()  # the offline search's index ships with the pages


@pytest.mark.slow
def test_checkout_build_names_the_commit_and_the_repository_command(built_report):
    """From a checkout the index keeps the git commit and the repository's rebuild command."""
    index = (built_report / "index.html").read_text()
    results = json.loads((built_report / "results.json").read_text())
    assert results["provenance"]["checkout"] is True
    if results["provenance"]["git_commit"]:  # a checkout with git (a source tarball has none)
        assert f"Git commit: <code>{results['provenance']['git_commit']}</code>" in index
    assert "Rebuild with: <code>.venv/bin/mscreport build" in index
    assert "(from the repository root, after <code>make report</code> has set up <code>.venv</code>)" in index


@pytest.mark.slow
def test_installed_package_ships_the_results_schema(installed):
    venv, elsewhere = installed
    code = "import json, mscreport; s = mscreport.results_schema(); print(json.dumps([s['title'], len(s['properties'])]))"
    title, n = json.loads(_run([venv / "bin" / "python", "-c", code], cwd=elsewhere).stdout)
    schema = json.loads((REPO_ROOT / "docs" / "results.schema.json").read_text())
    assert title == schema["title"] and n == len(schema["properties"])


@pytest.mark.slow
def test_installed_workbooks_install_their_kernel_and_a_student_workbook_runs(installed, tmp_path):
    """A pip user's `mscreport workbooks`: without the kernel it says how to install it;
    `--install-kernel` installs it (here into a temporary JUPYTER_DATA_DIR) with the installed
    Python; a student workbook then executes to its end with that kernel (its only errors: the
    checks of the exercises not yet answered)."""
    venv, elsewhere = installed
    data_dir = tmp_path / "jupyter-data"
    env = {"JUPYTER_DATA_DIR": str(data_dir), "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"), "MPLBACKEND": "Agg"}
    books = tmp_path / "books"
    first = _run([venv / "bin" / "mscreport", "workbooks", "--output", books], cwd=elsewhere, **env)
    assert "`mscreport` is not installed: `mscreport workbooks --install-kernel` installs it" in first.stderr
    assert "make workbooks" not in first.stderr
    second = _run([venv / "bin" / "mscreport", "workbooks", "--output", books, "--install-kernel"], cwd=elsewhere, **env)
    spec = json.loads((data_dir / "kernels" / "mscreport" / "kernel.json").read_text())
    assert Path(spec["argv"][0]) == venv / "bin" / "python", spec
    assert "installed the Jupyter kernel `mscreport`" in second.stderr
    third = _run([venv / "bin" / "mscreport", "workbooks", "--output", books], cwd=elsewhere, **env)
    assert "is installed and runs this Python" in third.stderr
    student = books / "student" / "01_cohort.ipynb"
    _run([venv / "bin" / "python", "-m", "nbconvert", "--to", "notebook", "--execute", "--output", "executed.ipynb",
          "--allow-errors", "--ExecutePreprocessor.timeout=600", student], cwd=student.parent, timeout=900, **env)
    import nbformat

    executed = nbformat.read(student.parent / "executed.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "not every code cell ran"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and {o["ename"] for o in errors} == {"NotAnswered"}, "only the unanswered exercises' checks may fail"


def test_every_python_package_under_lib_is_listed_in_pyproject():
    """pyproject lists its packages explicitly (to map the chapters and data folders), so a
    new sub-package of mscreport must be added there too or it would not be installed."""
    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    lib = REPO_ROOT / "lib"
    found = {".".join(p.parent.relative_to(lib).parts) for p in lib.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert {"mscreport._chapters", "mscreport._data"} <= listed


def test_python_versions_declared():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    versions = {c.rsplit(":: ", 1)[1] for c in project["classifiers"] if c.startswith("Programming Language :: Python :: 3.")}
    assert versions == {"3.11", "3.12", "3.13"}
    assert project["requires-python"] == ">=3.11,<3.14"
    assert (3, 11) <= sys.version_info[:2] <= (3, 13)
