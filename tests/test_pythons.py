"""The Python versions pyproject claims are the ones tested: 3.11 by `make test` (.venv),
3.12 and 3.13 by `make test-pythons` (.ci/pythons.sh, run by .ci/run), which skips a
version whose interpreter is absent instead of failing (issue 12 item 2)."""

from __future__ import annotations

import re
import subprocess
import tomllib

from mscreport.core.paths import REPO_ROOT

SCRIPT = REPO_ROOT / ".ci" / "pythons.sh"


def _claimed() -> set[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return {c.rsplit(":: ", 1)[1] for c in project["classifiers"] if c.startswith("Programming Language :: Python :: 3.")}


def test_every_claimed_version_is_tested():
    default = re.search(r"versions=\(([\d. ]+)\)", SCRIPT.read_text()).group(1).split()
    assert _claimed() == {"3.11", *default}  # 3.11: make test's .venv (python.md: the machines' python3)
    assert "make test-pythons" in (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^test-pythons:.*\n\tbash \.ci/pythons\.sh$", (REPO_ROOT / "Makefile").read_text(), re.M)


def test_an_absent_interpreter_is_skipped_with_its_reason():
    proc = subprocess.run(["bash", str(SCRIPT), "3.99"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Python 3.99 SKIPPED: no python3.99" in proc.stdout
    assert proc.stdout.strip().endswith("pythons: 3.99 skipped (no interpreter)")
