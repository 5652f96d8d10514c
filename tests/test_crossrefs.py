"""Chapter cross-references as links (issue 26.9): "chapter N" in a page's prose links to
chapter N's page, in both renderings, and stays plain text when chapter N is not in the build;
code, preformatted text and existing links are never rewritten."""

from __future__ import annotations

import nbformat

from mscreport.pipeline.chapters import list_chapters
from mscreport.pipeline.crossrefs import chapter_targets, link_chapter_mentions
from mscreport.pipeline.render import chapter_nav, render_pages

CHAPTERS = list_chapters()
TARGETS = chapter_targets(CHAPTERS)


def test_targets_are_the_chapters_file_numbers():
    assert TARGETS[5] == "05_trust.html" and TARGETS[1] == "01_cohort.html"
    assert sorted(TARGETS) == [int(c.name[:2]) for c in CHAPTERS]


def test_mentions_become_links():
    page = "<p>See chapter 5, Chapter 1 and chapters 4 and 6 (chapters 1 to 3).</p>"
    out = link_chapter_mentions(page, TARGETS)
    assert '<a class="msc-xref" href="05_trust.html">chapter 5</a>' in out
    assert '<a class="msc-xref" href="01_cohort.html">Chapter 1</a>' in out
    assert '<a class="msc-xref" href="04_dose.html">chapters 4</a> and <a class="msc-xref" href="06_published.html">6</a>' in out
    assert 'href="03_change.html">3</a>)' in out


def test_code_links_and_tags_are_left_alone():
    page = ('<pre>chapter 5</pre><code>chapter 5</code><a href="x.html">chapter 5</a>'
            '<img alt="chapter 5" src="data:,"><style>/* chapter 5 */</style><p>chapter 55 and chapter5</p>')
    assert link_chapter_mentions(page, TARGETS) == page


def test_a_chapter_left_out_is_not_linked():
    without_5 = chapter_targets([c for c in CHAPTERS if not c.name.startswith("05_")])
    out = link_chapter_mentions("<p>chapter 5 and chapter 3</p>", without_5)
    assert "chapter 5 and" in out and "05_trust" not in out and 'href="03_change.html">chapter 3</a>' in out


def test_rendered_pages_link_in_both_renderings_and_not_to_a_left_out_chapter():
    """Through ``render_pages``, as the build renders a chapter: the reader page links
    ``NN.html``, the teaching page (in teaching/) the teaching page beside it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nRegression to the mean (chapter 5) and the flow (chapter 1)."),
                nbformat.v4.new_code_cell("x = 1  # chapter 5")]
    kept = [c for c in CHAPTERS if not c.name.startswith("05_")]
    pages = render_pages(nb, chapter_nav(kept, kept[1]))  # chapter 2's pages
    for rel, page in pages.items():
        assert 'href="01_cohort.html">chapter 1</a>' in page, rel
        assert "(chapter 5)" in page and "05_trust.html" not in page, rel
    pages = render_pages(nb, chapter_nav(CHAPTERS, CHAPTERS[0]))
    assert all('href="05_trust.html">chapter 5</a>' in page for page in pages.values())
    assert all(">chapter 1</a>" not in page for page in pages.values())  # chapter 1's own page: no link to itself
    assert pages["teaching/01_cohort.html"].count(">chapter 5</a>") == 1  # the prose's; the code comment as written
