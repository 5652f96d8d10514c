"""Shared fixtures. ``built_report`` builds the default report once per test session into a
temporary directory (the end-to-end, privacy and browser tests read it).

Every results.json that a test writes under pytest's temporary folders is checked against
docs/results.schema.json: after each test, in that test's ``tmp_path``; at the end of the
session, everywhere under the session's temporary root (session and module fixtures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from results_schema import assert_valid_results

from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"
_SCHEMA_CHECKED: set[tuple[Path, int]] = set()


def check_results_under(folder: Path) -> int:
    """Validate each results.json under ``folder`` not validated yet; how many were checked."""
    checked = 0
    for path in sorted(folder.rglob("results.json")):
        key = (path, path.stat().st_mtime_ns)
        if key not in _SCHEMA_CHECKED:
            assert_valid_results(path)
            _SCHEMA_CHECKED.add(key)
            checked += 1
    return checked


@pytest.fixture(autouse=True)
def _results_json_follow_the_schema(request):
    """After each test that has a tmp_path: its builds' results.json follow the schema."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is not None:
        check_results_under(folder)


@pytest.fixture(scope="session", autouse=True)
def _all_results_json_follow_the_schema(tmp_path_factory):
    """At the end of the session: every results.json under the session's temporary root."""
    yield
    check_results_under(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def built_report(tmp_path_factory):
    """Output folder of `mscreport build --force` on the bundled cohort."""
    out = tmp_path_factory.mktemp("e2e") / "reports"
    assert main(["build", "--output", str(out), "--force"]) == 0
    return out


@pytest.fixture(scope="session")
def built_teaching_report(tmp_path_factory):
    """Output folder of `mscreport build` on tests/fixtures/cohort_teaching.csv (both strata,
    both dose groups, a serious adverse event, an exclusion of each kind)."""
    out = tmp_path_factory.mktemp("e2e-teaching") / "reports"
    assert main(["build", "--data", str(FIXTURES / "cohort_teaching.csv"), "--output", str(out), "--force"]) == 0
    return out
