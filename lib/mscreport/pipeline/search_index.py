"""The report's offline search: an index of every reader page's sections, written at build
time as ``search_index.js`` beside index.html, and the search box each page carries.

The index is plain data: a list of ``{"page", "title", "heading", "anchor", "text"}``, one
entry per section (the text under an h1/h2/h3 with an id, up to the next such heading), with
the page's visible text only (no code, style or script). It is a ``.js`` file that assigns
the list to ``window.mscSearchIndex``, because a page opened from disk (``file://``) may load
a script beside it but may not ``fetch`` a JSON file. The search box's script (``search.js``,
copied from ``static/search.js`` beside the index, no library; one file rather than a copy in
every page) loads it on first use; nothing comes from the network.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from mscreport.core.paths import TEMPLATES_DIR

INDEX_FILE = "search_index.js"  # beside index.html (teaching pages load ../search_index.js)
SCRIPT_FILE = "search.js"  # the search box's script, beside index.html too
SCRIPT_SOURCE = TEMPLATES_DIR / "mscreport" / "static" / "search.js"
GLOBAL_NAME = "mscSearchIndex"
VOLATILE_ANCHORS = {"provenance"}  # index.html's section that differs between two builds
MAX_TEXT = 4000  # characters of a section's text kept in the index
_SKIPPED = {"style", "script", "nav", "pre", "details", "summary", "head", "title", "form"}
_BLOCKS = {"p", "div", "li", "td", "th", "tr", "br", "caption", "figcaption", "table", "ul", "ol", "dt", "dd",
           "blockquote", "section", "h1", "h2", "h3", "h4"}  # a word boundary; inline tags (a, em, code) are not
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HEADINGS = {"h1", "h2", "h3"}


class _Sections(HTMLParser):
    """A page's sections: (heading, anchor, text) in page order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: list[list] = [["", "", []]]  # heading, anchor, text parts
        self.skip = 0
        self.heading: list[str] | None = None
        self.heading_tag = ""

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS and not self.skip:
            self.handle_data(" ")
        if tag in _VOID:
            return
        if self.skip or tag in _SKIPPED:
            self.skip += 1
            return
        if tag in _HEADINGS and dict(attrs).get("id"):
            self.heading, self.heading_tag = [], tag
            self.sections.append(["", dict(attrs)["id"], []])

    def handle_endtag(self, tag):
        if tag in _BLOCKS and not self.skip:
            self.handle_data(" ")
        if tag in _VOID:
            return
        if self.skip:
            self.skip -= 1
            return
        if self.heading is not None and tag == self.heading_tag:
            self.sections[-1][0] = _clean("".join(self.heading)).replace("\u00b6", "").strip()
            self.heading = None

    def handle_data(self, data):
        if self.skip:
            return
        (self.heading if self.heading is not None else self.sections[-1][2]).append(data)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page_sections(page_html: str) -> list[dict]:
    """The sections of one rendered page: heading, anchor (the heading's id; '' before the
    first heading) and visible text (at most ``MAX_TEXT`` characters); empty ones dropped."""
    parser = _Sections()
    parser.feed(page_html)
    parser.close()
    out = []
    for heading, anchor, parts in parser.sections:
        text = _clean("".join(parts))[:MAX_TEXT]
        if heading or text:
            out.append({"heading": heading, "anchor": anchor, "text": text})
    return out


def build_index(pages: list[tuple[str, str, str]]) -> list[dict]:
    """The index of ``pages``, each (file name relative to the report, page title, html),
    without the index page's provenance (build time and command: not worth finding, and
    they would make two builds' indexes differ)."""
    entries = []
    for rel, title, page_html in pages:
        for section in page_sections(page_html):
            if section["anchor"] in VOLATILE_ANCHORS:
                continue
            entries.append({"page": rel, "title": title, **section})
    return entries


def index_script(entries: list[dict]) -> str:
    """``search_index.js``: the entries assigned to ``window.mscSearchIndex`` (JSON, with
    ``<`` escaped so the text can never close a script element)."""
    data = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"window.{GLOBAL_NAME} = {data};\n"


def write_search_index(report: Path, chapters) -> list[Path]:
    """Write ``report/search_index.js`` from the index page and every chapter's reader page
    (the teaching pages hold the same prose, plus code), and the search box's script
    ``report/search.js`` beside it; returns both paths."""
    pages = [("index.html", "Index", (report / "index.html").read_text(encoding="utf-8"))]
    pages += [(c.html_name, c.title, (report / c.html_name).read_text(encoding="utf-8")) for c in chapters
              if (report / c.html_name).is_file()]
    path = report / INDEX_FILE
    path.write_text(index_script(build_index(pages)), encoding="utf-8")
    script = report / SCRIPT_FILE
    script.write_text(SCRIPT_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    return [path, script]


def search_box(root: str = "") -> str:
    """The search box of a page, and the script that runs it (``search.js`` of the report,
    ``static/search.js`` here); ``root``: the way from the page to the report's folder
    (``""``, or ``"../"`` for a teaching page)."""
    return (f"<div class=\"msc-search\" role=\"search\" data-root=\"{root}\">"
            "<label for=\"msc-search-input\">Search the report</label> "
            "<input type=\"search\" id=\"msc-search-input\" autocomplete=\"off\" spellcheck=\"false\" "
            "placeholder=\"a word, e.g. dose\">"
            "<ol class=\"msc-search-results\" aria-live=\"polite\"></ol></div>"
            f"<script src=\"{root}{SCRIPT_FILE}\" defer></script>")
