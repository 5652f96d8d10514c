"""The project's own files install everything, pinned; the README documents what exists."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml

from mscreport.inputs.params import PARAMETERS
from mscreport.core.paths import REPO_ROOT


def _pins() -> dict[str, str]:
    text = (REPO_ROOT / "requirements" / "constraints.txt").read_text()
    return {n.lower().replace("_", "-"): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M)}


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    for dep in deps:
        name = re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in requirements/constraints.txt"


def test_environment_yml_mirrors_the_pins():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pins = _pins()
    conda = [d for d in env["dependencies"] if isinstance(d, str) and "==" in d]
    assert len(conda) >= 10
    for dep in conda:
        name, version = dep.split("==")
        assert pins[name.lower()] == version, f"{name}: environment.yml {version} != constraints {pins[name.lower()]}"


def test_gitignore_keeps_the_library():
    proc = subprocess.run(["git", "check-ignore", "-q", "lib/mscreport/x.py"], cwd=REPO_ROOT)
    assert proc.returncode == 1, "lib/ must not be git-ignored"


def test_bare_make_prints_help():
    proc = subprocess.run(["make", "-s", "--no-print-directory"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "make report" in proc.stdout and "make test" in proc.stdout


def test_readme_shows_the_two_commands_and_every_parameter():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    for p in PARAMETERS:
        assert f"`{p.name}`" in readme, f"parameter {p.name} missing from the README's table"
    assert "synthetic" in readme.lower()
