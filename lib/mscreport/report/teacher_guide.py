"""The teacher's guide of a class build (``teaching/teacher_guide.html``): learning objectives,
a timed run sheet for a 2-hour class, three key points per chapter, a glossary, and links to
each chapter's teaching page and its student and answer workbooks.

Prose only: the guide states no result of the cohort (the chapters do, from results.json);
its only numbers are the run sheet's minutes and the exercise counts.
"""

from __future__ import annotations

import html
import re

WORKBOOKS_DIRNAME = "workbooks"  # in the output folder of a class build: student/ and with_answers/
GUIDE_NAME = "teacher_guide.html"

OBJECTIVES = (
    "Tell a change within one group (before and after) from a treatment effect (a comparison with a control).",
    "Read a paired t-test: mean change, its confidence interval, p, and the standardised effect d_z; say when a "
    "rank test (Hodges-Lehmann) or the sign test is the safer choice.",
    "Explain regression to the mean, predict its size (Barnett's formula) before seeing data, and recognise it in "
    "strata chosen on the baseline value.",
    "Compare groups directly (Welch's t-test, ANCOVA) instead of comparing their p-values, and say why ANCOVA is "
    "the analysis of choice for a trial with a baseline.",
    "Read multiplicity adjustment (Holm) as a statement about a family of tests, not about one subgroup.",
    "Read a mixed model for repeated measurements (REML, random intercept and slope) and an MMRM of a trial.",
)

# (minutes from, minutes to, what, chapter topic or None)
RUN_SHEET = (
    (0, 10, "The question and the paper's claims: the index page's key findings. Ask the class what would convince "
            "them that the infusion lowered HbA1c.", None),
    (10, 25, "Who is in the study and how the strata are cut; then the strata compared directly: is \"particularly "
             "in severe diabetes\" a difference between strata?", "severity"),
    (25, 45, "The paired t-test, its interval, d_z and the rank tests; predict-first: the simulated trial where both "
             "arms fall \"significantly\".", "change"),
    (45, 60, "Regression to the mean: predict the fall of untreated patients selected above the cut-off, run the "
             "simulation, compare with Barnett's formula; Oldham's plot.", "trust"),
    (60, 70, "Break.", None),
    (70, 85, "Back to the class build's two arms: the MSC arm against the SIMULATED control arm, ANCOVA against the "
             "change score; why the control arm also falls.", "change"),
    (85, 95, "Dose: an adjusted comparison, and why a sign flip inside a wide interval is not a finding.", "dose"),
    (95, 107, "Trajectories: the mixed model (REML), what its slope does and does not answer; the MMRM of a trial.",
     "trajectory"),
    (107, 113, "Reproduction: the paper's figures against the MSC arm alone (no paper describes the simulated "
               "arm); what agreeing with published figures does and does not show.", "published"),
    (113, 120, "Wrap-up: revisit the claims of the first 10 minutes; one exit question per learning objective.", None),
)

KEY_POINTS = {
    "cohort": ("Know who was analysed and who was excluded, and why, before reading any result.",
               "A synthetic or simulated cohort shows the method, never evidence about patients.",
               "Table 1 describes; it tests nothing."),
    "severity": ("Strata cut on the baseline are selected on a high first value: they regress to the mean.",
                 "A claim about a subgroup needs a direct comparison between subgroups, not two p-values.",
                 "Moving the cut-off moves patients, not biology: check that a stratum result is stable."),
    "change": ("A paired test answers \"did HbA1c change in this group?\", not \"did the treatment work?\".",
               "The interval says how large the change may be; p alone does not.",
               "With a control arm, ANCOVA (follow-up on baseline and arm) beats the change score (Vickers & Altman)."),
    "dose": ("Dose groups are not randomised: a difference between them may be confounded.",
             "Adjusting for baseline changes the question to \"at equal baseline\".",
             "Two intervals that both include zero show no direction, whatever the signs of the estimates."),
    "trust": ("Regression to the mean alone produces a fall in patients selected on a high value.",
              "Its size is predictable: larger with more measurement noise and a more extreme selection.",
              "Holm's adjustment controls the chance of any false positive in the family of tests listed."),
    "published": ("Reproducing a paper's figures checks the arithmetic, not the design.",
                  "Figures a reconstruction was built to match cannot fail to agree.",
                  "Disagreement points to a reporting or analysis difference worth asking about."),
    "trajectory": ("Repeated measurements of one patient are related: a mixed model uses all of them.",
                   "A slope fitted from the baseline mixes the early drop with later drift.",
                   "In a trial, the MMRM compares arms at each visit without imputing missing visits."),
}

GLOSSARY = (
    ("d_z", "The mean change divided by the SD of the changes: a paired design's standardised effect size. It is "
            "not Cohen's d of two groups, and it grows as the changes become more alike."),
    ("Hodges-Lehmann", "The median of all pairwise averages of the changes (Walsh averages): a robust estimate of "
                       "the typical shift, with an interval from the signed-rank test. It assumes the changes are "
                       "symmetric about it."),
    ("Oldham", "Oldham's method: plot or correlate the change with the mean of baseline and follow-up, not with "
               "the baseline alone, which would show a negative slope from regression to the mean alone."),
    ("Holm", "Holm's step-down adjustment of several p-values: sort them, compare the smallest with alpha/k, the "
             "next with alpha/(k-1), and so on; it controls the chance of at least one false positive among the "
             "tests listed."),
    ("REML", "Restricted maximum likelihood: how mixed models estimate their variances, allowing for the fixed "
             "effects estimated from the same data (less biased than plain maximum likelihood in small samples)."),
    ("MMRM", "Mixed model for repeated measures: follow-up HbA1c at each scheduled visit on baseline, arm, visit "
             "and arm by visit, with an unstructured correlation between visits; the usual primary analysis of a "
             "trial with visits."),
    ("ANCOVA", "Analysis of covariance: follow-up regressed on baseline and arm; the arm's coefficient is the "
               "difference between arms at equal baseline."),
    ("Regression to the mean", "Patients selected for an extreme first value are, on average, less extreme at the "
                               "next measurement even when nothing changes."),
)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


_EXERCISE = re.compile(r"^# \*\*(\d+\.\d+)(?: \(([^)]*)\))?\.?\*\*\s*(.*?)(?=\n#\s*\n|\n(?!#)|\Z)", re.M | re.S)


def list_exercises(source: str) -> list[tuple[str, str, str]]:
    """A chapter's exercises from its text notebook: (number, kind, first sentence), e.g.
    ("3.1", "predict, then run", "The sign test uses only whether each change is a fall or a
    rise."); kind '' for a question answered in words."""
    out = []
    for number, kind, text in _EXERCISE.findall(source):
        words = " ".join(line.lstrip("#").strip() for line in text.splitlines())
        first = re.split(r"(?<=[.?!])\s+(?=[A-Z`*])", words, maxsplit=1)[0]
        out.append((number, kind or "", first))
    return out


def guide_body(chapters, exercises: dict[str, list[tuple[str, str, str]]] | None = None) -> str:
    """The guide's HTML body (no <html> shell): ``chapters`` are the build's ChapterInfo (name,
    title, topic, html_name); ``exercises`` {chapter name: ``list_exercises``} when known."""
    by_topic = {c.topic: c for c in chapters}
    parts = ["<h1>Teacher's guide: a 2-hour class</h1>",
             "<p>This class build analyses the reconstructed MSC cohort (synthetic patients) against a "
             "<strong>simulated</strong> control arm of invented, untreated patients. Every between-arm result "
             "shows the method, not evidence about MSC. Teach from the teaching pages (code and exercises); hand "
             "out the student workbooks, keep the answer workbooks.</p>",
             "<h2 id=\"objectives\">Learning objectives</h2><p>By the end of the class a participant can:</p><ol>",
             *(f"<li>{_e(o)}</li>" for o in OBJECTIVES), "</ol>",
             "<h2 id=\"run-sheet\">Run sheet (120 minutes)</h2>",
             "<table class=\"msc-table\"><thead><tr><th>minutes</th><th>what</th><th>page</th></tr></thead><tbody>"]
    for start, end, what, topic in RUN_SHEET:
        c = by_topic.get(topic)
        if c is not None:
            page = f"<a href=\"{_e(c.html_name)}\">{_e(c.title)}</a>"
        elif start == 0:
            page = "<a href=\"../index.html\">index</a>"
        else:  # a chapter this build leaves out (the index says why)
            page = ("not in this build (it does not apply to this cohort): <code>mscreport build</code> of the "
                    "bundled cohort has it") if topic else ""
        parts.append(f"<tr><td>{start}\u2013{end}</td><td>{_e(what)}</td><td>{page}</td></tr>")
    parts.append("</tbody></table>")
    parts.append("<h2 id=\"chapters\">Chapters: key points and workbooks</h2>")
    for c in chapters:
        points = KEY_POINTS.get(c.topic, ())
        listed = (exercises or {}).get(c.name) or []
        parts.append(f"<h3>{_e(c.title)}</h3><p><a href=\"{_e(c.html_name)}\">Teaching page</a> · "
                     f"<a href=\"../{WORKBOOKS_DIRNAME}/student/{_e(c.name)}.ipynb\">student workbook</a> · "
                     f"<a href=\"../{WORKBOOKS_DIRNAME}/with_answers/{_e(c.name)}.ipynb\">answer workbook</a></p>")
        if points:
            parts.append("<ul>" + "".join(f"<li>{_e(p)}</li>" for p in points) + "</ul>")
        if listed:
            parts.append("<p>Exercises:</p><ol class=\"msc-exercises\">" + "".join(
                f"<li><strong>{_e(number)}</strong>{f' ({_e(kind)})' if kind else ''}: {_e(first)}</li>"
                for number, kind, first in listed) + "</ol>")
    parts.append("<h2 id=\"glossary\">Glossary</h2><dl>")
    parts += [f"<dt><strong>{_e(term)}</strong></dt><dd>{_e(text)}</dd>" for term, text in GLOSSARY]
    parts.append("</dl>")
    parts.append("<p>Workbooks: open them in Jupyter with the kernel <code>mscreport</code> (<code>make workbooks</code> "
                 "installs it); they read the class cohort. <code>mscreport workbooks --output DIR</code> writes the "
                 "same notebooks for the bundled cohort.</p>")
    return "\n".join(parts)


def guide_page(chapters, css: str, exercises: dict[str, list[tuple[str, str, str]]] | None = None) -> str:
    """The whole self-contained page (the report's stylesheet inlined)."""
    nav = ("<nav class=\"msc-nav\" aria-label=\"Chapters\"><a href=\"../index.html\">\u2302 Index</a>"
           + "".join(f" · <a href=\"{_e(c.html_name)}\">{_e(c.title)}</a>" for c in chapters) + "</nav>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
            f"<title>Teacher's guide</title><style>{css}</style></head><body class=\"msc-page\">"
            f"{nav}\n{guide_body(chapters, exercises)}\n</body></html>\n")
