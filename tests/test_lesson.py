"""The teaching rendering's own cells (issue 13.5): each shows the statistical call behind a
reader table on the cohort's columns, with its result printed; that result is the one the
reader page shows (same numbers as results.json), it prints aggregates only, and it is
suppressed where the pages suppress."""

from __future__ import annotations

import json
import math
import re

import jupytext
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from mscreport.report import lesson
from mscreport.methods import stats
from mscreport.analysis import trajectory
from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.core.disclosure import SUPPRESSED
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.pipeline.render import TEACHING_ONLY

FIXTURES = REPO_ROOT / "tests" / "fixtures"
CHAPTERS = {c.name: c for c in list_chapters()}
# the chapters whose key statistics get a teaching cell: the call each must show
CALLS = {"02_severity": ["stats.paired_test("], "03_change": ["stats.paired_test(", "stats.signed_rank_test("],
         "04_dose": ["stats.welch_test(", "stats.mann_whitney(", "stats.pearson(", "stats.spearman("],
         "05_trust": ["stats.pearson(", "stats.linear_slope("], "07_trajectory": ["trajectory.fit_mixed_model("]}
BLOCK = re.compile(r"^(\w+Result):\n((?:  .*\n?)+)", re.M)


def _cohort(tmp_path, rows: list[tuple]) -> object:
    path = tmp_path / "c.csv"
    pd.DataFrame(rows, columns=["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells"]).to_csv(path, index=False)
    return load_cohort(path)


def _printed(text: str) -> dict[str, dict[str, str]]:
    return {m.group(1): dict(line.split(None, 1) for line in m.group(2).strip().splitlines()) for m in BLOCK.finditer(text)}


def _same(shown: str, value) -> bool:
    return value is not None and f"{float(value):.4g}" == shown


# ------------------------------------------------------------------ the chapters' cells
@pytest.mark.parametrize("name", sorted(CALLS))
def test_key_statistics_have_a_teaching_cell_with_the_call_and_a_sentence(name):
    """The call appears in a code cell tagged teaching (not in the reader page), printed by
    ``lesson.print_result``, right after a teaching markdown cell that says what it is behind."""
    nb = jupytext.read(CHAPTERS[name].source)
    teaching = [(i, c) for i, c in enumerate(nb.cells) if TEACHING_ONLY in c.metadata.get("tags", [])]
    code = "\n".join(c.source for _, c in teaching if c.cell_type == "code")
    for call in CALLS[name]:
        assert call in code, f"{name}: no teaching cell shows {call}"
    for i, cell in teaching:
        if cell.cell_type == "code" and "lesson.print_result(" in cell.source:
            before = nb.cells[i - 1]
            assert before.cell_type == "markdown" and TEACHING_ONLY in before.metadata.get("tags", [])
            assert "**The call" in before.source, f"{name}: a teaching call without its sentence"
    reader_code = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                            and TEACHING_ONLY not in c.metadata.get("tags", []))
    assert "lesson." not in reader_code, f"{name}: a lesson cell is not tagged teaching"


def test_no_f_string_left_in_a_chapter():
    """Captions and sentences are worded in lib/, not formatted in a chapter."""
    import ast

    for chapter in CHAPTERS.values():
        cells = [c.source for c in jupytext.read(chapter.source).cells if c.cell_type == "code"]
        found = [ast.unparse(n) for s in cells for n in ast.walk(ast.parse(s)) if isinstance(n, ast.JoinedStr)]
        assert not found, f"{chapter.name}: move into lib/mscreport: {found}"
    assert any(isinstance(n, ast.JoinedStr) for n in ast.walk(ast.parse('x = f"{1 - a:.0%}"')))


# ------------------------------------------------------------------ what a call prints
def test_printed_result_is_rounded_and_flattened(tmp_path):
    cohort = load_cohort(DEFAULT_COHORT)
    f = lesson.analysed_frame(cohort)
    result = stats.paired_test(f["hba1c_baseline"], f["hba1c_followup"], 0.05)
    text = lesson.describe_result(result, cohort, fields=("n", "mean_change", "p"))
    assert text.splitlines()[0] == "PairedResult:"
    block = _printed(text)["PairedResult"]
    assert list(block) == ["n", "mean_change", "p"]
    assert block["n"] == str(result.n) and block["mean_change"] == f"{result.mean_change:.4g}"
    mixed = trajectory.MixedModelResult(5, 20, {"estimate": 7.123456}, {"estimate": 0.1, "p": None}, 0.5, 0.1, 0.3,
                                        float("nan"), -10.0, True, "statsmodels")
    lines = dict(lesson.result_lines(mixed))
    assert lines["intercept.estimate"] == "7.123" and lines["slope_per_year.p"] == "None" and lines["corr"] == "nan"


def test_tables_inside_a_result_are_never_printed(tmp_path):
    """A result may carry a table (e.g. per-source groups, whose rows can be one patient)."""
    from mscreport.analysis.dose import compare_sources

    cohort = load_cohort(DEFAULT_COHORT)
    src = compare_sources(cohort)
    assert isinstance(src.groups, pd.DataFrame) and len(src.groups)
    text = lesson.describe_result(src, cohort)
    assert "groups" not in text and "anova_p" in text


def test_hidden_group_or_too_few_values_print_only_the_suppression(tmp_path):
    """Two severe patients: the severe stratum is hidden on every page, so is its teaching
    call; a result from 1 or 2 values is suppressed whatever the group."""
    rows = [(f"p{i}", 7.0 + i / 10, 6.5 + i / 10, 5e8) for i in range(8)] + [("s1", 9.4, 8.1, 2e9), ("s2", 10.2, 8.6, 2e9)]
    cohort = _cohort(tmp_path, rows)
    f = lesson.analysed_frame(cohort)
    severe = f[f["stratum"] == "severe"]
    result = stats.paired_test(severe["hba1c_baseline"], severe["hba1c_followup"], 0.05)
    text = lesson.describe_result(result, cohort, groups=("severe",))
    assert SUPPRESSED in text and "severe" in text
    for secret in ("9.4", "10.2", "8.1", "8.6", f"{result.mean_change:.4g}"):
        assert secret not in text
    two = stats.pearson([1.0, 2.0], [3.0, 5.0])
    assert SUPPRESSED in lesson.describe_result(two, cohort)
    assert "None" in lesson.describe_result(None, cohort)
    high = f.loc[f["dose_group"] == "high", "change"]
    low = f.loc[f["dose_group"] == "low", "change"]
    assert SUPPRESSED in lesson.describe_result(stats.welch_test(high, low), cohort, groups=("high", "low"))


def test_a_cohort_without_study_columns_gives_the_not_computable_result(tmp_path):
    """The teaching calls run on any cohort: a column the file lacks is empty, not an error."""
    path = tmp_path / "min.csv"
    pd.read_csv(DEFAULT_COHORT)[["patient_id", "hba1c_baseline", "hba1c_followup"]].to_csv(path, index=False)
    cohort = load_cohort(path)
    f = lesson.analysed_frame(cohort)
    assert set(lesson.STUDY_COLUMNS) <= set(f.columns) and f["dose_cells"].isna().all()
    welch = stats.welch_test(f.loc[f["dose_group"] == "high", "change"], f.loc[f["dose_group"] == "low", "change"])
    assert welch.p is None and "p" in _printed(lesson.describe_result(welch, cohort, groups=("high", "low")))["WelchResult"]
    assert stats.linear_slope(f["followup_months"] / 12, f["change"]).slope is None
    assert trajectory.fit_mixed_model(lesson.measurements(cohort)) is None


def test_mixed_model_call_is_the_chapters_model():
    """Chapter 7's teaching call on ``lesson.measurements`` is the model of the reader table."""
    cohort = load_cohort(FIXTURES / "long_constructed.csv")
    alpha = cohort.params["alpha"]
    shown = lesson.describe_result(trajectory.fit_mixed_model(lesson.measurements(cohort), alpha), cohort)
    chapter = trajectory.analyse_trajectory(cohort).mixed.interface()
    lines = dict(line.split(None, 1) for line in shown.splitlines()[1:])
    assert _same(lines["slope_per_year.estimate"], chapter["slope_per_year"]["estimate"])
    assert _same(lines["slope_per_year.ci_low"], chapter["slope_per_year"]["ci_low"])
    assert _same(lines["sd_residual"], chapter["sd_residual"]) and lines["n_patients"] == str(chapter["n_patients"])


# ------------------------------------------------------------------ the built pages
def _section(results: dict, path: str):
    for key in path.split("."):
        results = results[key]
    return results


# what each printed result is, in results.json; field -> key there (same name when left out)
SECTIONS = {
    "02_severity": [("PairedResult", "strata.severe", {})],
    "03_change": [("PairedResult", "overall", {}),
                  ("SignedRankResult", "hodges_lehmann.overall",
                   {"v": "wilcoxon_v", "p": "wilcoxon_p", "hl_estimate": "estimate", "hl_ci_low": "ci_low",
                    "hl_ci_high": "ci_high", "hl_conf_level": "conf_level",
                    "n_nonzero": lambda s: s["n"] - s["zeros"]})],
    "04_dose": [("WelchResult", "dose.welch", {}), ("MannWhitneyResult", "dose.mann_whitney", {}),
                ("PearsonResult", "dose.pearson", {"n": lambda s: None}),
                ("SpearmanResult", "dose.spearman", {"n": lambda s: None})],
    "05_trust": [("PearsonResult", "oldham", {}),
                 ("SlopeResult", "durability", {"slope": "slope_per_year", "t": lambda s: s["slope_per_year"] / s["se"],
                                                "df": lambda s: s["n"] - 2})],
}


@pytest.mark.slow
def test_teaching_pages_print_the_numbers_of_the_reader_pages(built_report):
    """Every number a teaching call prints is the number results.json (hence the reader page)
    holds for that analysis, at 4 significant digits; the reader page has none of it."""
    results = json.loads((built_report / "results.json").read_text(encoding="utf-8"))
    for name, expected in SECTIONS.items():
        teaching = BeautifulSoup((built_report / "teaching" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        text = "\n".join(pre.get_text() for pre in teaching.select(".jp-OutputArea-output pre"))
        blocks = [(m.group(1), dict(line.split(None, 1) for line in m.group(2).strip().splitlines()))
                  for m in BLOCK.finditer(text)]
        assert [b[0] for b in blocks] == [e[0] for e in expected], name
        for (kind, fields), (_, path, mapping) in zip(blocks, expected):
            section = _section(results, path)
            for field, shown in fields.items():
                if not re.fullmatch(r"-?[\d.e+-]+", shown):
                    continue  # a method or note
                key = mapping.get(field, field)
                value = key(section) if callable(key) else section.get(key)
                if value is None:  # not in this section (n of a correlation, t of a slope): checked below
                    value = float(shown)
                    assert any(_same(shown, v) for v in _numbers(results)), f"{name} {kind}.{field} = {shown}"
                assert _same(shown, value), f"{name} {kind}.{field}: teaching {shown}, results.json {value}"
        reader = (built_report / f"{name}.html").read_text(encoding="utf-8")
        assert "Result:" not in reader and "print_result" not in reader, name


def _numbers(obj) -> list[float]:
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _numbers(x)]
    if isinstance(obj, list):
        return [v for x in obj for v in _numbers(x)]
    return [float(obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) and math.isfinite(obj) else []


def test_the_class_frame_can_be_changed_without_changing_the_cohort():
    """analysed_frame is a lazy copy (copy-on-write): a student's assignments reach only it."""
    cohort = load_cohort(DEFAULT_COHORT)
    before = cohort.frame.copy(deep=True)
    f = lesson.analysed_frame(cohort)
    f["change"] = 0.0
    f.loc[f.index[0], "hba1c_baseline"] = 99.0
    f["hba1c_followup"] *= 2
    del f["stratum"]
    pd.testing.assert_frame_equal(cohort.frame, before)
    assert lesson.analysed_frame(cohort)["change"].equals(before["change"])


def test_the_class_frame_groups_are_categoricals_as_documented():
    """analysed_frame's docstring: categoricals with fixed levels; a new label after astype(object)."""
    f = lesson.analysed_frame(load_cohort(DEFAULT_COHORT))
    for column in ("stratum", "dose_group", "msc_source"):
        assert f[column].dtype == "category", column
    severe = f[f["stratum"] == "severe"]
    assert severe["stratum"].value_counts().to_dict() == {"severe": len(severe), "moderate": 0}
    relabelled = f["msc_source"].astype(object).where(f["msc_source"] != "adipose", "fat")
    assert (relabelled == "fat").sum() == (f["msc_source"] == "adipose").sum() > 0
    assert "astype(object)" in lesson.analysed_frame.__doc__  # the way to a new label is documented
