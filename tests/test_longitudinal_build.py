"""End to end with a long file: `mscreport build --data long.csv` (the bundled synthetic long
cohort) and with `-p followup_at_months=12` build full reports; results.json's
`longitudinal` block agrees with nlme (tests/fixtures/r_longitudinal.json); a wide file gives
`"longitudinal": null`."""

from __future__ import annotations

import json
import re

import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

pytestmark = pytest.mark.slow
LONG = REPO_ROOT / "data" / "reconstructed_cohort_long.csv"
R = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_longitudinal.json").read_text())


@pytest.fixture(scope="module")
def long_reports(tmp_path_factory):
    """The two builds of the issue: last follow-up (default) and HbA1c at 12 months."""
    root = tmp_path_factory.mktemp("long")
    out = {"last": root / "last", "12": root / "m12"}
    assert main(["build", "--data", str(LONG), "--output", str(out["last"]), "--force"]) == 0
    assert main(["build", "--data", str(LONG), "--output", str(out["12"]), "--force", "-p", "followup_at_months=12"]) == 0
    return out


def _results(out):
    return json.loads((out / "results.json").read_text())


def test_full_reports_are_built(long_reports):
    for out in long_reports.values():
        for c in list_chapters():
            assert (out / c.html_name).is_file() and (out / "teaching" / c.html_name).is_file()
        assert (out / "index.html").is_file()


def test_last_followup_reduces_to_the_reconstructed_cohort(long_reports):
    r = _results(long_reports["last"])
    assert r["data"]["rows_analysed"] == 61 and r["data"]["excluded"] == []
    assert all(c["agrees"] for c in r["published_comparison"])  # every published figure, as from the wide file
    assert r["params"]["followup_at_months"] == "last"


def test_followup_at_12_months_excludes_with_reasons(long_reports):
    r = _results(long_reports["12"])
    d = r["data"]
    assert d["rows_read"] == d["rows_analysed"] + len(d["excluded"]) == 61
    assert d["excluded"] and {e["reason"] for e in d["excluded"]} == {"no HbA1c within 3 months of month 12 (follow-up)"}
    assert r["overall"]["n"] == d["rows_analysed"]
    # the mixed model does not depend on the follow-up rule
    assert r["longitudinal"]["mixed_model"] == _results(long_reports["last"])["longitudinal"]["mixed_model"]


def test_longitudinal_block_agrees_with_nlme(long_reports):
    got, ref = _results(long_reports["last"])["longitudinal"], R["synthetic"]
    assert got["rows_read"] == sum(1 for _ in LONG.open()) - 1
    m = got["mixed_model"]
    assert m["n_patients"] == ref["n_patients"] and m["n_measurements"] == ref["n_measurements"]
    for term in ("intercept", "slope_per_year"):
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert m[term][key] == pytest.approx(ref[term][key], rel=1e-4)
    for key in ("sd_intercept", "sd_slope", "sd_residual"):
        assert m[key] == pytest.approx(ref[key], rel=1e-4)
    assert got["mixed_model_by_arm"] is None  # no arm column


def test_trajectory_page_shows_figure_table_verdict_and_no_ids(long_reports):
    page = (long_reports["last"] / "07_trajectory.html").read_text()
    assert "HbA1c over time, 61 patients" in page and "Linear mixed model" in page
    assert re.search(r"No detectable drift|Falling over follow-up|Not durable", page)
    for out in long_reports.values():
        for path in out.rglob("*.html"):
            assert "SYN-0" not in path.read_text(), path


def test_wide_file_gives_null_and_says_how_to_supply_a_long_file(built_report):
    r = json.loads((built_report / "results.json").read_text())
    assert "longitudinal" in r and r["longitudinal"] is None
    assert "long file" in (built_report / "07_trajectory.html").read_text()
