#!/usr/bin/env bash
# The fast test suite on every Python that pyproject's classifiers claim besides the main one
# (.venv, Python 3.11): make test-pythons, and .ci/run after `make test`.
#
#   .ci/pythons.sh [VERSION ...]        (default: 3.12 3.13)
#
# For each VERSION it looks for an interpreter (python3.X on PATH, then pyenv's versions
# folder), makes .venv-3.X with the project's pinned dependencies (requirements/constraints.txt,
# the same pins as .venv) and runs `pytest -m "not slow and not browser"` (make test-fast).
# A version whose interpreter is not on this machine is SKIPPED with a printed reason, not
# failed: the registries this project may use (PyPI, Debian bookworm) ship no CPython 3.12 or
# 3.13, so the matrix is tested only where one is installed (the pyenv of the development
# machines has both). Exit status: non-zero if a version that was found fails to install or to
# pass its tests.
set -uo pipefail
cd "$(dirname "$0")/.."

CONSTRAINTS=requirements/constraints.txt
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(3.12 3.13)

find_python() {  # find_python 3.12 -> path of an interpreter reporting exactly that version
    local v=$1 cand
    for cand in "$(command -v "python$v" 2>/dev/null)" \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v"*/bin/"python$v" \
                /root/.pyenv/versions/"$v"*/bin/"python$v"; do
        [ -n "$cand" ] && [ -x "$cand" ] || continue
        if [ "$("$cand" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$v" ]; then
            echo "$cand"; return 0
        fi
    done
    return 1
}

status=0
summary=()
for v in "${versions[@]}"; do
    py=$(find_python "$v") || {
        echo "pythons: Python $v SKIPPED: no python$v on PATH or under ~/.pyenv/versions (PyPI and Debian bookworm do not ship it)"
        summary+=("$v skipped (no interpreter)"); continue; }
    venv=".venv-$v"
    echo "pythons: Python $v: $("$py" -c 'import sys; print(sys.version.split()[0])') from $py -> $venv"
    stamp="$venv/.installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$CONSTRAINTS" -nt "$stamp" ]; then
        { test -x "$venv/bin/python" || "$py" -m venv "$venv"; } \
        && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" \
        && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
               -c "$CONSTRAINTS" setuptools -e ".[test]" \
        && touch "$stamp" || {
            echo "pythons: Python $v FAILED: the pinned dependencies did not install (see pip's message above)"
            summary+=("$v install failed"); status=1; continue; }
    fi
    if "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not slow and not browser"; then
        summary+=("$v passed")
    else
        summary+=("$v FAILED"); status=1
    fi
done
echo "pythons: ${summary[*]}"
exit $status
