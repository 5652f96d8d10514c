"""Printed, implied, derived or assumed (issues 9.3, 26.6, 27.3): on a reconstruction every
number of a table carries a superscript letter (its reason on hover) and every generated
sentence the letters of its numbers; P only where the printed figure pins the precision shown;
marks follow the build's parameters; a real cohort's pages carry none."""

from __future__ import annotations

import ast
import json
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from mscreport.analysis import basis
from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.analysis.published import derived_bounds
from mscreport.inputs.params import DEFAULTS, resolve_params

MARK = re.compile(r"^(P|I|D|A): \S")  # a mark's text begins with its first class
LETTERS = re.compile(r"^[PIDA]+$")
TEACHING = REPO_ROOT / "tests" / "fixtures" / "cohort_teaching.csv"
LEGEND_CAPTION = "pinned by a published figure, implied, derived, or assumed"  # chapter 6's list of the entries
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
        assert e["pinned"] or e["implied"] or e["derived"] or e["assumed"], key
        assert e["why"] and e["quantity"], key
        assert MARK.match(basis.mark(key)), key


def test_the_severe_size_range_is_computed_into_the_marks():
    b = derived_bounds()
    assert (b["severe_n_min"], b["severe_n_max"]) == (10, 16)  # R: tests/r/severe_sizes.R (each figure at its rounding)
    assert f"every n from {b['severe_n_min']} to {b['severe_n_max']} fits" in basis.mark("strata.severe")
    assert "{severe_sizes}" not in str(basis.basis_entries())


def _sups(html: str) -> list:
    return BeautifulSoup(html, "html.parser").select("sup.msc-mark")


def test_mark_frame_marks_every_number_by_its_class_and_refuses_a_wrong_count():
    frame = pd.DataFrame({"group": ["all", "severe"], "n": ["61", "13"], "mean change (follow-up − baseline)": ["−0.79", "−1.55"],
                          "95% CI (% points)": ["[−1.05, −0.52]", "[−2.70, −0.41]"], "p (paired t)": ["< 0.001", "0.0122"]})
    marked = basis.mark_frame(frame, ["overall", "strata.severe"])
    assert list(marked.columns) == list(frame.columns) and "basis" not in marked  # no prose column any more
    letters = [[(_sups(str(v)) or [None])[0] for v in row] for row in marked.itertuples(index=False)]
    shown = [[s.get_text() if s else None for s in row] for row in letters]
    # overall: n printed; the change only implied (7.49 and 6.7 pin it to -0.74 to -0.85); CI and p derived
    assert shown[0] == [None, "P", "I", "D", "D"]
    # severe: n assumed; the change and p printed (1.55, 0.0122); the CI rests on the assumed n
    assert shown[1] == [None, "A", "P", "D", "P"]
    assert all(s["title"] for row in letters for s in row if s)  # the reason on hover
    assert "−0.735 to −0.845" in letters[0][2]["title"]  # R: 6.75 - 7.485, 6.65 - 7.495
    assert "basis" not in frame and frame.iloc[0, 1] == "61"  # the caller's frame is left alone
    with pytest.raises(ValueError):
        basis.mark_frame(frame, ["overall"])
    with pytest.raises(KeyError):
        basis.mark("no such key")


def test_p_only_where_the_printed_figure_pins_the_precision_shown():
    overall = basis.entry_at("overall")
    assert not any("mean change" in q for q in overall["pinned"])  # -0.79 is not printed: 7.49 and 6.7 are
    lo, hi = basis.overall_change_range()
    sizes = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_severe_sizes.json").read_text(encoding="utf-8"))
    assert (lo, hi) == pytest.approx((sizes["overall_change_low"], sizes["overall_change_high"]))  # R: 6.65 - 7.495, 6.75 - 7.485
    # derived splits: what the paper implies (the severe SD from its p) vs what rests on the assumptions
    assert any("SD of change" in q for q in basis.entry_at("strata.severe")["implied"])
    for key in ("durability", "adjusted_dose", "oldham"):
        assert basis.letters(key) == "D", key
    assert "D" in basis.letters("rtm") and "I" not in basis.letters("rtm")


def test_marks_follow_the_builds_parameters():
    assert "P" in basis.letters("strata.severe") and "P" in basis.letters("data")
    nine = {**DEFAULTS, "severe_above": 9.0}
    assert "P" not in basis.letters("strata.severe", nine) and "I" not in basis.letters("strata.severe", nine)
    assert "severe_above = 9.0 here" in basis.mark("strata.severe", nine)
    assert "P" in basis.letters("overall", nine)  # the overall row does not depend on the cut-off
    seven = {**DEFAULTS, "moderate_min": 7.0}  # issue 27.3: "43 are analysed ... [P: patients analysed ...]"
    assert all("P" not in basis.letters(k, seven) for k in ("data", "overall", "strata.moderate", "table1.patients"))
    assert "P" in basis.letters("dose", DEFAULTS) and "P" not in basis.letters("dose", {**DEFAULTS, "dose_cutoff": 5e8})
    assert basis.letters("reconstruction.severe_range", seven) == "I"  # the paper's figures imply it whatever the build
    assert basis.changed_parameters({**DEFAULTS, "inclusion_min": "6.2"}) == {}
    assert basis.changed_parameters({**DEFAULTS, "inclusion_min": "none"}) == {"inclusion_min": "none"}


def test_a_rebuild_at_severe_above_9_marks_no_severe_number_p():
    """The chapter's own table call on the bundled cohort loaded at ``severe_above=9``: the
    severe row (now a different n) carries no P; the overall row keeps its printed n."""
    from mscreport.analysis.paired import analyse_overall, analyse_strata
    from mscreport.display.tables import paired_table

    for severe_above, severe_has_p in ((8.0, True), (9.0, False)):
        cohort = load_cohort(DEFAULT_COHORT, resolve_params(values={"severe_above": severe_above}))
        strata = analyse_strata(cohort)
        frame = paired_table({"all patients": analyse_overall(cohort), **strata}, frozenset())
        (table,) = _said(cohort, [("table", (frame, "t"), {"basis": ["overall", "strata.moderate", "strata.severe"]})])
        rows = BeautifulSoup(table.data, "html.parser").select("tbody tr")
        marks = [[s.get_text() for s in row.select("sup.msc-mark")] for row in rows]
        assert marks[0] and "P" in marks[0]
        assert ("P" in marks[2]) is severe_has_p, (severe_above, marks[2])


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


def test_every_paragraph_with_a_number_is_marked_with_its_own_key():
    text = "Across all **61** patients the mean fell.\n\nIn the **moderate** stratum (n = 48) it fell.\n\nNo number here."
    marked = basis.mark_sentence(text, basis.paired_keys({"moderate": None, "severe": None}))
    paragraphs = marked.split("\n\n")
    assert [len(_sups(p)) for p in paragraphs] == [1, 1, 0]
    assert _sups(paragraphs[0])[0].get_text() == basis.letters("overall")
    assert _sups(paragraphs[1])[0].get_text() == basis.letters("strata.moderate") and "A: n" in _sups(paragraphs[1])[0]["title"]


def test_chapter_marks_only_a_reconstruction():
    calls = [("table", (pd.DataFrame({"group": ["all"], "n": ["61"]}), "t"), {"basis": "overall"}),
             ("say", ("The mean fell by 0.79.",), {"basis": "paired"})]
    table, sentence = _said(load_cohort(DEFAULT_COHORT), calls)
    assert "<th scope=\"col\">basis</th>" not in table.data and [s.get_text() for s in _sups(table.data)] == ["P"]
    (mark,) = _sups(sentence.data)
    assert LETTERS.match(mark.get_text()) and MARK.match(mark["title"])
    table, sentence = _said(load_cohort(TEACHING), calls)
    assert not _sups(table.data) and sentence.data == "The mean fell by 0.79."


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


NUMBER = re.compile(r"\d")


def _unmarked_cells(table) -> list[str]:
    """The body cells of a table that show a number without a mark."""
    out = []
    heads = [th.get_text(" ").strip().lower() for th in table.select("thead th")]
    label = bool(heads) and heads[0] in basis.LABEL_COLUMNS  # a first column naming the rows shows no result
    for row in table.select("tbody tr"):
        for cell in row.find_all("td")[1 if label else 0:]:
            text = cell.get_text(" ").strip()
            if NUMBER.search(text) and not cell.select("sup.msc-mark"):
                out.append(text)
    return out


@pytest.mark.slow
def test_every_number_of_every_table_on_the_bundled_reader_pages_is_marked(built_report):
    tables = 0
    for page in _reader_pages(built_report):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert "every number is marked" in soup.get_text(" "), f"{page.name}: no legend"
        for table, caption in _result_tables(soup):
            heads = [th.get_text(" ").strip() for th in table.select("thead th")]
            assert "basis" not in heads, f"{page.name}: a prose basis column in {caption}"
            assert not _unmarked_cells(table), f"{page.name}: unmarked numbers in {caption}: {_unmarked_cells(table)[:3]}"
            for sup in table.select("sup.msc-mark"):
                assert LETTERS.match(sup.get_text()) and sup.get("title"), f"{page.name}: {sup}"
            tables += 1
    assert tables >= 15  # the pages really were read


@pytest.mark.slow
def test_the_index_key_table_is_marked_per_number_without_a_prose_column(built_report):
    soup = BeautifulSoup((built_report / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = next(t for t, caption in _result_tables(soup) if "Key findings" in caption)
    first = table.select("tbody tr")[0]
    assert [s.get_text() for s in first.select("sup.msc-mark")] == ["P", "I", "D", "D"]  # n, change, CI, p
    assert soup.select_one("p.msc-headline sup.msc-mark") is not None


@pytest.mark.slow
def test_every_generated_sentence_with_a_number_on_the_bundled_chapters_is_marked(built_report):
    unmarked = []
    for page in sorted(built_report.glob("0*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.select("details.msc-params, figure, code, table, p.msc-study"):
            tag.decompose()
        for out in soup.select(".jp-OutputArea-output"):
            # each paragraph with a number ("Across all 61 patients ...", "In the moderate stratum (n = 48) ...")
            for part in out.select("p") or [out]:
                text = " ".join(part.get_text(" ").split())
                if re.search(r"\d", text) and "every number is marked" not in text and not part.select("sup.msc-mark"):
                    unmarked.append(f"{page.name}: {text[:120]}")
    # chapter 7 on a one-row-per-patient file says how to supply a long file: no result in it
    assert [u for u in unmarked if not u.startswith("07_trajectory.html: This cohort file has one row")] == []


@pytest.mark.slow
def test_a_real_cohorts_pages_carry_no_mark(built_teaching_report):
    for page in _reader_pages(built_teaching_report) + sorted((built_teaching_report / "teaching").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert "every number is marked" not in html, page.name
        assert not soup.select("sup.msc-mark"), page.name
        for table in soup.select("table.msc-table"):
            assert "basis" not in [th.get_text(" ").strip() for th in table.select("thead th")], page.name
