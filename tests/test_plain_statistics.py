"""Readable statistics (issue 27): beside each library call of the teaching pages, a cell
tagged ``plain`` runs the scipy/statsmodels one-liner a student could type on an open patient
table. Each one-liner, run as the chapter has it, gives the number of the library's result
(the library's results are checked against R elsewhere: tests/test_stats_vs_r.py,
tests/test_lessons_corrected.py)."""

from __future__ import annotations

import contextlib
import io
from types import SimpleNamespace

import jupytext
import pytest

from mscreport.analysis import trajectory
from mscreport.analysis.ancova_size import ancova_n_per_arm, ancova_residual_sd
from mscreport.analysis.dose import adjusted_dose_block
from mscreport.analysis.paired import analyse_overall
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.inputs.cohort import load_cohort
from mscreport.methods import stats
from mscreport.methods.sign_test import sign_test
from mscreport.pipeline.chapters import list_chapters
from mscreport.report import lesson

CHAPTERS = {c.name: c for c in list_chapters()}
PLAIN = "plain"


def _plain_cells(name: str) -> list[str]:
    return [c.source for c in jupytext.read(CHAPTERS[name].source).cells if PLAIN in c.metadata.get("tags", [])]


def run_plain(name: str, cohort) -> dict:
    """The chapter's plain cells, in order, in a namespace holding what the chapter defined
    before them (the cohort, alpha, the analysed frame ``f``, the overall result, ``m``)."""
    said = []
    ns = {"cohort": cohort, "alpha": cohort.params["alpha"], "lesson": lesson, "trajectory": trajectory,
          "f": lesson.analysed_frame(cohort), "overall": analyse_overall(cohort), "m": lesson.measurements(cohort),
          "ch": SimpleNamespace(cohort=cohort, params=cohort.params, say=said.append)}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for source in _plain_cells(name):
            exec(compile(source, f"{name}:plain", "exec"), ns)
    ns["_printed"], ns["_said"] = out.getvalue(), said
    return ns


@pytest.fixture(scope="module")
def bundled():
    return load_cohort(DEFAULT_COHORT)


def test_every_chapter_with_a_library_call_has_plain_one_liners():
    for name in ("02_severity", "03_change", "04_dose", "05_trust", "06_published", "07_trajectory"):
        cells = _plain_cells(name)
        assert cells, name
        code = "\n".join(cells)
        assert "sps." in code or "smf." in code, name
        assert "lesson.print_plain(" in code and ("lesson.open_table(" in code or "lesson.open_measurements(m)" in code)


def test_severity_ttest_rel(bundled):
    ns = run_plain("02_severity", bundled)
    f = lesson.analysed_frame(bundled)
    sev = f[f["stratum"] == "severe"]
    lib = stats.paired_test(sev["hba1c_baseline"], sev["hba1c_followup"], 0.05, rank_tests=False)
    assert ns["plain_t"].statistic == pytest.approx(lib.t, rel=1e-12)
    assert ns["plain_t"].pvalue == pytest.approx(lib.p, rel=1e-10)
    assert "t.statistic" in ns["_printed"]


def test_change_ttest_rel_wilcoxon_binomtest(bundled):
    ns = run_plain("03_change", bundled)
    f = lesson.analysed_frame(bundled)
    lib = stats.paired_test(f["hba1c_baseline"], f["hba1c_followup"], 0.05)
    assert ns["plain_t"].statistic == pytest.approx(lib.t, rel=1e-12)
    assert (ns["plain_ci"].low, ns["plain_ci"].high) == pytest.approx((lib.ci_low, lib.ci_high), rel=1e-12)
    assert ns["plain_w"].pvalue == pytest.approx(stats.signed_rank_test(f["change"], 0.05).p, rel=1e-10)
    assert ns["plain_s"].pvalue == pytest.approx(sign_test(f["change"]).p, rel=1e-12)


def test_dose_welch_mannwhitney_correlations_and_adjusted_ols(bundled):
    ns = run_plain("04_dose", bundled)
    f = lesson.analysed_frame(bundled)
    high, low = f.loc[f["dose_group"] == "high", "change"], f.loc[f["dose_group"] == "low", "change"]
    welch, mw = stats.welch_test(high, low), stats.mann_whitney(high, low)
    assert ns["plain_welch"].pvalue == pytest.approx(welch.p, rel=1e-10)
    assert ns["plain_mw"].statistic == mw.u and ns["plain_mw"].pvalue == pytest.approx(mw.p, rel=1e-10)
    assert ns["plain_r"].statistic == pytest.approx(stats.pearson(f["dose_cells"], f["change"]).r, rel=1e-10)
    assert ns["plain_rho"].statistic == pytest.approx(stats.spearman(f["dose_cells"], f["change"]).rho, rel=1e-10)
    adjusted = adjusted_dose_block(bundled)
    assert ns["plain_ols"].params["high_dose"] == pytest.approx(adjusted["estimate"], rel=1e-9)
    assert ns["plain_ols"].pvalues["high_dose"] == pytest.approx(adjusted["p"], rel=1e-8)


def test_trust_oldham_slope_and_ancova_size(bundled):
    ns = run_plain("05_trust", bundled)
    f = lesson.analysed_frame(bundled)
    oldham = stats.pearson((f["hba1c_baseline"] + f["hba1c_followup"]) / 2, f["change"])
    assert ns["plain_oldham"].statistic == pytest.approx(oldham.r, rel=1e-10)
    slope = stats.linear_slope(f["followup_months"] / 12, f["change"])
    assert ns["plain_slope"].params.iloc[1] == pytest.approx(slope.slope, rel=1e-9)
    assert ns["plain_sigma"] == pytest.approx(ancova_residual_sd(f), rel=1e-9)
    # statsmodels' two-sided power vs R's power.t.test (strict = FALSE): equal to about 1e-6
    assert ns["plain_n"] == pytest.approx(ancova_n_per_arm(f, f["change"].mean(), 0.05, 0.8), rel=1e-5)


def test_trajectory_mixedlm_on_the_long_file():
    cohort = load_cohort(REPO_ROOT / "data" / "reconstructed_cohort_long.csv")
    ns = run_plain("07_trajectory", cohort)
    lib = trajectory.fit_mixed_model(lesson.measurements(cohort))
    assert ns["plain_mixed"].params["years"] == pytest.approx(lib.slope_per_year["estimate"], rel=1e-3)
    assert any("after time 0 only" in s for s in ns["_said"])


def test_trajectory_plain_cell_runs_on_a_wide_file(bundled):
    ns = run_plain("07_trajectory", bundled)
    assert ns["plain_mixed"] is None and any("one row per patient" in s for s in ns["_said"])


def test_report_plumbing_is_folded_on_the_teaching_page():
    """ch.record / ch.table cells (no teaching tag) are folded in the teaching rendering; the
    teaching cells (library call, plain one-liner) are shown open."""
    import nbformat
    from bs4 import BeautifulSoup

    from mscreport.pipeline.render import render_pages

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('ch.record("strata", strata_block(by_stratum))'),
                nbformat.v4.new_code_cell("plain_t = sps.ttest_rel(d.f, d.b)", metadata={"tags": ["teaching", "plain"]})]
    page = BeautifulSoup(render_pages(nb, {"name": "x", "title": "x", "prev": None, "next": None})["teaching/x.html"],
                         "html.parser")
    folded = " ".join(d.get_text() for d in page.select("details.msc-plumbing"))
    assert "ch.record" in folded and "ttest_rel" not in folded and "ttest_rel" in page.get_text()


def test_helpers_of_the_plain_cells_and_the_checks(monkeypatch, bundled):
    """try_call gives None for what the data cannot give; check_close passes equal numbers and
    both-not-computable, fails otherwise without naming the expected value; the open table is
    a seeded sample above its limit."""
    from scipy import stats as sps

    assert lesson.try_call(sps.pearsonr, [1.0], [2.0]) is None and lesson.try_call(abs, None) is None
    assert lesson.try_call(abs, -2) == 2
    lesson.check_close(0.1 + 0.2, 0.3, "x")
    lesson.check_close(float("nan"), None, "x")
    with pytest.raises(AssertionError) as err:
        lesson.check_close(0.31, 0.3, "x")
    assert "0.3 " not in str(err.value) and "0.31" in str(err.value)
    with pytest.raises(lesson.NotAnswered):
        lesson.check_answered(..., "x")
    monkeypatch.setattr(lesson, "PLAIN_MAX_ROWS", 20)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        a, b = lesson.open_table(bundled, ["change"]), lesson.open_table(bundled, ["change"])
    assert len(a) == 20 and a.index.equals(b.index) and "random sample" in out.getvalue()


@pytest.mark.parametrize("class_build", [False, True], ids=["bundled", "class_msc_arm"])
def test_published_figures_in_plain_pandas(bundled, class_build):
    """Chapter 6's plain cell, on the patients compared (the class build: the MSC arm alone),
    gives the paper's printed figures at the paper's rounding (data/published_results.yaml)."""
    from mscreport.inputs.class_cohort import CLASS_COHORT, class_overrides
    from mscreport.inputs.params import resolve_params

    cohort = load_cohort(CLASS_COHORT, resolve_params(None, class_overrides(None, [], None))) if class_build else bundled
    ns = run_plain("06_published", cohort)
    assert len(ns["d"]) == 61  # the paper: 61 patients
    assert round(ns["d"]["hba1c_baseline"].mean(), 2) == 7.49 and round(ns["d"]["hba1c_followup"].mean(), 1) == 6.7
    assert round(-ns["moderate"]["change"].mean(), 2) == 0.58 and round(-ns["severe"]["change"].mean(), 2) == 1.55
    assert round(ns["plain_severe_t"].pvalue, 4) == 0.0122  # the paper's severe p
    assert "severe_t.pvalue" in ns["_printed"]

