"""Shared fixtures. ``built_report`` builds the default report once per test session into a
temporary directory (the end-to-end, privacy and browser tests read it)."""

from __future__ import annotations

import pytest

from mscreport.cli import main
from mscreport.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"


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
