"""results.json's keys are listed once (``results.TOP_KEYS``): the chapters record exactly those
keys (plus the index's figure, which is not a result), and ``compute_results`` gives them in
that order. Static over the chapter sources, so a key renamed in one place fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from mscreport.core.paths import DEFAULT_COHORT, NOTEBOOKS_DIR, REPO_ROOT
from mscreport.inputs.cohort import load_cohort
from mscreport.report.blocks import compute_results
from mscreport.report.results import TOP_KEYS

EXTRAS = {"headline_figure"}  # records for the index page, not results


def recorded_keys(sources) -> set[str]:
    """Every literal key of ``ch.record("KEY", ...)`` / ``ch.record_figure("KEY", ...)`` in these sources."""
    keys = set()
    for path in sources:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("record", "record_figure") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                keys.add(node.args[0].value)
    return keys


def test_the_chapters_record_exactly_the_listed_keys():
    sources = [*sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")), *sorted((REPO_ROOT / "lib" / "mscreport").rglob("*.py"))]
    recorded = recorded_keys(sources)
    assert recorded - EXTRAS == set(TOP_KEYS[2:])  # data and params come from the build itself


def test_the_key_scan_sees_a_key_no_list_has(tmp_path):
    chapter = tmp_path / "08_x.py"
    chapter.write_text('ch.record("overall", 1)\nch.record("new_block", 2)\nch.say("record")\n')
    assert recorded_keys([chapter]) == {"overall", "new_block"}


def test_compute_results_gives_the_listed_keys_in_order():
    assert tuple(compute_results(load_cohort(DEFAULT_COHORT))) == TOP_KEYS
