"""The built pages are self-contained: read as HTML text, no browser needed.

Hospital networks are often offline, so every resource a page uses (images, stylesheets,
fonts, frames, CSS ``url()`` and ``@import``) must be inline (``data:``) or a relative file
of the report. Only plain ``<a href>`` hyperlinks to references (http/https/mailto) may point
elsewhere. Pages carry one ``<script>``, the offline search's (the report's own
``search.js``, which loads only its ``search_index.js``), each chapter has a table of contents, and the
reader-facing pages print no raw floats ("0.925721"): numbers are formatted for people.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.core.paths import TEACHING_DIRNAME, TEMPLATES_DIR

pytestmark = pytest.mark.slow  # needs the `built_report` fixture, which executes every notebook

CHAPTERS = list_chapters()
SEARCH_JS = (TEMPLATES_DIR / "mscreport" / "static" / "search.js").read_text(encoding="utf-8")
READER_PAGES = [c.html_name for c in CHAPTERS]
TEACHING_PAGES = [f"{TEACHING_DIRNAME}/{c.html_name}" for c in CHAPTERS]
CHAPTER_PAGES = READER_PAGES + TEACHING_PAGES
ALL_PAGES = ["index.html", *CHAPTER_PAGES]

# Attributes through which a browser fetches something (on any element but <a>/<area>).
RESOURCE_ATTRS = {"src", "srcset", "href", "data", "poster", "background", "action", "formaction",
                  "xlink:href", "manifest", "ping", "lowsrc", "longdesc", "dynsrc", "codebase", "archive"}
HYPERLINK_TAGS = {"a", "area"}
HYPERLINK_SCHEMES = ("http:", "https:", "mailto:")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\(\s*)?(['\"]?)([^'\"\s);]+)", re.I)
_META_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";\s]+)", re.I)
# A decimal with 6 or more digits after the point, e.g. "0.925721" (a raw float repr).
_LONG_DECIMAL = re.compile(r"(?<![\w.])(\d+)\.(\d{6,})")


def is_local(url: str) -> bool:
    """Inline (data:) or a relative reference: nothing to fetch from elsewhere."""
    u = url.strip()
    if not u or u.startswith("#"):
        return True
    if u.startswith(("//", "\\\\", "/\\", "\\/")):  # protocol-relative (or its backslash variants)
        return False
    m = _SCHEME.match(u)
    return m is None or m.group(1).lower() == "data"


def raw_floats(text: str) -> list[str]:
    """Numbers printed with many digits: 6+ decimals *and* 4+ significant digits.

    "0.925721" and "7.4912345" are flagged; "0.000353" (3 significant digits, as `.3g` prints
    a small p) and a quoted threshold such as "p < 0.0000002" are not.
    """
    out = []
    for m in _LONG_DECIMAL.finditer(text):
        significant = (m.group(1) + m.group(2)).lstrip("0")
        if len(significant) >= 4:
            out.append(text[max(0, m.start() - 50): m.end() + 10].replace("\n", " "))
    return out


class Page(HTMLParser):
    """Tags (with attributes), inline CSS and visible text of one HTML page."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], int]] = []
        self.css: list[str] = []
        self.text: list[str] = []
        self.navs: list[dict] = []  # each <nav>: its class and the hrefs inside it
        self._raw = None  # "style" / "script" while inside one
        self._nav_depth = 0
        self._pre_depth = 0
        self.prose: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a, self.getpos()[0]))
        if a.get("style"):
            self.css.append(a["style"])
        if tag in ("style", "script"):
            self._raw = tag
        if tag in ("pre", "code"):
            self._pre_depth += 1
        if tag == "nav":
            self._nav_depth += 1
            if self._nav_depth == 1:
                self.navs.append({"class": (a.get("class") or "").split(), "hrefs": []})
        elif tag == "a" and self._nav_depth and a.get("href") is not None:
            self.navs[-1]["hrefs"].append(a["href"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("style", "script", "nav"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == self._raw:
            self._raw = None
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        if tag in ("pre", "code") and self._pre_depth:
            self._pre_depth -= 1

    def handle_data(self, data):
        if self._raw == "style":
            self.css.append(data)
        elif self._raw is None:
            self.text.append(data)
            if not self._pre_depth:
                self.prose.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(self.text)

    @property
    def prose_text(self) -> str:
        """The visible text outside ``<pre>`` and ``<code>``: code keeps plain spaces (a no-break
        space would break it when copied into R or Python), and printed output never wraps."""
        return " ".join(self.prose)

    @property
    def ids(self) -> set[str]:
        return {a["id"] for _, a, _ in self.tags if a.get("id")}


@pytest.fixture(scope="module")
def pages(built_report):
    cache: dict[str, tuple[str, Page]] = {}

    def get(rel: str) -> tuple[str, Page]:
        if rel not in cache:
            path = built_report / rel
            assert path.is_file(), f"{rel} was not built"
            source = path.read_text(encoding="utf-8")
            cache[rel] = (source, Page(source))
        return cache[rel]

    return get


# ------------------------------------------------------------------ the helpers themselves
@pytest.mark.parametrize("url, local", [
    ("data:image/png;base64,iVBOR", True), ("figures/a.png", True), ("../index.html", True), ("#top", True),
    ("http://cdn.example.org/x.js", False), ("HTTPS://x.org/a.css", False), ("//cdn.example.org/x.js", False),
    ("file:///etc/passwd", False), ("ftp://x.org/f", False), ("javascript:alert(1)", False),
])
def test_is_local(url, local):
    assert is_local(url) is local


def test_raw_floats_rule():
    assert raw_floats("p 0.925721 and 7.4912345 and 0.0012345")  # all three
    assert len(raw_floats("0.925721 7.4912345 0.0012345")) == 3
    assert raw_floats("0.000353, p < 0.0000002, 1.6e-05, 7.49 %, 1,234.5, 0.58, 123456") == []


# ------------------------------------------------------------------ the pages
def test_every_built_page_is_covered(built_report):
    """The pages under test are exactly the HTML the build wrote (nothing missed, nothing stray)."""
    built = sorted(p.relative_to(built_report).as_posix() for p in built_report.rglob("*.html")
                   if ".cache" not in p.parts)
    assert built == sorted(ALL_PAGES)


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_only_script_is_the_offline_search(pages, rel):
    """One <script> per page, and it is the search box's: the report's own search.js by a
    relative path (issue 26), no inline code, no inline event handler, no javascript: URL."""
    source, page = pages(rel)
    scripts = [(a, line) for tag, a, line in page.tags if tag == "script"]
    root = "../" if rel.startswith(f"{TEACHING_DIRNAME}/") else ""
    assert [a for a, _ in scripts] == [{"src": f"{root}search.js", "defer": None}], f"{rel}: <script> elements {scripts}"
    assert not re.findall(r"<script\b[^>]*>[^<]+</script>", source), f"{rel}: inline script code"
    handlers = sorted({k for _, a, _ in page.tags for k in a if k.lower().startswith("on")})
    assert not handlers, f"{rel}: inline event-handler attributes (script) {handlers}"
    js_urls = [f"<{t} {k}>" for t, a, _ in page.tags for k, v in a.items()
               if v and v.strip().lower().startswith("javascript:")]
    assert not js_urls, f"{rel}: javascript: URLs in {js_urls}"


def test_search_script_fetches_nothing_from_elsewhere():
    """The search script's only load is search_index.js, by a relative path; no fetch, XHR,
    import, eval, or any URL with a scheme."""
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\s*\(|eval|Function\s*\(|WebSocket|sendBeacon)\b", SEARCH_JS)
    assert not re.search(r"[a-z]+://", SEARCH_JS)
    assert re.findall(r"\.src\s*=\s*([^;]+);", SEARCH_JS) == ['root + "search_index.js"']


def test_search_script_is_shipped_beside_the_index(built_report):
    assert (built_report / "search.js").read_text(encoding="utf-8") == SEARCH_JS


def test_search_index_holds_every_reader_page_and_only_text(built_report):
    """search_index.js: one entry per section of the index and every reader page (page,
    title, heading, anchor, text), each anchor an id of its page; no markup in the text."""
    import json

    source = (built_report / "search_index.js").read_text(encoding="utf-8")
    prefix = "window.mscSearchIndex = "
    assert source.startswith(prefix) and source.rstrip().endswith(";")
    entries = json.loads(source[len(prefix):].rstrip().rstrip(";"))
    assert {e["page"] for e in entries} == {"index.html", *READER_PAGES}
    for e in entries:
        assert set(e) == {"page", "title", "heading", "anchor", "text"}
        assert not re.search(r"<[a-zA-Z/!]", e["text"]), e["text"][:200]  # text only, no markup
        if e["anchor"]:
            assert e["anchor"] in Page((built_report / e["page"]).read_text(encoding="utf-8")).ids, e
    assert "</" not in source  # cannot close a script element


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_resources_are_inline_or_local(pages, rel):
    """Nothing is fetched from elsewhere: every resource is data: or a relative file."""
    _, page = pages(rel)
    bad = []
    for tag, attrs, line in page.tags:
        for name, value in attrs.items():
            if value is None or name not in RESOURCE_ATTRS:
                continue
            if tag in HYPERLINK_TAGS and name == "href":
                ok = is_local(value) or value.strip().lower().startswith(HYPERLINK_SCHEMES)
                if not ok:
                    bad.append(f"line {line}: <{tag} href={value[:100]!r}> (not a plain hyperlink)")
                continue
            if name == "srcset" and not value.strip().lower().startswith("data:"):
                urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
            else:
                urls = [value]
            bad += [f"line {line}: <{tag} {name}={u[:100]!r}>" for u in urls if not is_local(u)]
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            m = _META_REFRESH_URL.search(attrs.get("content") or "")
            if m and not is_local(m.group(1)):
                bad.append(f"line {line}: <meta http-equiv=refresh> to {m.group(1)[:100]!r}")
    for css in page.css:
        bad += [f"CSS url({u[:100]!r})" for _, u in _CSS_URL.findall(css) if not is_local(u)]
        bad += [f"CSS @import {u[:100]!r}" for _, u in _CSS_IMPORT.findall(css) if not is_local(u)]
    assert not bad, f"{rel} loads resources from elsewhere:\n" + "\n".join(bad)


@pytest.mark.parametrize("rel", CHAPTER_PAGES)
def test_chapter_has_table_of_contents(pages, rel):
    _, page = pages(rel)
    tocs = [n for n in page.navs if "msc-toc" in n["class"]]
    assert len(tocs) == 1, f"{rel}: expected one <nav class=\"msc-toc\">, found {len(tocs)}"
    hrefs = tocs[0]["hrefs"]
    assert hrefs, f"{rel}: the table of contents is empty"
    not_anchors = [h for h in hrefs if not h.startswith("#")]
    assert not not_anchors, f"{rel}: table-of-contents entries that are not in-page anchors: {not_anchors}"
    dangling = [h for h in hrefs if unquote(h[1:]) not in page.ids]
    assert not dangling, f"{rel}: table-of-contents entries without a target id: {dangling}"


@pytest.mark.parametrize("rel", ["index.html", *READER_PAGES])
def test_reader_pages_print_no_raw_floats(pages, rel):
    """Visible text (tables, prose, captions; not CSS, not inline images) has no number
    printed with many digits such as "0.925721": format it (3 significant digits, fixed
    decimals, or "< 0.001")."""
    _, page = pages(rel)
    found = raw_floats(page.visible_text)
    assert not found, f"{rel} prints raw floats:\n" + "\n".join(found)


PAGE_BUDGET = 150_000  # bytes, figures included (issue 13: pages were ~300-460 KB with JupyterLab's CSS)
TEACHING_BUDGET = 220_000  # a teaching page adds its code, the plain one-liners, the exercises and the class simulations (issue 27)


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_page_is_light(pages, rel):
    """A reader page weighs under 150 KB including its figures (a teaching page, with its
    code and exercises, under 220 KB), and carries only our stylesheet (no JupyterLab theme
    CSS, whose variables start with --jp-)."""
    source, page = pages(rel)
    size = len(source.encode("utf-8"))
    budget = TEACHING_BUDGET if rel.startswith("teaching/") else PAGE_BUDGET
    assert size < budget, f"{rel}: {size} bytes (budget {budget})"
    css = "".join(page.css)
    assert "--jp-" not in css, f"{rel}: JupyterLab CSS variables in the page"
    assert len([t for t, _, _ in page.tags if t == "style"]) == 1, f"{rel}: more than one <style> block"


@pytest.mark.parametrize("rel", ALL_PAGES)
def test_relations_are_not_split(pages, rel):
    """'< 0.001' (and '≥ 1e9', 'p = 0.03') never breaks after the sign: a no-break space."""
    _, page = pages(rel)
    split = re.findall(r"(?:^|\s)(?:<|>|≤|≥) \d.{0,12}", page.prose_text)
    assert not split, f"{rel}: relation sign followed by a breakable space: {split[:5]}"


def test_the_relation_rule_reads_prose_and_leaves_code_alone():
    """The control of ``test_relations_are_not_split``: a split relation in prose is found; one in
    code (inline or a block) is not, as code must keep plain spaces."""
    page = Page("<p>p &lt; 0.05 here</p><p>R: <code>sum(f$change &lt; 0)</code></p><pre>x &gt; 1</pre>")
    assert re.findall(r"(?:^|\s)(?:<|>|≤|≥) \d", page.prose_text) == [" < 0"]
    assert "sum(f$change" not in page.prose_text and "x > 1" not in page.prose_text
