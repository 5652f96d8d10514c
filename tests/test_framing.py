"""Own-cohort framing (issue 12.5): a report on a user's cohort is framed as theirs; only the
bundled cohort (recognised by its content, never its file name) is the reanalysis of
Matsuoka et al. and leads its index with the paper's reproduced figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.report.framing import OWN_TITLE, PAPER_TITLE, frame_report, inline_html
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DEFAULT_COHORT, bundled_cohort_sha256, is_bundled_cohort
from mscreport.analysis.published import load_published
from mscreport.pipeline.chapters import ChapterInfo, list_chapters
from mscreport.pipeline.render import write_index

BUNDLED_SHA = bundled_cohort_sha256()


def _own_cohort(folder: Path, name: str = "my_cohort.csv") -> Path:
    """The bundled cohort less its last patient and its ``synthetic`` column: a real cohort's
    file, whatever its name."""
    frame = pd.read_csv(DEFAULT_COHORT).drop(columns=["synthetic"])
    path = folder / name
    frame.iloc[:-1].to_csv(path, index=False)
    return path


def test_bundled_cohort_is_recognised_by_content_not_name(tmp_path):
    copy = tmp_path / "anything.csv"
    shutil.copy(DEFAULT_COHORT, copy)
    assert is_bundled_cohort(load_cohort(copy).sha256)
    impostor = _own_cohort(tmp_path, "reconstructed_cohort.csv")
    assert not is_bundled_cohort(load_cohort(impostor).sha256)
    assert not is_bundled_cohort("") and not is_bundled_cohort("0" * 64)


def test_framing_defaults_follow_the_cohort():
    paper = frame_report(DEFAULTS, BUNDLED_SHA, "reconstructed_cohort.csv")
    assert paper.bundled and paper.title == PAPER_TITLE and "Matsuoka" in paper.description
    own = frame_report(DEFAULTS, "f" * 64, "my_cohort.csv")
    assert not own.bundled and own.title == OWN_TITLE
    assert "Matsuoka" not in own.description and "my_cohort.csv" in own.description


def test_framing_parameters_override():
    params = {**DEFAULTS, "report_title": "MSC-2 trial", "study_description": "Forty patients in *Kyoto*."}
    own = frame_report(params, "f" * 64, "x.csv")
    assert (own.title, own.description) == ("MSC-2 trial", "Forty patients in *Kyoto*.")
    assert frame_report(params, BUNDLED_SHA, "x.csv").title == "MSC-2 trial"  # the user's words win


def test_inline_html_escapes_and_keeps_emphasis():
    assert inline_html("<b>x</b> *y* `z`") == "&lt;b&gt;x&lt;/b&gt; <em>y</em> <code>z</code>"


def test_published_figures_file_is_checked(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n")
    with pytest.raises(InputError, match="not a published-figures file"):
        load_published(bad)


def _index(tmp_path, results, chapters=None) -> str:
    """index.html of ``results``; ``chapters``: the chapter list, by default the repository's."""
    write_index(tmp_path / "index.html", list_chapters() if chapters is None else chapters, results, {})
    return (tmp_path / "index.html").read_text()


def test_index_of_own_cohort_leads_with_its_results(tmp_path):
    results = {"data": {"path": "my_cohort.csv", "sha256": "f" * 64, "rows_read": 8, "rows_analysed": 8, "excluded": []},
               "params": {**DEFAULTS, "report_title": "Clinic <A> audit"}, "published_comparison": None}
    page = _index(tmp_path, results)
    assert "<h1>Clinic &lt;A&gt; audit</h1>" in page and "<title>Clinic &lt;A&gt; audit: report</title>" in page
    assert "Matsuoka" not in page and "reanalysis" not in page and "published vs reproduced" not in page
    assert "Synthetic data" not in page
    assert page.index('id="findings"') < page.index('id="chapters"')


def test_index_of_bundled_cohort_is_the_papers(tmp_path):
    comparison = [{"quantity": "q", "agrees": True}, {"quantity": "r", "agrees": False}]
    results = {"data": {"path": "data/reconstructed_cohort.csv", "sha256": BUNDLED_SHA, "rows_read": 61,
                        "rows_analysed": 61, "excluded": []}, "params": DEFAULTS, "published_comparison": comparison}
    page = _index(tmp_path, results)
    assert f"<h1>{PAPER_TITLE}</h1>" in page and "reanalysis of Matsuoka" in page and "Synthetic data" in page
    assert "published vs reproduced" in page


def _bundled_results() -> dict:
    return {"data": {"path": "data/reconstructed_cohort.csv", "sha256": BUNDLED_SHA, "rows_read": 61, "rows_analysed": 61,
                     "excluded": []}, "params": DEFAULTS, "published_comparison": [{"quantity": "q", "agrees": True}]}


def test_index_links_the_chapters_it_is_given(tmp_path):
    renumbered = [ChapterInfo("01_cohort", Path("01_cohort.py"), "Cohort", "Who?"),
                  ChapterInfo("09_published", Path("09_published.py"), "Published vs reproduced", "Same figures?")]
    page = _index(tmp_path, _bundled_results(), renumbered)
    cards = page.split('id="chapters"')[1].split('id="data"')[0]
    assert '<a href="09_published.html">published vs reproduced</a>' in page and "06_published" not in page
    # a chapter is numbered by its file (09_published is 9), as "chapter 9" cross-references link it
    assert cards.count('class="msc-card"') == 2 and "<h3>9. Published vs reproduced</h3>" in cards
    assert '<a href="teaching/01_cohort.html">Teach' in cards
    bare = _index(tmp_path, _bundled_results(), [])  # no chapter to link: the sentence, no dead link
    assert "1 of 1 published figures agree" in bare and "published vs reproduced" not in bare
    assert '<div class="msc-cards"></div>' in bare


def test_index_escapes_text_as_the_chapters_do(tmp_path):
    results = {"data": {"path": "a&b.csv", "sha256": "f" * 64, "rows_read": 8, "rows_analysed": 8, "excluded": []},
               "params": {**DEFAULTS, "report_title": "Clinic \"A\" & <script>x</script> 'B'",
                          "study_description": "Our *own* <b>cohort</b> & `code`"}}
    page = _index(tmp_path, results)
    assert "<h1>Clinic &quot;A&quot; &amp; &lt;script&gt;x&lt;/script&gt; &#x27;B&#x27;</h1>" in page  # html.escape's entities
    assert "<p>Our <em>own</em> &lt;b&gt;cohort&lt;/b&gt; &amp; <code>code</code> Change =" in page
    assert "<code>a&amp;b.csv</code>" in page and "<script>" not in page





@pytest.mark.slow
def test_own_cohort_builds_as_its_own_report(tmp_path):
    data = _own_cohort(tmp_path, "reconstructed_cohort.csv")
    out = tmp_path / "out"
    assert main(["build", "--data", str(data), "--output", str(out), "-p", "report_title=Clinic audit 2024",
                 "-p", "study_description=Sixty patients of *one clinic*."]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["params"]["report_title"] == "Clinic audit 2024"
    index = (out / "index.html").read_text()
    assert "<h1>Clinic audit 2024</h1>" in index and "Sixty patients of <em>one clinic</em>." in index
    lead = index.split('id="chapters"')[0]  # title, lead paragraph, key findings (the chapter cards follow)
    assert "Matsuoka" not in lead and "reanalysis" not in lead and "published vs reproduced" not in lead
    chapter1 = (out / "01_cohort.html").read_text()
    assert "Clinic audit 2024" in chapter1 and "Synthetic data" not in chapter1
