"""What a chapter notebook needs besides the analysis: open the chapter (validate the
parameters, load the cohort, show the parameters), numbered figures and tables, prose
rendered from results, and ``record`` to hand a result to results.json.

Typical chapter cell: ``ch.say(f"The mean change was {fmt_change(r.mean_change)}.")``.
"""

from __future__ import annotations

from pathlib import Path

from IPython.display import HTML, Markdown, display

from mscreport.display import fmt
from mscreport.inputs.cohort import load_cohort
from mscreport.core.disclosure import Policy, set_mode
from mscreport.core.errors import InputError
from mscreport.core.mime import RESULT_MIME
from mscreport.report.framing import frame_report, inline_html
from mscreport.core.paths import resolve_data_path
from mscreport.inputs.params import PARAMETERS, resolve_params, shown_value
from mscreport.core.jsondata import jsonable
from mscreport.inputs.snapshot import snapshot_from_environment
from mscreport.analysis.basis import LEGEND, mark_frame, mark_sentence, sentence_sup as sup_mark
from mscreport.report.opening import applicable_parameters, chapter_answer
from mscreport.display.figures import figure_data_uri, figure_record


class Chapter:
    """One chapter's state: the cohort, and figure/table counters."""

    def __init__(self, name: str, cohort, params: dict):
        self.name = name
        self.cohort = cohort
        self.params = params
        self.policy = Policy.of(params)  # the disclosure rule of this chapter's pages, passed to the display functions
        set_mode(self.policy.mode)  # the default of the functions given no policy
        self._figures = 0
        self._tables = 0

    @classmethod
    def open(cls, name: str, data_path: str, column_map: dict | None = None, **params) -> "Chapter":
        """Validate parameters, load the cohort (its headers mapped by ``column_map``, as the
        build validated it), show both at the top of the chapter."""
        try:
            resolved = resolve_params(values=params)
            cohort = load_cohort(resolve_data_path(data_path), resolved, column_map or None)
        except InputError as exc:
            display(HTML("<pre class=\"msc-error\">" + fmt.escape(str(exc)) + "</pre>"))
            raise
        ch = cls(name, cohort, resolved)
        ch.show_parameters()
        return ch

    @classmethod
    def from_parameters(cls, name: str, namespace: dict) -> "Chapter":
        """Open the chapter with the papermill parameters found in a notebook's namespace; under
        the build, with the build's validated snapshot of the cohort (see ``snapshot``)."""
        params = {p.name: namespace[p.name] for p in PARAMETERS if p.name in namespace}
        cohort = snapshot_from_environment()
        if cohort is None:
            return cls.open(name, namespace["data_path"], namespace.get("column_map"), **params)
        if params != {k: cohort.params[k] for k in params}:
            raise RuntimeError(f"parameters {params} differ from the build's {cohort.params}")
        ch = cls(name, cohort, cohort.params)
        ch.show_parameters()
        return ch

    def show_parameters(self) -> None:
        """The chapter's opening under its title and question: its answer (``opening``), the
        report's title, the parameters that apply to the file and the data (folded), and for
        synthetic data its banner (for a reconstruction with the legend of the basis marks)."""
        c = self.cohort
        self.show_answer()
        framing = frame_report(self.params, c.sha256, Path(c.path).name)
        # the report's title only: the study's description (free text, a citation) is the index's lead
        display(HTML(f"<p class=\"msc-study\"><strong>{fmt.escape(framing.title)}</strong></p>"))
        display(HTML(parameters_fold(c, self.policy)))
        if c.synthetic:
            what = ("This build uses the reconstructed cohort: synthetic patients built to reproduce the paper's "
                    "published summary figures." if c.reconstruction else
                    "Every row of this cohort file is marked synthetic (column <code>synthetic</code>): invented "
                    "patients.")
            display(HTML(f"<p class=\"msc-synthetic\"><strong>Synthetic data.</strong> {what} "
                         "It shows the method, not real patients.</p>"))
        if c.reconstruction:
            display(Markdown(LEGEND))

    def show_answer(self) -> None:
        """The chapter's answer (``opening.chapter_answer``) right under its question, its
        numbers marked for a reconstruction; nothing when the chapter has no short answer."""
        found = chapter_answer(self.name, self.cohort)
        if found is None:
            return
        text, key = found
        mark = sup_mark(key, self.mark_params()) if self.cohort.reconstruction else ""
        display(HTML(f"<p class=\"msc-answer\"><strong>Answer.</strong> {inline_html(text)}{mark}</p>"))

    def mark_params(self) -> dict:
        """The parameters the basis marks follow (every ``auto`` resolved)."""
        return getattr(self.cohort, "resolved_params", None) or self.params

    # ---- prose, figures, tables
    def say(self, markdown: str, basis=None) -> None:
        """Prose rendered from results (numbers formatted by ``mscreport.display.fmt``). ``basis``:
        the sentence's key in the reconstruction's basis list (``mscreport.analysis.basis``), or one
        key per paragraph, marked after each paragraph with a number when the cohort is a reconstruction."""
        if basis and self.cohort.reconstruction:
            markdown = mark_sentence(markdown, basis, self.mark_params())
        display(Markdown(markdown))

    def record_figure(self, key: str, fig, caption: str, alt: str) -> None:
        """Hand a figure to the build (for the index page), not shown here."""
        self.record(key, figure_record(fig, caption, alt))

    def figure(self, fig, caption: str, alt: str) -> None:
        """Embed a matplotlib figure as a numbered, captioned SVG image with alt text (nothing for
        None: a figure the data cannot give, whose reason the prose states)."""
        if fig is None:
            return
        self._figures += 1
        caption = f"{caption} {getattr(fig, 'msc_caption_note', '')}".strip()  # what the disclosure rule changed (figures.add_caption_note)
        display(HTML(f"<figure class=\"msc-figure\" id=\"figure-{self._figures}\"><img src=\"{figure_data_uri(fig)}\" "
                     f"alt=\"{fmt.escape(alt)}\"/><figcaption><strong>Figure {self._figures}.</strong> {fmt.escape(caption)}"
                     "</figcaption></figure>"))

    def table(self, frame, caption: str, index: bool = False, basis=None) -> None:
        """Show a table of formatted cells with a numbered caption (no row-level data; nothing
        for None or an empty table: a table the data cannot give, whose reason the prose states).
        ``basis``: the rows' key (or one key per row) in the reconstruction's basis list; a
        reconstruction's table gets a mark by each number (``mscreport.analysis.basis``)."""
        if frame is None or not len(frame):
            return
        if basis is not None and self.cohort.reconstruction:
            frame = mark_frame(frame, basis, self.mark_params())
        self._tables += 1
        display(HTML(fmt.html_table(frame, caption, self._tables, index=index)))

    def record(self, key: str, value) -> None:
        """Hand a result to the build for results.json (invisible in the rendered page)."""
        display({RESULT_MIME: {"key": key, "value": jsonable(value)}, "text/plain": ""}, raw=True)


def parameters_fold(cohort, policy=None) -> str:
    """HTML: the parameters that apply to the cohort's file (``opening.applicable_parameters``)
    with their resolved values and units, and the data of the build, folded under one line;
    counts as the disclosure ``policy`` shows them."""
    shown = cohort.resolved_params  # every auto as resolved (condition, intervention, inclusion_min)
    names = applicable_parameters(cohort)
    units = {p.name: p.unit for p in PARAMETERS}
    rows = "".join(f"<tr><th scope=\"row\"><code>{fmt.escape(n)}</code></th><td>{fmt.escape(shown_value(n, shown[n]))}</td>"
                   f"<td>{fmt.escape(units[n])}</td></tr>" for n in names)
    return ("<details class=\"msc-params\"><summary>Parameters used and data of this build</summary>"
            f"<p>Cohort file <code>{fmt.escape(Path(cohort.path).name)}</code> (SHA-256 <code>{cohort.sha256[:16]}…</code>): "
            f"{fmt.fmt_int(cohort.rows_read, policy)} rows read, {fmt.fmt_int(cohort.rows_analysed, policy)} analysed, "
            f"{fmt.fmt_int(len(cohort.excluded), policy)} excluded.</p>"
            "<table class=\"msc-table\"><thead><tr><th>parameter</th><th>value</th><th>unit</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")
