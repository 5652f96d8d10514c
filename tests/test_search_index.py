"""The offline search's index (issue 26.9): sections of the pages with their headings,
anchors and visible text only; the index page's provenance (different in every build) left
out; the data can never close a script element."""

from __future__ import annotations

import json

from mscreport.pipeline.search_index import build_index, index_script, page_sections, search_box

PAGE = """<html><head><title>T</title><style>.x{}</style></head><body>
<nav class="msc-nav"><a href="index.html">Index</a></nav>
<h1 id="the-title">Change<a class="anchor-link" href="#the-title">¶</a></h1><p>Intro text.</p>
<h2 id="paired">Paired <em>t</em>-test</h2><p>The mean fell by 0.79 % (<a href="x.html">chapter 5</a>, <code>alpha</code>).</p><pre>code here</pre>
<details><summary>Show the code</summary><div>hidden code</div></details>
<h3 id="ranks">Ranks</h3><p>Wilcoxon p &lt; 0.001.</p><script>var x = 1;</script>
</body></html>"""


def test_sections_are_headings_with_their_text():
    sections = page_sections(PAGE)
    assert [(s["heading"], s["anchor"]) for s in sections] == [("Change", "the-title"), ("Paired t-test", "paired"),
                                                               ("Ranks", "ranks")]
    assert sections[1]["text"] == "The mean fell by 0.79 % (chapter 5, alpha)."  # inline tags: no added space
    assert sections[2]["text"] == "Wilcoxon p < 0.001."
    text = json.dumps(sections)
    for hidden in ("code here", "hidden code", "var x", "Index", ".x{}"):
        assert hidden not in text, hidden


def test_provenance_is_not_indexed():
    page = '<h2 id="data">Data</h2><p>61 rows</p><h2 id="provenance">Provenance</h2><p>Built: 2026-12-07T12:00</p>'
    entries = build_index([("index.html", "Index", page)])
    assert [e["anchor"] for e in entries] == ["data"] and "Built" not in json.dumps(entries)


def test_index_script_cannot_close_a_script_element():
    script = index_script([{"page": "a.html", "title": "t", "heading": "h", "anchor": "", "text": "</script><b>"}])
    assert "</" not in script and script.startswith("window.mscSearchIndex = ")
    assert json.loads(script.removeprefix("window.mscSearchIndex = ").rstrip().rstrip(";"))[0]["text"] == "</script><b>"


def test_search_box_points_at_the_reports_folder():
    assert 'src="../search.js"' in search_box("../") and 'data-root="../"' in search_box("../")
    assert 'src="search.js"' in search_box("")
