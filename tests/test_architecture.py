"""The house runs one way (issue 22): the import contract of pyproject.toml holds (layers, no
cycles), the only imports of our own modules inside function bodies are the documented ones,
and the README's layout section is the one the modules' docstrings give.

Each check has a control showing it can fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mscreport.core.paths import REPO_ROOT

LIB = REPO_ROOT / "lib" / "mscreport"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def _lint_imports(lib_parent: Path, config: Path) -> subprocess.CompletedProcess:
    """lint-imports on the package found under ``lib_parent`` with the contract of ``config``."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=lib_parent,
                          env={"PYTHONPATH": str(lib_parent), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})


def test_the_import_contract_holds():
    proc = _lint_imports(REPO_ROOT / "lib", REPO_ROOT / "pyproject.toml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("planted", [
    ("core/units.py", "from mscreport.analysis import dose\n"),             # a layer importing up
    ("analysis/paired.py", "from mscreport.analysis import change\n"),     # a cycle inside a folder
])
def test_the_contract_finds_an_import_that_runs_up_or_round(tmp_path, planted):
    copy = tmp_path / "lib"
    shutil.copytree(LIB, copy / "mscreport", ignore=shutil.ignore_patterns("__pycache__"))
    module, line = planted
    (copy / "mscreport" / module).write_text((copy / "mscreport" / module).read_text() + line)
    proc = _lint_imports(copy, REPO_ROOT / "pyproject.toml")
    assert proc.returncode != 0 and "BROKEN" in proc.stdout.upper(), proc.stdout


def _modules() -> dict[str, Path]:
    out = {}
    for path in LIB.rglob("*.py"):
        parts = path.relative_to(LIB.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _own_imports(tree: ast.AST) -> list[tuple[ast.ImportFrom, bool]]:
    """(import of mscreport.*, inside a function body?) for each ``from mscreport... import``."""
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    return [(n, id(n) in inner) for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("mscreport") and n.level == 0]


def _lazy_imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node, in_function in _own_imports(ast.parse(source)):
            if in_function:
                assert "# lazy:" in lines[node.lineno - 1], \
                    f"{path}:{node.lineno}: an import inside a function needs a '# lazy: why' comment"
                found.setdefault(name, set()).add(node.module)
    return found


def test_function_level_imports_of_our_own_modules_are_exactly_the_documented_ones():
    documented = {k: set(v) for k, v in PYPROJECT["tool"]["mscreport"]["lazy_imports"].items()}
    assert _lazy_imports(_modules()) == documented


def test_the_lazy_import_check_sees_an_undocumented_one(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from mscreport.core import units  # lazy: a reason\n    return units\n")
    assert _lazy_imports({"mscreport.m": path}) == {"mscreport.m": {"mscreport.core"}}
    path.write_text("def f():\n    from mscreport.core import units\n    return units\n")
    with pytest.raises(AssertionError, match="needs a '# lazy: why' comment"):
        _lazy_imports({"mscreport.m": path})


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_round_about_counting_imports_inside_functions():
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node, _ in _own_imports(ast.parse(path.read_text(encoding="utf-8"))):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                targets.add(target if target in modules else node.module)
        graph[name] = targets - {name}
    assert _cycles(graph) == []
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]  # control


def test_the_readme_layout_is_generated_from_the_modules():
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "readme_layout.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for module in _modules():
        if module.count(".") == 2:  # every module of a layer folder is named in the README
            assert f"`{module.rsplit('.', 1)[1]}`" in readme, module
