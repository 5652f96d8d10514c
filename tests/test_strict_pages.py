"""Issue 24, the part left: ``disclosure=strict`` on every page (counts of 1 to 7 hidden, others
rounded to 5, no minimum or maximum, figures binned), histograms without bars of 1 or 2 patients
(strict: 1 to 7) in both modes, the true reason where a fixed "suppressed (n < 3)" was written,
and the disclosure rule passed as a ``Policy`` instead of read from module state. Each test reads
what a reader sees: page text, table cells, and what a figure draws (bar heights, points, lines,
hexagon counts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Rectangle
from pagetext import visible_text
from strict_scan import strict_violations
from test_hidden_stays_hidden import COLS, _cohort, _moderate, drawn_points

from mscreport.analysis import strata, table_one, trust
from mscreport.analysis.dose import compare_sources, format_sources
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.cli import main
from mscreport.core import disclosure
from mscreport.core.disclosure import STANDARD, STRICT, Policy
from mscreport.core.paths import REPO_ROOT
from mscreport.display import arm_tables, figures, fmt
from mscreport.display.binning import merge_small_bins, safe_bars
from mscreport.display.tables import paired_table
from mscreport.report.blocks import compute_results

matplotlib.use("Agg")
FIXTURES = REPO_ROOT / "tests" / "fixtures"


@pytest.fixture
def strict_mode():
    """The chapters' default mode set to strict for one test (as a strict chapter does)."""
    disclosure.set_mode("strict")
    yield STRICT
    disclosure.set_mode("standard")


def bar_heights(fig) -> list[float]:
    """The heights of the bars a figure draws (its Rectangle patches, the axes' background aside)."""
    out = [p.get_height() for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    matplotlib.pyplot.close(fig)
    return out


def spread_cohort(tmp_path, n=30, lone=(), **params):
    """``n`` moderate patients with baselines 6.4 to 7.9 %, plus far-off patients ``lone`` (one
    bar each on a 0.2 % grid)."""
    rows = [_moderate(i) for i in range(n)] + [(pid, b, f, 2e9, "UC", 20, None) for pid, b, f in lone]
    return _cohort(tmp_path, rows, **params)


# ------------------------------------------------------------------ 2. histograms
def test_merging_leaves_no_bin_below_the_minimum():
    counts, edges, merged, dropped = merge_small_bins([1, 5, 0, 2, 0, 0, 4, 1], np.arange(9.0), 3)
    assert merged and dropped == 0
    assert all(c == 0 or c >= 3 for c in counts) and counts.sum() == 13
    assert len(edges) == len(counts) + 1 and edges[0] == 0 and edges[-1] == 8
    assert merge_small_bins([1, 1], [0, 1, 2], 3)[3] == 2  # a histogram of 2 patients: nothing drawn
    assert not merge_small_bins([3, 0, 4], [0, 1, 2, 3], 3)[2]  # nothing to merge


@pytest.mark.parametrize("policy", [STANDARD, STRICT])
def test_no_histogram_bar_of_too_few_patients(tmp_path, policy):
    # a lone high baseline and a pair of far-off changes: each was a bar of 1 or 2 patients
    c = spread_cohort(tmp_path, lone=(("L1", 9.5, 10.9), ("L2", 9.6, 11.0)), severe_above=20.0)  # one stratum
    for fig in (figures.baseline_distribution(c.frame, 6.2, 20.0, policy=policy),
                figures.change_distribution(c.frame, policy=policy)):
        note = getattr(fig, "msc_caption_note", "")
        heights = bar_heights(fig)
        assert heights and all(h >= policy.min_bar for h in heights), heights
        if policy.strict:
            assert all(h % 5 == 0 for h in heights), heights
        assert "merged" in note or policy.strict


def test_a_merged_histogram_says_so_in_its_caption(tmp_path):
    c = spread_cohort(tmp_path, lone=(("L1", 11.9, 10.1),), severe_above=20.0)  # no severe stratum: the lone 11.9 % is a moderate bar
    fig = figures.baseline_distribution(c.frame, 6.2, 20.0)
    assert "merged" in fig.msc_caption_note
    assert min(bar_heights(fig)) >= 3


def test_the_chapter_caption_carries_the_figure_note():
    from mscreport.report import chapter

    assert "msc_caption_note" in Path(chapter.__file__).read_text()  # Chapter.figure appends it


# ------------------------------------------------------------------ 1. strict pages: counts
def test_strict_counts_are_hidden_or_rounded_to_five():
    assert [fmt.fmt_int(n, STRICT) for n in (0, 1, 7, 8, 12, 13, 61, 1234)] == ["0", "\u2264 7", "\u2264 7", "10", "10", "15",
                                                                                "60", "1,235"]
    assert [fmt.fmt_int(n, STANDARD) for n in (0, 1, 7, 61)] == ["0", "1", "7", "61"]
    assert fmt.fmt_share(13, 61, 21.3, STRICT) == "25.0 %"  # 15 of 60: from the rounded counts
    assert fmt.fmt_share(13, 61, 21.3, STANDARD) == "21.3 %"
    assert STRICT.too_few(7) and not STRICT.too_few(8) and not STRICT.too_few(0)


def test_a_strict_paired_table_rounds_its_counts_and_hides_small_groups(tmp_path):
    c = spread_cohort(tmp_path, n=13, lone=(("L1", 11.9, 10.1), ("L2", 9.2, 8.1), ("L3", 9.9, 9.0)))  # severe: 3
    table = paired_table({"all patients": analyse_overall(c), **analyse_strata(c)}, disclosure.hidden_groups(c.frame),
                         policy=STRICT).set_index("group")
    assert table.loc["all patients", "n"] == "15"  # 16 patients
    assert table.loc["severe", "n"] == "\u2264 7" and table.loc["severe", "baseline, mean (SD)"] == disclosure.SUPPRESSED_STRICT
    assert disclosure.mode() == "standard"  # the policy was passed, not set


def test_strict_table_one_shows_no_minimum_or_maximum(tmp_path, strict_mode):
    c = spread_cohort(tmp_path, n=21)
    text = visible_text(fmt.html_table(table_one.format_table_one(table_one.describe_cohort(c)), index=True))
    assert "range" not in text
    counts = strata.format_counts(strata.count_strata(c))
    assert all(v == disclosure.SUPPRESSED_EXTREMES for v in counts["lowest baseline"]) and "21" not in set(counts["n"])
    assert "20" in set(counts["n"])


def test_a_strict_page_scan_finds_exact_counts():
    # the scanner itself: it must see an exact count in a sentence, a table and a figure's text
    assert strict_violations("<p>n = 13 patients</p>")
    assert strict_violations("<table><thead><tr><th>n</th></tr></thead><tbody><tr><td>13</td></tr></tbody></table>")
    assert strict_violations("<p>age: median [IQR]; range 40.0-71.0</p>")
    assert not strict_violations("<p>n = 15; \u2264 7 excluded; 0 events</p>")


# ------------------------------------------------------------------ 1. strict figures: binned
def test_a_strict_scatter_is_hexagons_of_at_least_eight(tmp_path):
    c = spread_cohort(tmp_path, n=40)
    f = c.frame
    fig = figures.scatter_fit(
        trust.oldham_mean(f), f["change"], "mean", "change", 2000, hue=f["stratum"],
        drawable=disclosure.drawable_rows(f), policy=STRICT)
    ax = fig.axes[0]
    hexes = [coll for coll in ax.collections if isinstance(coll, PolyCollection)]
    assert hexes and all(v >= 8 for v in np.asarray(hexes[0].get_array()))
    points = drawn_points(fig)  # only the fitted line's grid: no patient's (x, y)
    for x, y in zip(trust.oldham_mean(f), f["change"]):
        assert not any(abs(px - x) < 1e-9 and abs(py - y) < 1e-9 for px, py in points)


def test_strict_before_after_plot_draws_no_patient_line(tmp_path):
    c = spread_cohort(tmp_path, n=20)
    fig = figures.paired_plot(c.frame, 2000, policy=STRICT)
    assert not any(isinstance(coll, LineCollection) for ax in fig.axes for coll in ax.collections)
    assert len(drawn_points(fig)) <= 2 * 2  # per panel the median's two ends; bands are areas, no patient's value
    assert "no patient's own line" in fig.msc_caption_note


def test_strict_box_plot_has_no_extremes_and_no_points(tmp_path):
    rows = [_moderate(i, dose=3e9 if i % 2 else 2e8) for i in range(30)]
    c = _cohort(tmp_path, rows)
    fig = figures.group_boxes(c.frame, "dose_group", ["low", "high"], policy=STRICT)
    ys = {round(y, 9) for _, y in drawn_points(fig)}
    for g, part in c.frame.groupby("dose_group"):
        assert round(part["change"].min(), 9) not in ys and round(part["change"].max(), 9) not in ys, g


def test_strict_qq_plot_draws_deciles_not_patients(tmp_path):
    c = spread_cohort(tmp_path, n=20)
    pts = drawn_points(figures.qq_plot(c.frame["change"], 2000, disclosure.drawable_rows(c.frame), policy=STRICT))
    ys = {round(p[1], 9) for p in pts}
    assert len([p for p in pts]) <= 9 + 9  # nine deciles and the reference line's nine points
    assert not ys & {round(v, 9) for v in (c.frame["change"].min(), c.frame["change"].max())}


# ------------------------------------------------------------------ 4. the true reason
def test_no_module_writes_the_fixed_reason():
    # "suppressed (n < 3)" written whatever hid the group gave a false reason (issue 24.5): every
    # page's reason comes from disclosure.suppressed(n)
    lib = REPO_ROOT / "lib" / "mscreport"
    offenders = [f"{p.relative_to(lib)}: {line.strip()}" for p in lib.rglob("*.py") if p.name != "disclosure.py"
                 for line in p.read_text().splitlines()
                 if re.search(r"\bSUPPRESSED\b(?!_)", line) and not line.lstrip().startswith(("from ", "import "))]
    assert not offenders, offenders


def test_a_source_hidden_by_the_others_says_why(tmp_path):
    # one patient without a source: UC (12) hidden because, with the cohort, it would give it back
    rows = [_moderate(i) for i in range(12)] + [(f"B{i}", 7.0, 6.6, 2e8, "BM", 12, None) for i in range(12)]
    rows += [("X", 7.1, 6.2, 2e8, None, 12, None)]
    c = _cohort(tmp_path, rows)
    table = format_sources(compare_sources(c), c.rows_analysed)
    cells = set(table["mean change"])
    assert disclosure.SUPPRESSED not in cells and disclosure.SUPPRESSED_SECONDARY in cells


def test_an_arm_comparison_says_the_true_reason():
    block = {"reference": "placebo", "groups": {"placebo": {"overall": {"n": 2}}, "msc": {"overall": {"n": 20}}},
             "comparisons": [{"arm": "msc", "reference": "placebo", "n_arm": 20, "n_reference": 2,
                              "ancova": {}, "welch_change": {}, "mann_whitney": {}}]}
    assert arm_tables.comparisons_frame(block).iloc[0, 2] == disclosure.SUPPRESSED
    strict = arm_tables.comparisons_frame({**block, "groups": {"placebo": {"overall": {"n": 9}}, "msc": {"overall": {"n": 20}}},
                                           "comparisons": [{**block["comparisons"][0], "n_reference": 5}]}, policy=STRICT)
    assert strict.iloc[0, 2] == disclosure.SUPPRESSED_STRICT and strict.iloc[0, 1] == "20 vs \u2264 7"


# ------------------------------------------------------------------ 5. the policy is passed
def test_a_policy_given_to_a_figure_applies_to_it_only(tmp_path):
    c = spread_cohort(tmp_path, n=20)
    fig = figures.paired_plot(c.frame, 2000, policy=STRICT)
    assert fig.axes[0].get_title().endswith("(n = 20)") and disclosure.mode() == "standard"
    titles = [ax.get_title() for ax in figures.paired_plot(c.frame, 2000).axes]
    assert titles[0] == "moderate (n = 20)"
    with pytest.raises(ValueError):
        Policy("lenient")
    assert Policy.of({"disclosure": "strict"}) == STRICT and Policy.of(None) == STANDARD


# ------------------------------------------------------------------ end to end
def _scan(folder: Path) -> dict[str, list[str]]:
    pages = sorted(folder.glob("*.html")) + sorted((folder / "teaching").glob("*.html"))
    assert len(pages) >= 8
    return {p.name: v for p in pages if (v := strict_violations(p.read_text(encoding="utf-8")))}


@pytest.mark.slow
@pytest.mark.parametrize("data", [None, "arms_two.csv", "long_constructed.csv"])
def test_a_strict_build_shows_no_exact_count_and_no_extreme(tmp_path, data):
    out = tmp_path / "reports"
    args = ["build", "--output", str(out), "--force", "-q", "-p", "disclosure=strict"]
    assert main(args + (["--data", str(FIXTURES / data)] if data else [])) == 0
    assert _scan(out) == {}
    results = json.loads((out / "results.json").read_text())
    assert results["params"]["disclosure"] == "strict"
    n = results["overall"]["n"]
    assert n % 5 and str(n) in json.dumps(results["overall"])  # results.json keeps the exact count
    for page in out.glob("*.html"):  # and no page shows it as a count
        assert not re.search(rf"\bn = {n}\b", visible_text(page.read_text(encoding="utf-8")))


def test_a_strict_teaching_cell_prints_rounded_counts(tmp_path, strict_mode):
    from mscreport.report import lesson

    c = spread_cohort(tmp_path, n=21)
    text = lesson.describe_result(analyse_overall(c), c)
    assert re.search(r"\bn\s+20\b", text), text  # 21 patients
    assert not re.search(r"\b(n|df)\s+(21|20\.\d)", text)
    assert not strict_violations(f"<pre>{text}</pre>")
