"""The built report in a real browser (headless Chromium driven by Playwright), fully offline.

Every page (index, each chapter in the reader and the teaching rendering) is opened from disk
through a file:// URL with the network cut off: any request that is neither file:// nor data:
is aborted and recorded. A page passes when it logs no console error or uncaught exception,
fetches nothing from elsewhere, every image decodes, every figure is captioned "Figure N.",
and every link resolves (files on disk, anchors to an id). The reader rendering must show no
code, the teaching rendering must. A full-page screenshot of the index is kept in
tests/artifacts/index.png (gitignored) for a human to look at.

Print, phone and dark (issue 13): the index and chapter 3 printed to PDF (A4 and Letter, and
the plain `chromium --print-to-pdf`), their text read back with pdftotext (poppler-utils);
screenshots at 1280 and 390 px in light and dark mode, saved in the test's tmp folder
(`screens*/`, paths printed with `-s`).

Skipped, with the reason, when Chromium or Playwright is missing or the browser cannot be
launched (``make test`` tries to apt-get chromium first). Playwright's own browser download
is never used: the system Chromium is launched by path.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.core.paths import TEACHING_DIRNAME

pytestmark = pytest.mark.slow  # needs the `built_report` fixture, which executes every notebook


def _find_chromium() -> str | None:
    candidates = (os.environ.get("MSCREPORT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser"))
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


CHROMIUM = _find_chromium()
if CHROMIUM is None:
    pytest.skip("browser test skipped: no Chromium (/usr/bin/chromium or `chromium` on PATH); "
                "install it with `apt-get install chromium` (make test tries this)", allow_module_level=True)
try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError as exc:  # pragma: no cover - depends on the environment
    pytest.skip(f"browser test skipped: playwright cannot be imported ({exc}); "
                "install the test extras: pip install -e '.[test]'", allow_module_level=True)

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHAPTERS = list_chapters()
READER_PAGES = [c.html_name for c in CHAPTERS]
TEACHING_PAGES = [f"{TEACHING_DIRNAME}/{c.html_name}" for c in CHAPTERS]
ALL_PAGES = ["index.html", *READER_PAGES, *TEACHING_PAGES]
CAPTION = re.compile(r"^Figure (\d+)\.\s")
EXTERNAL_SCHEMES = ("http:", "https:", "mailto:")  # hyperlinks to references; checked offline elsewhere

# Everything the tests need from one loaded page, gathered in a single round trip.
_COLLECT_JS = """
async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const codeCells = Array.from(document.querySelectorAll('.jp-CodeCell'));
  return {
    images: imgs.map(i => {
      const fig = i.closest('figure');
      const cap = fig ? fig.querySelector(':scope > figcaption') : null;
      return {src: (i.getAttribute('src') || '').slice(0, 60), complete: i.complete,
              width: i.naturalWidth, height: i.naturalHeight, alt: i.getAttribute('alt'),
              inFigure: !!fig, caption: cap ? cap.textContent.replace(/\\s+/g, ' ').trim() : null};
    }),
    captions: Array.from(document.querySelectorAll('figure > figcaption'))
                   .map(c => c.textContent.replace(/\\s+/g, ' ').trim()),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    codeCells: codeCells.map(c => {
      const input = c.querySelector('.jp-InputArea');
      const editor = c.querySelector('.jp-InputArea-editor');
      return {classes: c.className, hasInput: !!input,
              code: editor ? editor.textContent.trim().slice(0, 80) : '',
              visible: !!editor && visible(editor), folded: !!(editor && editor.closest('details'))};
    }),
    folds: Array.from(document.querySelectorAll('details.msc-fold'))
                .map(d => (d.querySelector(':scope > summary') || {textContent: ''}).textContent.trim()),
  };
}
"""


class PageAudit:
    """What happened while one page loaded offline, and what it contains."""

    def __init__(self, rel: str, path: Path):
        self.rel, self.path = rel, path
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.blocked_requests: list[str] = []
        self.info: dict = {}


@pytest.fixture(scope="module")
def browser():
    try:
        pw = sync_playwright().start()
    except Exception as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"browser test skipped: the Playwright driver cannot start ({exc})")
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, timeout=60_000)
    except PlaywrightError as exc:  # pragma: no cover - depends on the environment
        pw.stop()
        pytest.skip(f"browser test skipped: Playwright cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block",
                              java_script_enabled=True)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def audits(context, built_report):
    """rel path -> PageAudit, each page loaded once (lazily) and shared by the tests."""
    cache: dict[str, PageAudit] = {}

    def load(rel: str, screenshot: Path | None = None) -> PageAudit:
        if rel in cache and screenshot is None:
            return cache[rel]
        path = built_report / rel
        assert path.is_file(), f"{rel} was not built"
        audit = PageAudit(rel, path)
        page = context.new_page()

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                audit.blocked_requests.append(f"{route.request.resource_type} {url[:200]}")
                route.abort("blockedbyclient")

        page.route("**/*", guard)
        page.on("console", lambda m: audit.console_errors.append(f"{m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: audit.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: audit.failed_requests.append(
            f"{r.resource_type} {r.url[:200]}: {r.failure}"))
        try:
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=60_000)
            audit.info = page.evaluate(_COLLECT_JS)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            page.close()
        cache[rel] = audit
        return audit

    return load


# ------------------------------------------------------------------ every page
@pytest.mark.browser
@pytest.mark.parametrize("rel", ALL_PAGES)
def test_page_loads_offline_without_errors(audits, rel):
    a = audits(rel)
    problems = ([f"network request blocked: {r}" for r in a.blocked_requests]
                + [f"request failed: {r}" for r in a.failed_requests]
                + [f"console error: {m}" for m in a.console_errors]
                + [f"uncaught exception: {e}" for e in a.page_errors])
    assert not problems, f"{rel} did not load cleanly offline:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("rel", ALL_PAGES)
def test_images_load_and_figures_are_captioned(audits, rel):
    a = audits(rel)
    problems = []
    for i, img in enumerate(a.info["images"], 1):
        where = f"image {i} ({img['src']}...)"
        if not (img["complete"] and img["width"] > 0 and img["height"] > 0):
            problems.append(f"{where} did not load")
        if not (img["alt"] or "").strip():
            problems.append(f"{where} has no alt text")
        if not img["inFigure"]:
            problems.append(f"{where} is not inside a <figure>")
        elif img["caption"] is None:
            problems.append(f"{where}: its <figure> has no <figcaption>")
        elif not CAPTION.match(img["caption"]):
            problems.append(f"{where}: caption does not start with 'Figure N.': {img['caption'][:80]!r}")
    numbers = [int(CAPTION.match(c).group(1)) for c in a.info["captions"] if CAPTION.match(c)]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"figures are not numbered 1, 2, ... in order: {numbers}")
    assert not problems, f"{rel} has image/figure problems:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("rel", ALL_PAGES)
def test_links_resolve(audits, built_report, rel):
    """Anchors point at an id on the page; relative links at a file of the report (and, with a
    fragment, at an id in it); nothing points outside the report folder."""
    a = audits(rel)
    ids = a.info["ids"]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{rel}: duplicate ids (anchors are ambiguous): {dupes}"
    root = built_report.resolve()
    problems = []
    for href in a.info["links"]:
        href = href.strip()
        if href == "#":
            continue
        if href.startswith("#"):
            if unquote(href[1:]) not in ids:
                problems.append(f"{href}: no element with this id")
            continue
        if href.lower().startswith(EXTERNAL_SCHEMES):
            continue
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            problems.append(f"{href}: neither relative nor a plain external hyperlink")
            continue
        target = (a.path.parent / unquote(parts.path)).resolve() if parts.path else a.path.resolve()
        if not target.is_relative_to(root):
            problems.append(f"{href}: points outside the report folder")
        elif not target.is_file():
            problems.append(f"{href}: {target.relative_to(root)} does not exist")
        elif parts.fragment and target.suffix == ".html":
            text = target.read_text(encoding="utf-8")
            if not re.search(rf"\bid=[\"']{re.escape(unquote(parts.fragment))}[\"']", text):
                problems.append(f"{href}: no id {parts.fragment!r} in {target.name}")
    assert not problems, f"{rel} has broken links:\n" + "\n".join(problems)


# ------------------------------------------------------------------ index
@pytest.mark.browser
def test_index_links_every_chapter_in_both_renderings(audits):
    links = set(audits("index.html").info["links"])
    missing = [p for p in READER_PAGES + TEACHING_PAGES if p not in links]
    assert not missing, f"index.html does not link: {missing}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", READER_PAGES + TEACHING_PAGES)
def test_chapter_links_back_to_index_and_other_rendering(audits, rel):
    links = set(audits(rel).info["links"])
    teaching = rel.startswith(f"{TEACHING_DIRNAME}/")
    name = rel.split("/")[-1]
    assert ("../index.html" if teaching else "index.html") in links, f"{rel} has no link to the index"
    other = f"../{name}" if teaching else f"{TEACHING_DIRNAME}/{name}"
    assert other in links, f"{rel} does not link its other rendering {other}"


@pytest.mark.browser
def test_index_screenshot(audits):
    shot = ARTIFACTS / "index.png"
    shot.unlink(missing_ok=True)
    audits("index.html", screenshot=shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
    assert len(data) > 20_000, f"the index screenshot is suspiciously small ({len(data)} bytes): blank page?"


# ------------------------------------------------------------------ renderings
@pytest.mark.browser
@pytest.mark.parametrize("rel", READER_PAGES)
def test_reader_rendering_shows_no_code(audits, rel):
    info = audits(rel).info
    cells = info["codeCells"]
    assert cells, f"{rel}: no code cells at all (outputs are expected)"
    with_input = [c["classes"] for c in cells if c["hasInput"] or "jp-mod-noInput" not in c["classes"].split()]
    assert not with_input, f"{rel}: the reader rendering shows code input in cells {with_input}"
    assert not info["folds"], f"{rel}: the reader rendering has folded code blocks {info['folds']}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", TEACHING_PAGES)
def test_teaching_rendering_shows_code(audits, rel):
    info = audits(rel).info
    cells = info["codeCells"]
    shown_folded = {"celltag_hide-input", "celltag_parameters", "celltag_injected-parameters"}  # parameters: folded above
    missing = [c["classes"] for c in cells if not c["hasInput"] and not shown_folded & set(c["classes"].split())]
    assert not missing, f"{rel}: code cells without their code (and not tagged hide-input): {missing}"
    shown = [c for c in cells if c["code"]]
    assert shown, f"{rel}: the teaching rendering shows no code"
    assert any(c["visible"] for c in shown), f"{rel}: every code cell is folded away; none is visible"
    assert all(c["visible"] or c["folded"] for c in shown), f"{rel}: some code is hidden without a fold to open it"
    assert all(s.startswith("Show the code") for s in info["folds"]), f"{rel}: fold without a label: {info['folds']}"


# ------------------------------------------------------------------ print, phone, dark (issue 13)
PRINTED = ["index.html", "03_change.html"]  # the index and the chapter with the widest table
PHONE = {"width": 390, "height": 844}
_SVG_FONT = re.compile(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px")
_SVG_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ')

_TABLES_JS = """
() => Array.from(document.querySelectorAll('table')).filter(t => !t.closest('details:not([open])')).map(t => ({
  caption: (t.caption ? t.caption.textContent : '').replace(/\\s+/g, ' ').trim(),
  columns: Array.from({length: Math.max(...Array.from(t.rows).map(r => r.cells.length))}, (_, j) =>
    Array.from(t.rows).map(r => r.cells[j] ? r.cells[j].textContent.replace(/\\s+/g, ' ').trim() : '')
         .filter(s => s)),
  fits: t.getBoundingClientRect().right <= document.documentElement.clientWidth + 1,
  scrolls: t.scrollWidth > t.clientWidth + 1,
  overflowX: getComputedStyle(t).overflowX,
  background: getComputedStyle(t).backgroundImage,
}))
"""
_HEADINGS_JS = "() => Array.from(document.querySelectorAll('h2, h3')).map(h => h.textContent.replace(/\\u00b6/g, '').replace(/\\s+/g, ' ').trim())"
_FIGURES_JS = """
() => Array.from(document.querySelectorAll('figure img')).map(i => ({
  src: i.getAttribute('src'), width: i.getBoundingClientRect().width,
  background: getComputedStyle(i).backgroundColor}))
"""
_COLOURS_JS = """
() => ({body: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.body).color,
        pageWidth: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth})
"""


def _pieces(text: str) -> set[str]:
    """The pieces a printed line may break a text into: words, and words split after a hyphen
    (pdftotext -layout interleaves the lines of wrapped table cells)."""
    return {p for p in re.split(r"\s+|(?<=-)", text.replace("\u00a0", " ")) if p}


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", css)[:3])


def _luminance(css: str) -> float:
    r, g, b = (c / 255 for c in _rgb(css))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Folder of the screenshots and PDFs of this run (the paths are printed for a human)."""
    return tmp_path_factory.mktemp("screens")


def _open(browser, built_report, rel, **context_args):
    ctx = browser.new_context(service_workers="block", **context_args)
    page = ctx.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
               else route.abort("blockedbyclient"))
    page.goto((built_report / rel).resolve().as_uri(), wait_until="load", timeout=60_000)
    return ctx, page


def _pdftotext(pdf: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("rel", PRINTED)
def test_print_keeps_every_table_column(browser, built_report, shots, rel, paper):
    """Printed to PDF (Chromium's print pipeline; A4 by `chromium --print-to-pdf`-equivalent
    Playwright page.pdf, both paper sizes), every table's every column is on the page
    (pdftotext finds each cell and header; no table is wider than the printable width), no
    page ends with a heading, "< 0.001" is never split, and link targets are written out."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: `make browser-deps` installs it")
    ctx, page = _open(browser, built_report, rel, viewport={"width": 1280, "height": 900})
    try:
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 700 if paper == "A4" else 720, "height": 1000})  # ~ printable width at 96 dpi
        tables = page.evaluate(_TABLES_JS)
        headings = page.evaluate(_HEADINGS_JS)
        pdf = shots / f"{rel.replace('/', '_').removesuffix('.html')}_{paper}.pdf"
        page.pdf(path=str(pdf), format=paper, print_background=True)
    finally:
        ctx.close()
    print(f"\nPDF: {pdf}")
    assert tables, f"{rel}: no tables to check"
    wide = [t["caption"] for t in tables if not t["fits"] or t["scrolls"]]
    assert not wide, f"{rel} ({paper}): tables wider than the printed page: {wide}"
    text = _pdftotext(pdf)
    printed = _pieces(text)
    missing = [f"{t['caption'][:40]!r} column {j + 1}: {cell!r}" for t in tables for j, col in enumerate(t["columns"])
               for cell in col if not _pieces(cell) <= printed]
    assert not missing, f"{rel} ({paper}): table text missing from the PDF:\n" + "\n".join(missing[:20])
    assert not re.search(r"<\s*\n", text.replace("\u00a0", " ")), f"{rel}: a line ends with '<' (split '< 0.001')"
    pages = [p for p in text.split("\f") if p.strip()]
    orphans = [(i + 1, h) for i, p in enumerate(pages[:-1]) for h in headings
               if h and p.strip().splitlines()[-1].strip() == h]
    assert not orphans, f"{rel} ({paper}): pages ending with a heading: {orphans}"
    if rel == "index.html":
        assert "(06_published.html)" in printed, "printed links do not show their target"


@pytest.mark.browser
def test_chromium_print_to_pdf_command(built_report, shots):
    """The plain `chromium --headless --print-to-pdf` of a chapter: every table cell in the text."""
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: `make browser-deps` installs it")
    pdf = shots / "03_change_cli.pdf"
    subprocess.run([CHROMIUM, "--headless", *LAUNCH_ARGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    (built_report / "03_change.html").resolve().as_uri()], capture_output=True, timeout=120, check=True)
    print(f"\nPDF: {pdf}")
    printed = _pieces(_pdftotext(pdf))
    for header in ("p (t-test)", "d_z", "p (Wilcoxon)", "SD of change", "Wilcoxon V", "Hodges-Lehmann shift", "its CI"):
        assert _pieces(header) <= printed, f"column {header!r} lost in print"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("rel", ["index.html", "03_change.html"])
def test_screens_phone_and_dark(browser, built_report, shots, rel, width, scheme):
    """Screenshots at 1280 and 390 px, light and dark. At 390 px nothing runs off the page:
    a table either fits or scrolls in its own box with a visible cue (edge shadows), and
    figure text is >= 9 px. In dark mode text is light on dark, figures sit on a light card."""
    viewport = PHONE if width == 390 else {"width": 1280, "height": 900}
    ctx, page = _open(browser, built_report, rel, viewport=viewport, color_scheme=scheme,
                      device_scale_factor=2 if width == 390 else 1)
    try:
        shot = shots / f"{rel.replace('/', '_').removesuffix('.html')}_{width}_{scheme}.png"
        page.screenshot(path=str(shot), full_page=True)
        tables, figs, colours = page.evaluate(_TABLES_JS), page.evaluate(_FIGURES_JS), page.evaluate(_COLOURS_JS)
    finally:
        ctx.close()
    print(f"\nscreenshot: {shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert colours["pageWidth"] <= colours["viewport"] + 1, f"{rel} at {width} px scrolls sideways"
    for t in tables:
        if t["scrolls"]:
            assert t["overflowX"] in ("auto", "scroll") and "gradient" in t["background"], \
                f"{rel} at {width} px: table {t['caption'][:40]!r} is cut without a scroll cue"
        else:
            assert t["fits"], f"{rel} at {width} px: table {t['caption'][:40]!r} runs off the screen"
    for f in figs:
        from urllib.parse import unquote

        svg = unquote(f["src"].split(",", 1)[1])
        natural_px = float(_SVG_VIEWBOX.search(svg).group(1)) * 4 / 3
        smallest = min(float(s) for s in _SVG_FONT.findall(svg)) * 4 / 3 * f["width"] / natural_px
        assert smallest >= 9, f"{rel} at {width} px: figure text {smallest:.1f} px"
        assert _luminance(f["background"]) > 0.9, "figures are drawn on a light card"
    body, text = _luminance(colours["body"]), _luminance(colours["text"])
    if scheme == "dark":
        assert body < 0.05 and text > 0.5, f"{rel}: dark mode not honoured ({colours})"
    else:
        assert body > 0.9 and text < 0.05, f"{rel}: light page expected ({colours})"


# ------------------------------------------------------------------ issue 26.9: print, search, cross-references
_TABLE_HEADS_JS = """
() => Array.from(document.querySelectorAll('table')).filter(t => !t.closest('details:not([open])')).map(t => ({
  caption: (t.caption ? t.caption.textContent : '').replace(/\\s+/g, ' ').trim(),
  header: t.tHead ? Array.from(t.tHead.querySelectorAll('th, td')).map(c => c.textContent).join(' ')
                     .replace(/\\s+/g, ' ').trim() : '',
}))
"""
_TABLE_LABEL = re.compile(r"^\s*Table \d+\.")


def stranded_lines(pages_text: list[str], tables: list[dict]) -> list[tuple[int, str]]:
    """(page, line) for each printed page (but the last) that ends with a table's caption or
    header: its trailing lines made only of the words of one table's caption and header
    include that table's "Table N." line or the first line of its header row (the table
    itself then starts on the next page)."""
    out = []
    for i, text in enumerate(pages_text[:-1]):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for t in tables:
            words = _pieces(t["caption"] + " " + t["header"])
            first = t["header"].split()[:1]
            tail = []
            for line in reversed(lines):
                if not _pieces(line) <= words:
                    break
                tail.append(line)
            hit = [line for line in tail if _TABLE_LABEL.match(line) or (first and line.split()[0] == first[0])]
            if hit:
                out.append((i + 1, hit[-1]))
                break
    return out


def test_stranded_lines_rule():
    tables = [{"caption": "Table 1. Change in HbA1c by stratum", "header": "group n mean change follow-up p (t-test)"}]
    assert stranded_lines(["text\nTable 1. Change in HbA1c by\n", "stratum ..."], tables) == [(1, "Table 1. Change in HbA1c by")]
    assert stranded_lines(["text\nTable 1. Change in HbA1c by\nstratum\n  group    n    mean change\n\n", "all 61"],
                          tables) == [(1, "Table 1. Change in HbA1c by")]
    assert stranded_lines(["text\n  group    n    mean change\n  p (t-test)", "all 61"], tables) == [(1, "group    n    mean change")]
    assert stranded_lines(["text\nall  61  -0.79  0.01\n", "Table 2. x"], tables) == []
    assert stranded_lines(["text\nall  61  -0.79  0.01\nfollow-up\n", "x"], tables) == []  # a wrapped body cell
    assert stranded_lines(["Table 1. Change in HbA1c by stratum"], tables) == []  # the last page: nothing follows


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("rel", ["index.html", *READER_PAGES])
def test_print_leaves_no_caption_or_header_at_a_page_foot(browser, built_report, shots, rel, paper):
    """Every reader page and the index printed at A4 and at US Letter (the paper is the
    user's: `@page { size: auto }`): no page ends with a table's caption or header whose
    table starts on the next page (pdftotext -layout, page by page)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: `make browser-deps` installs it")
    ctx, page = _open(browser, built_report, rel, viewport={"width": 1280, "height": 900})
    try:
        page.emulate_media(media="print")
        tables = page.evaluate(_TABLE_HEADS_JS)
        pdf = shots / f"{rel.removesuffix('.html')}_{paper}_breaks.pdf"
        page.pdf(path=str(pdf), format=paper, print_background=True)
    finally:
        ctx.close()
    print(f"\nPDF: {pdf}")
    pages = _pdftotext(pdf).split("\f")
    stranded = stranded_lines([p for p in pages if p.strip()], tables)
    assert not stranded, f"{rel} ({paper}): caption or header alone at the foot of a page: {stranded}"


@pytest.mark.browser
@pytest.mark.parametrize("start", ["index.html", f"{TEACHING_DIRNAME}/{CHAPTERS[0].html_name}"])
def test_search_finds_a_word_and_opens_the_section(browser, built_report, start):
    """The offline search: type a word into the box, the results list sections of the reader
    pages holding it; clicking one opens that page at that section. Nothing is fetched from
    elsewhere (the index is the report's own search_index.js)."""
    blocked = []
    ctx = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()

    def guard(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    page.route("**/*", guard)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((built_report / start).resolve().as_uri(), wait_until="load", timeout=60_000)
        box = page.locator("#msc-search-input")
        box.click()
        box.type("regression to the mean", delay=20)
        first = page.locator(".msc-search-results a").first
        first.wait_for(timeout=10_000)
        results = page.locator(".msc-search-results li").all_text_contents()
        assert results and all("regression to the mean" in r.lower() or "regression" in r.lower() for r in results), results
        href = first.get_attribute("href")
        first.click()
        page.wait_for_load_state("load")
        url = unquote(page.url)
        target, _, anchor = href.partition("#")
        assert url.endswith(target.removeprefix("../")) or url.split("#")[0].endswith(target.removeprefix("../")), (url, href)
        if anchor:
            assert url.endswith(f"#{anchor}") and page.locator(f"[id='{anchor}']").count() == 1, (url, anchor)
            assert "regression" in page.locator(f"[id='{anchor}']").text_content().lower() or \
                "regression" in page.evaluate("() => document.body.innerText").lower()
        page.go_back()
        page.locator("#msc-search-input").fill("zzqxnotaword")
        page.locator(".msc-search-none").wait_for(timeout=10_000)
    finally:
        ctx.close()
    assert not blocked, f"the search fetched from elsewhere: {blocked}"
    assert not errors, errors


@pytest.mark.browser
def test_chapter_mentions_are_links_that_resolve(audits, built_report):
    """"chapter N" in the prose is a link to chapter N's page (issue 26.9)."""
    page = (built_report / "03_change.html").read_text(encoding="utf-8")
    assert '<a class="msc-xref" href="05_trust.html">chapter 5</a>' in page
    assert "05_trust.html" in audits("03_change.html").info["links"]
