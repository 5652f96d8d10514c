"""HTML: the two renderings of a chapter (reader: no code; teaching: code, folded when long,
and the exercises), their navigation and table of contents, and the index page.

Pages are self-contained: figures are inline SVG images, one small stylesheet inline (light
and dark, phone and print), one script of the report's own (the search box's ``search.js``,
``search_index``, which loads the report's ``search_index.js``); nothing is fetched from elsewhere (hospital
networks are often offline). "chapter N" in prose links to chapter N (``crossrefs``).
"""

from __future__ import annotations

import json

import copy
import functools
import html
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from mscreport.display import fmt
from mscreport.core.disclosure import Policy, hidden_in_results, set_mode, shown_count, suppressed
from mscreport.core.jsondata import jsonable
from mscreport.core.mime import RESULT_MIME
from mscreport.core.paths import TEACHING_DIRNAME, TEMPLATES_DIR
from mscreport.core.version import __version__
from mscreport.analysis.basis import LEGEND, headline_keys, mark, mark_frame, sentence_sup
from mscreport.analysis.published import say_reproduction
from mscreport.core.groups import POOLED, is_controlled
from mscreport.display.arm_tables import key_findings_table
from mscreport.inputs.params import shown_value
from mscreport.pipeline.chapters import chapter_on
from mscreport.pipeline.crossrefs import chapter_targets, link_chapter_mentions
from mscreport.pipeline.search_index import search_box
from mscreport.report.framing import frame_report, headline_sentence, inline_html

INDEX_TEMPLATE = "index_page.html.j2"  # in templates/mscreport/, beside nbconvert's chapter template
PUBLISHED_TOPIC = "published"  # the chapter comparing with the published figures (ChapterInfo.topic)
TEACHING_ONLY = "teaching"  # cell tag: only in the teaching rendering (exercises, asides)
# papermill's parameter cells: their code is not shown on a page; the chapter's opening shows the
# parameters that apply, folded (report.chapter.parameters_fold)
PARAMETER_TAGS = {"parameters", "injected-parameters"}
_HEADING = re.compile(r"<h([23]) id=\"([^\"]+)\">(.*?)</h\1>", re.S)
_TAGS = re.compile(r"<[^>]+>")
# "< 0.001", "≥ 1e9", "p = 0.03": the relation and its number never split across lines
_RELATION_SPACE = re.compile(r"(&lt;|&gt;|[<>=≤≥]) (?=[\d−\-.])")
_ABSOLUTE_STRING = re.compile(r"([\"'])(/[^\"'\n]*/)([^/\"'\n]+)\1")  # "/any/folder/name.yaml"
_VERBATIM = re.compile(r"(<(pre|style|code|textarea|script)\b.*?</\2>|<[^>]+>)", re.S)


def coalesce_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive stream outputs of one stream (stdout, stderr)
    joined into one: how a kernel splits printed text into messages depends on timing, so
    the same cell would otherwise give one output area in one build and two in the next."""
    out: list = []
    for o in outputs:
        if (o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream"
                and out[-1].get("name") == o.get("name")):
            prev = out[-1]
            prev["text"] = "".join(prev["text"]) + "".join(o["text"])
            continue
        out.append(o)
    return out


def as_recorded(records: dict) -> dict:
    """``records`` as ``extract_records`` hands them back from an executed notebook: through
    JSON with sorted keys (nbformat writes the notebook so), so that results.json computed
    outside the chapters (the preview's first index) is byte for byte the chapters' one."""
    return json.loads(json.dumps(jsonable(records), sort_keys=True))


def extract_records(nb) -> dict:
    """Pull every ``Chapter.record`` result out of an executed notebook, and drop those
    outputs (and papermill's volatile metadata) from it, in place."""
    records = {}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"  # papermill's injected cell gets a random id: renumber all
        if cell.get("cell_type") != "code":
            continue
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):  # a file parameter by its name:
            cell["source"] = _ABSOLUTE_STRING.sub(r"\1\3\1", cell["source"])  # no builder's folder on a page
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if RESULT_MIME in data:
                rec = data[RESULT_MIME]
                records[rec["key"]] = jsonable(rec["value"])  # plain dicts, not NotebookNode: the build need not import nbformat
            else:
                kept.append(out)
        cell["outputs"] = coalesce_streams(kept)
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
        if "execution_count" in cell:
            cell["execution_count"] = None
    nb.metadata.pop("papermill", None)
    return records


@functools.lru_cache(maxsize=None)  # one per worker process: templates load and compile once
def _exporter(reader: bool):
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {TEACHING_ONLY} if reader else set()
    c.TagRemovePreprocessor.remove_input_tags = {"hide-input"} | PARAMETER_TAGS  # shown folded by Chapter.open
    c.HTMLExporter.exclude_input = reader
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.CSSHTMLHeaderPreprocessor.enabled = False  # pygments' CSS for JupyterLab's variables: ours colours code
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.HTMLExporter.template_name = "mscreport"
    return HTMLExporter(config=c)


def index_reproduction_text(results: dict, reconstruction: bool, agree: int, total: int) -> str:
    """The index's sentence on the published figures: the honest count of chapter 6 (its mark
    for a reconstruction is added by ``index_values``)."""
    summary = (results.get("reconstruction") or {}).get("summary")
    if not summary:
        return f"{agree} of {total} published figures agree at their own rounding."
    return say_reproduction(summary, reconstruction, markdown=False)


def index_mark(key: str, results: dict, reconstruction: bool) -> Markup:
    """A reconstruction's basis mark (HTML superscript, reason on hover) following the build's
    parameters; empty for any other cohort."""
    return Markup(sentence_sup(key, results.get("params") or {})) if reconstruction else Markup("")


def index_headline(results: dict, reconstruction: bool) -> Markup:
    """The index's first sentence (``framing.headline_sentence``) as HTML, marked for a
    reconstruction like the key table's overall row."""
    return Markup(inline_html(headline_sentence(results))) + index_mark("overall", results, reconstruction)


def add_toc(page: str) -> str:
    """Insert a table of contents (h2/h3 headings) before the first h2."""
    items = []
    for level, anchor, inner in _HEADING.findall(page):
        text = html.unescape(_TAGS.sub("", inner)).replace("¶", "").strip()
        indent = " class=\"msc-toc-sub\"" if level == "3" else ""
        items.append(f"<li{indent}><a href=\"#{html.escape(anchor)}\">{html.escape(text)}</a></li>")
    if not items:
        return page
    nav = f"<nav class=\"msc-toc\" aria-label=\"Contents\"><p class=\"msc-toc-title\">Contents</p><ol>{''.join(items)}</ol></nav>"
    first = _HEADING.search(page)
    return page[: first.start()] + nav + page[first.start():]


def keep_relations_together(page: str) -> str:
    """Join a relation sign to its number with a no-break space in the page's text ("< 0.001"
    never breaks after "<"); tags, code, pre and style are left as they are."""
    parts = _VERBATIM.split(page)
    out = []
    i = 0
    while i < len(parts):
        out.append(_RELATION_SPACE.sub("\\1\u00a0", parts[i]))  # text between tags
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # a tag or a verbatim block, unchanged
        i += 3  # split() yields text, whole match, inner group 2
    return "".join(out)


def add_nav(page: str, nav_html: str) -> str:
    """Insert the chapter navigation right after <body ...>."""
    m = re.search(r"<body[^>]*>", page)
    return page if not m else page[: m.end()] + nav_html + page[m.end():]


def chapter_nav(chapters, current) -> dict:
    """Navigation data for one chapter (computed in the parent, rendered in the worker)."""
    names = [c.name for c in chapters]
    i = names.index(current.name)
    return {"name": current.name, "title": current.title,
            "prev": None if i == 0 else (chapters[i - 1].html_name, chapters[i - 1].title),
            "next": None if i == len(chapters) - 1 else (chapters[i + 1].html_name, chapters[i + 1].title),
            "xrefs": sorted(chapter_targets(chapters).items())}  # [number, page]: "chapter N" links


def _nav_html(nav: dict, teaching: bool) -> str:
    up = "../" if teaching else ""
    parts = [f"<a href=\"{up}index.html\">\u2302 Index</a>"]
    if nav["prev"]:
        parts.append(f"<a href=\"{html.escape(nav['prev'][0])}\">\u2190 {html.escape(nav['prev'][1])}</a>")
    if nav["next"]:
        parts.append(f"<a href=\"{html.escape(nav['next'][0])}\">{html.escape(nav['next'][1])} \u2192</a>")
    other = (f"<a href=\"../{nav['name']}.html\">Reader version (no code)</a>" if teaching
             else f"<a href=\"{TEACHING_DIRNAME}/{nav['name']}.html\">Teaching version (code and exercises)</a>")
    parts.append(other)
    return f"<nav class=\"msc-nav\" aria-label=\"Chapters\">{' · '.join(parts)}</nav>"


def render_pages(nb, nav: dict) -> dict[str, str]:
    """Both renderings of an executed, cleaned notebook: {relative path: html}."""
    pages = {}
    for teaching in (False, True):
        body, _ = _exporter(reader=not teaching).from_notebook_node(copy.deepcopy(nb), resources={
            "metadata": {"name": nav["title"]}})
        xrefs = {int(n): page for n, page in nav.get("xrefs", ()) if page != f"{nav['name']}.html"}  # not to itself
        body = link_chapter_mentions(body, xrefs)
        body = add_nav(add_toc(keep_relations_together(body)), _nav_html(nav, teaching) + search_box("../" if teaching else ""))
        rel = f"{TEACHING_DIRNAME}/{nav['name']}.html" if teaching else f"{nav['name']}.html"
        pages[rel] = body
    return pages


# ------------------------------------------------------------------ index page
def index_css() -> str:
    """The report's stylesheet (inlined in every page)."""
    return _css()


def _css() -> str:
    return (TEMPLATES_DIR / "mscreport" / "static" / "mscreport.css").read_text(encoding="utf-8")


def headline_rows(results: dict) -> list[tuple[str, str, dict | None]]:
    """The key findings' rows as (key, label, PAIRED block): all patients, the moderate and
    severe strata, and the dose groups only when the cohort has doses (no "? cells" rows)."""
    strata = results.get("strata") or {}
    dose = results.get("dose") or {}
    cutoff = dose.get("cutoff_cells")
    pooled = f" ({POOLED})" if is_controlled(results.get("arms")) else ""
    rows = [("overall", "all patients" + pooled, results.get("overall")),
            ("moderate", "moderate stratum" + pooled, strata.get("moderate")),
            ("severe", "severe stratum" + pooled, strata.get("severe"))]
    if cutoff and (dose.get("high") or dose.get("low")):
        cut = fmt.fmt_cells(cutoff)
        rows += [("high", f"high dose (\u2265 {cut} cells)" + pooled, dose.get("high")),
                 ("low", f"low dose (< {cut} cells)" + pooled, dose.get("low"))]
    return rows


def headline_table(results: dict, number: int = 1, marked: bool = False) -> str:
    """The key findings: n, mean change (both units), CI, p for each group; ``marked``: a
    reconstruction's, with a mark by each number (``mscreport.analysis.basis``)."""
    import pandas as pd

    alpha = (results.get("params") or {}).get("alpha", 0.05)
    set_mode(Policy.of(results.get("params")).mode)
    hidden = hidden_in_results(results)
    rows = []
    for key, label, r in headline_rows(results):
        r = r or {}
        if fmt.too_small(r.get("n")) or key in hidden:
            rows.append({"group": label, "n": fmt.fmt_int(r.get("n")), "mean change (follow-up \u2212 baseline)": suppressed(r.get("n")),
                         f"{1 - alpha:.0%} CI (% points)": "", "p (paired t)": ""})
            continue
        rows.append({"group": label, "n": fmt.fmt_int(r.get("n")), "mean change (follow-up \u2212 baseline)": fmt.fmt_change(r.get("mean_change")),
                     f"{1 - alpha:.0%} CI (% points)": fmt.fmt_ci(r.get("ci_low"), r.get("ci_high")),
                     "p (paired t)": fmt.fmt_pvalue(r.get("p"))})

    caption = (f"Within-group change in HbA1c from baseline to last follow-up, {POOLED}: not a treatment effect"
               if is_controlled(results.get("arms")) else "Key findings: change in HbA1c from baseline to last follow-up")
    frame = pd.DataFrame(rows).astype(object)
    for j, column in enumerate(frame.columns):  # set cell by cell: a DataFrame built from Markup would make it str
        if column.startswith(("mean change", f"{1 - alpha:.0%} CI")):
            for i in range(len(frame)):
                frame.iat[i, j] = compact_cell(frame.iat[i, j])
    if marked:
        frame = mark_frame(frame, headline_keys()[: len(frame)], results.get("params") or {})
    return fmt.html_table(frame, caption, number)


def compact_cell(text: str) -> Markup:
    """A key-table cell that wraps only between its parts ("−0.79 % points" and "(−8.6 mmol/mol)";
    an interval "[−1.05, −0.52]" only after its comma, never inside a bound), so that a row on a
    phone is one or two lines, not four, and the table fits 390 px without scrolling."""
    if text.startswith("[") and text.endswith("]") and ", " in text:
        low, _, high = text.partition(", ")
        parts = [f"{low},", high]
    else:
        head, sep, tail = text.partition(" (")
        parts = [head] + ([f"({tail}"] if sep else [])
    return Markup(" ".join(f"<span class=\"msc-nw\">{fmt.escape(p)}</span>" for p in parts))


@functools.lru_cache(maxsize=None)
def _index_template():
    """templates/mscreport/index_page.html.j2, autoescaped with the report's own escaping."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "mscreport"), autoescape=True,
                             finalize=_escaped, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(INDEX_TEMPLATE)


def _escaped(value) -> Markup:
    """Jinja's finalize for the index: a value that is already HTML (``Markup``) as it is, any
    other escaped by ``fmt.escape`` as on every other page (quotes as &quot; and &#x27;,
    where markupsafe would write &#34; and &#39;)."""
    return value if hasattr(value, "__html__") else Markup(fmt.escape(value))


def index_figure(extras: dict, pooled: bool) -> dict | None:
    """The index's figure (a chapter's ``headline_figure`` record): src, alt and caption, the
    caption saying the groups are pooled over arms when ``pooled``; None when no chapter gave one."""
    fig = extras.get("headline_figure")
    if not fig:
        return None
    caption = fig["caption"].rstrip(".") + f"; {POOLED}." if pooled else fig["caption"]
    return {"src": fig["src"], "alt": fig["alt"], "caption": caption}


def index_values(chapters, results: dict, extras: dict) -> dict:
    """Everything the index page shows, as values for ``index_page.html.j2``: plain text (the
    template escapes it) or ``Markup`` for what is already HTML (stylesheet, tables, framing)."""
    prov = results.get("provenance", {})
    data = results.get("data", {})
    policy = Policy.of(results.get("params"))
    data_file = Path(str(data.get("path", ""))).name
    framing = frame_report(results.get("params") or {}, str(data.get("sha256", "")), data_file)
    reconstruction = bool(data.get("reconstruction", framing.bundled))  # marks and the paper's wording
    n_arm_tables = int(is_controlled(results.get("arms")))  # the between-arm table leads when arms exist
    comp = results.get("published_comparison") or []
    agree = sum(1 for c in comp if c.get("agrees"))
    # after the key findings: a user's cohort leads with its own results, compared only with a file it gave
    reproduction = (Markup(inline_html(index_reproduction_text(results, reconstruction, agree, len(comp))))
                    + index_mark("published_comparison", results, reconstruction) if comp else None)
    return {
        "css": Markup(_css()),
        "search": Markup(search_box("")),
        "title": framing.title,
        "headline": index_headline(results, reconstruction),
        "description": Markup(inline_html(framing.description)),
        "synthetic": bool(data.get("synthetic", framing.bundled)),
        "reconstruction": reconstruction,
        "legend": Markup(inline_html(LEGEND.replace("**", "*"))),
        "between_arm_table": Markup(key_findings_table(results, 1)),
        "within_group_table": Markup(headline_table(results, 1 + n_arm_tables, marked=reconstruction)),
        "reproduction": reproduction,
        "published_chapter": chapter_on(chapters, PUBLISHED_TOPIC),
        "figure": index_figure(extras, pooled=bool(n_arm_tables)),
        "chapters": list(chapters),
        "chapters_left_out": extras.get("chapters_left_out", ""),
        "teaching_dir": TEACHING_DIRNAME,
        "data": {"file": data_file, "sha256": data.get("sha256", ""),  # counts as the disclosure rule shows them
                 "rows_read": shown_count(data.get("rows_read"), policy),
                 "rows_analysed": shown_count(data.get("rows_analysed"), policy),
                 "excluded": shown_count(len(data.get("excluded", [])), policy)},
        "data_mark": index_mark("data", results, reconstruction) if reconstruction else None,
        "params_table_number": 2 + n_arm_tables,
        "params": [(k, shown_value(k, v)) for k, v in results.get("params", {}).items()],
        "provenance": provenance_values(prov),
    }


def provenance_values(prov: dict) -> dict:
    """The index's provenance lines from results.json ``provenance``: the git commit when built
    from a checkout with git, else the mscreport version (``version``); the rebuild command,
    with ``checkout`` saying it is typed at the repository root after ``make report`` (a pip
    user types ``mscreport build ...`` where mscreport is installed)."""
    packages = prov.get("packages") or {}
    return {"built_at": prov.get("built_at"), "git_commit": prov.get("git_commit"),
            "git_dirty": bool(prov.get("git_dirty")), "python": prov.get("python"),
            "version": packages.get("mscreport") or __version__,
            "packages": list(packages.items()),
            "command": prov.get("command", "mscreport build"),
            "checkout": bool(prov.get("checkout", True))}


def write_index(path: Path, chapters, results: dict, extras: dict) -> None:
    """index.html: key findings, one figure, the chapters in both renderings, parameters,
    data and provenance, and the command that rebuilds it (``index_page.html.j2``)."""
    page = _index_template().render(index_values(chapters, results, extras))
    page = link_chapter_mentions(page, chapter_targets(chapters))
    path.write_text(keep_relations_together(page), encoding="utf-8")
