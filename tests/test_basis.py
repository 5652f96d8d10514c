"""Pinned, derived or assumed (issue 9.3): on a reconstruction every table row and generated
sentence of the reader pages carries its basis mark; a real cohort's pages carry none."""

from __future__ import annotations

import ast
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from mscreport.analysis import basis
from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.analysis.published import derived_bounds

MARK = re.compile(r"^(P|D|A): \S")  # a mark begins with its first class
SENTENCE_MARK = re.compile(r"\[(P|D|A): [^\]]+\]")
TEACHING = REPO_ROOT / "tests" / "fixtures" / "cohort_teaching.csv"
LEGEND_CAPTION = "pinned by a published figure, derived, or assumed"  # chapter 6's list of the entries
PARAMETER_CAPTION = "Parameters of this build"  # the index's parameters: inputs, not results


def _keys_named_in(source: str) -> set[str]:
    """Every ``basis="KEY"`` literal in a Python source."""
    return {kw.value.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "basis" and isinstance(kw.value, ast.Constant)
            and isinstance(kw.value.value, str)}


def test_every_key_the_chapters_and_library_name_is_in_the_basis_list():
    named = set()
    for c in list_chapters():
        named |= _keys_named_in(c.source.read_text(encoding="utf-8"))
    for module in sorted((REPO_ROOT / "lib" / "mscreport").rglob("*.py")):
        named |= _keys_named_in(module.read_text(encoding="utf-8"))
    named |= set(basis.headline_keys()) | {"holm", "holm.severe", "sample_size.this_cohort", "sample_size.paper_bound",
                                           "sample_size.typical", "table1.patients", "table1.hba1c", "table1.dose",
                                           "table1.followup", "table1.sae", "table1.other", "threshold_sensitivity",
                                           "threshold_sensitivity.at_cutoff", "data", "published_comparison"}
    assert len(named) > 25
    missing = named - set(basis.basis_entries())
    assert not missing, f"basis keys used but not listed in data/published_results.yaml: {sorted(missing)}"


def test_every_entry_has_a_class_and_a_reason():
    for key, e in basis.basis_entries().items():
        assert e["pinned"] or e["derived"] or e["assumed"], key
        assert e["why"] and e["quantity"], key
        assert MARK.match(basis.mark(key)), key


def test_the_severe_size_range_is_computed_into_the_marks():
    b = derived_bounds()
    assert (b["severe_n_min"], b["severe_n_max"]) == (11, 16)  # every n from 11 to 16 prints the paper's 6.7 %
    assert f"every n from {b['severe_n_min']} to {b['severe_n_max']} fits" in basis.mark("strata.severe")
    assert "{severe_sizes}" not in str(basis.basis_entries())


def test_mark_frame_adds_one_mark_per_row_and_refuses_a_wrong_count():
    frame = pd.DataFrame({"group": ["a", "b"]})
    marked = basis.mark_frame(frame, ["overall", "strata.severe"])
    assert list(marked.columns) == ["group", "basis"] and marked["basis"].str.match(MARK).all()
    assert "basis" not in frame  # the caller's frame is left alone
    with pytest.raises(ValueError):
        basis.mark_frame(frame, ["overall"])
    with pytest.raises(KeyError):
        basis.mark("no such key")


def test_row_keys_follow_the_rows():
    rows = [{"sd_from": "this cohort"}, {"sd_from": "largest the paper's p allows"}, {"sd_from": "typical trial"}]
    assert basis.sample_size_keys(rows) == ["sample_size.this_cohort", "sample_size.paper_bound", "sample_size.typical"]
    assert basis.holm_keys([{"test": "severe paired t"}, {"test": "moderate paired t"}]) == ["holm.severe", "holm"]
    sens = pd.DataFrame({"severe_above": ["7.5", "8", "8.5"]})
    assert basis.sensitivity_keys(sens, 8.0) == ["threshold_sensitivity", "threshold_sensitivity.at_cutoff",
                                                 "threshold_sensitivity"]
    assert basis.sensitivity_keys(sens, 8.5) == ["threshold_sensitivity"] * 3  # the paper's falls are at 8 % only


def _said(cohort, calls) -> list:
    """What a Chapter shows (its display calls) for a sequence of (method, args, kwargs)."""
    import mscreport.report.chapter as report

    shown = []
    ch = report.Chapter("x", cohort, cohort.params)
    original = report.display
    report.display = lambda obj, **kw: shown.append(obj)
    try:
        for name, args, kwargs in calls:
            getattr(ch, name)(*args, **kwargs)
    finally:
        report.display = original
    return shown


def test_chapter_marks_only_a_reconstruction():
    calls = [("table", (pd.DataFrame({"group": ["all"]}), "t"), {"basis": "overall"}),
             ("say", ("The mean fell.",), {"basis": "paired"})]
    table, sentence = _said(load_cohort(DEFAULT_COHORT), calls)
    assert "<th scope=\"col\">basis</th>" in table.data and SENTENCE_MARK.search(sentence.data)
    table, sentence = _said(load_cohort(TEACHING), calls)
    assert "basis" not in table.data and sentence.data == "The mean fell."


# ------------------------------------------------------------------ the built reports
def _reader_pages(out):
    return [out / "index.html"] + sorted(p for p in out.glob("0*.html"))


def _result_tables(soup):
    """The tables of results on a reader page (the parameters and chapter 6's list of basis
    entries left out)."""
    for t in soup.select("table.msc-table"):
        caption = t.caption.get_text(" ") if t.caption else ""
        if t.find_parent("details") is None and PARAMETER_CAPTION not in caption and LEGEND_CAPTION not in caption:
            yield t, caption


@pytest.mark.slow
def test_every_row_of_every_table_on_the_bundled_reader_pages_is_marked(built_report):
    tables = 0
    for page in _reader_pages(built_report):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert "every number is marked" in soup.get_text(" "), f"{page.name}: no legend"
        for table, caption in _result_tables(soup):
            heads = [th.get_text(" ").strip() for th in table.select("thead th")]
            assert "basis" in heads, f"{page.name}: table without marks: {caption}"
            col = heads.index("basis")
            for row in table.select("tbody tr"):
                cells = row.find_all(["td", "th"])
                assert MARK.match(cells[col].get_text(" ").strip()), f"{page.name}: unmarked row in {caption}"
            tables += 1
    assert tables >= 15  # the pages really were read


@pytest.mark.slow
def test_every_generated_sentence_with_a_number_on_the_bundled_chapters_is_marked(built_report):
    unmarked = []
    for page in sorted(built_report.glob("0*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.select("details.msc-params, figure, code, table, p.msc-study, p.msc-params-line"):
            tag.decompose()
        for out in soup.select(".jp-OutputArea-output"):
            text = " ".join(out.get_text(" ").split())
            if re.search(r"\d", text) and "every number is marked" not in text and not SENTENCE_MARK.search(text):
                unmarked.append(f"{page.name}: {text[:120]}")
    # chapter 7 on a one-row-per-patient file says how to supply a long file: no result in it
    assert [u for u in unmarked if not u.startswith("07_trajectory.html: This cohort file has one row")] == []


@pytest.mark.slow
def test_a_real_cohorts_pages_carry_no_mark(built_teaching_report):
    for page in _reader_pages(built_teaching_report) + sorted((built_teaching_report / "teaching").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert "every number is marked" not in html, page.name
        assert not SENTENCE_MARK.search(soup.get_text(" ")), page.name
        for table in soup.select("table.msc-table"):
            assert "basis" not in [th.get_text(" ").strip() for th in table.select("thead th")], page.name
