"""The basis of each number a reconstruction's report shows: printed by the paper, implied by
printed figures alone, derived with the reconstruction's assumptions, or assumed.

The entries live in ``data/published_results.yaml`` (``basis``), one per results key (or
``key.part``) that a table row or a generated sentence shows. For a reconstruction (a
synthetic cohort: the bundled one or ``mscreport synth`` output) every number of a table gets a
superscript letter (its class, the reason in the ``title`` attribute: shown on hover) and every
generated sentence a superscript with the letters of its numbers; one legend per page explains
the letters. For any other cohort nothing is marked (``Chapter.table``/``Chapter.say`` and the
index call ``mark_frame``/``mark_sentence`` only when ``cohort.reconstruction``).

The letters: P = printed by the paper at the precision shown; I = implied by printed figures
alone (computed from them, or pinned by them only to a range); D = derived with the
reconstruction's assumptions; A = an assumption of the reconstruction.

Marks follow the build's parameters: when a parameter that defines the paper's analysis
(``moderate_min``, ``severe_above``, ``dose_cutoff``, ``inclusion_min``) differs from the
paper's, the numbers that depend on it were not printed, and what would be P or I is D
(``entry_at``).
"""

from __future__ import annotations

import functools
import html
import math
import re

from markupsafe import Markup

from mscreport.analysis.published import is_reconstruction, load_published, overall_change_bounds, severe_splits
from mscreport.display.fmt import escape, readable
from mscreport.inputs.params import DEFAULTS

CLASSES = (("pinned", "P"), ("implied", "I"), ("derived", "D"), ("assumed", "A"))
MEANING = {"P": "printed by the paper at the precision shown",
           "I": "implied by the paper's printed figures alone (computed from them, or pinned by them only to a range)",
           "D": "derived with the reconstruction's assumptions (assumed sizes or SDs, invented pairings): "
                "it holds only under them",
           "A": "an assumption of the reconstruction: it describes no one"}
LABEL_COLUMNS = ("group", "test", "stratum", "variable", "numbers", "window", "arm", "source", "figure")  # names a row, shows no result
CONSERVATIVE = ("D", "A", "I", "P")  # a number whose quantity the entry does not name takes its weakest class
COLUMN = "basis"  # the prose column of earlier versions: no table has it now (tests check its absence)
MARK_CLASS = "msc-mark"
MARK_GAP = "\u202f"  # a narrow no-break space before a mark: "61 P" in copied or printed text, never "61P", never a line break
LEGEND = ("**Reconstructed cohort: every number is marked** with a small letter (hover over it for the reason): "
          "**P** = printed by the paper at the precision shown (it describes the paper's patients); "
          "**I** = implied by the paper's printed figures alone (computed from them, or pinned by them only to a "
          "range); **D** = derived with the reconstruction's assumptions (assumed sizes or SDs, invented pairings "
          "of baseline, follow-up, dose and time: it holds only under them); **A** = an assumption of the "
          "reconstruction (it describes no one). A parameter changed from the paper's turns P and I into D. "
          "Chapter 6 lists every entry.")
# the parameters that define the paper's analysis, and the basis keys (prefixes) that depend on each
PAPER_PARAMETERS = {"moderate_min": ("",),  # the inclusion rule of the reconstruction: every number
                    "inclusion_min": ("",),
                    "severe_above": ("strata", "paired", "holm", "rtm", "sample_size", "threshold_sensitivity.at_cutoff"),
                    "dose_cutoff": ("dose", "holm", "adjusted_dose")}
PARAMETER_FREE = ("reconstruction.", "published_comparison", "assumed")  # the paper's own figures and what they imply
PAPER_INCLUSION = DEFAULTS["moderate_min"]  # the paper's inclusion HbA1c (>= 6.2 %), the lowest moderate baseline


def overall_change_range(published: dict | None = None) -> tuple[float, float]:
    """The overall mean change (% points) the printed means allow (``published.overall_change_bounds``,
    in results.json as ``reconstruction.overall_change_low``/``_high``)."""
    return overall_change_bounds(published)


def _range_text(lo: float, hi: float) -> str:
    """A change range with the minus sign, at 3 decimals (the half-units of the printed means)."""
    show = lambda v: f"{v:.3f}".replace("-", "\u2212")
    return f"{show(hi)} to {show(lo)}"


@functools.cache
def basis_entries() -> dict[str, dict]:
    """key -> basis entry (quantity, pinned, implied, derived, assumed, why), from the paper's
    published-figures file, with ``{severe_sizes}`` replaced by the sizes that fit and
    ``{overall_change_range}`` by the range the printed means allow."""
    fit = [s["n_severe"] for s in severe_splits() if s["prints_as_published"]]  # derived_bounds' severe_n_min/max
    subs = {"{severe_sizes}": f"{min(fit)} to {max(fit)}", "{overall_change_range}": _range_text(*overall_change_range())}

    def fill(text: str) -> str:
        for k, v in subs.items():
            text = text.replace(k, v)
        return text

    out = {}
    for e in load_published().get("basis", []):
        entry = {k: (fill(v) if isinstance(v, str) else v) for k, v in e.items()}
        for cls, _ in CLASSES:
            entry[cls] = [fill(str(x)) for x in e.get(cls) or []]
        out[e["key"]] = entry
    return out


def changed_parameters(params: dict | None) -> dict[str, object]:
    """The parameters of the build that define the paper's analysis and differ from the paper's
    (name -> the build's value); empty for None (the paper's parameters)."""
    if not params:
        return {}
    out = {}
    for name in ("moderate_min", "severe_above", "dose_cutoff"):
        if name in params and float(params[name]) != float(DEFAULTS[name]):
            out[name] = params[name]
    inc = params.get("inclusion_min", "auto")
    if str(inc) != "auto":
        try:
            differs = float(inc) != float(PAPER_INCLUSION)
        except (TypeError, ValueError):  # "none": nobody excluded for a low baseline
            differs = True
        if differs:
            out["inclusion_min"] = inc
    return out


def entry_at(key: str, params: dict | None = None) -> dict:
    """The basis entry of ``key`` for a build with ``params``: when a parameter the key's numbers
    depend on differs from the paper's, its P and I quantities become D (the paper printed no
    number at that parameter). KeyError for a key the list lacks."""
    entry = basis_entries()[key]
    changed = {n: v for n, v in changed_parameters(params).items()
               if any(key.startswith(prefix) for prefix in PAPER_PARAMETERS[n])
               and not key.startswith(PARAMETER_FREE)}
    if not changed:
        return entry
    why = ", ".join(f"{n} = {v} here" for n, v in changed.items())
    moved = [f"{q} (not printed: {why})" for q in entry["pinned"] + entry["implied"]]
    return {**entry, "pinned": [], "implied": [], "derived": moved + entry["derived"]}


def mark(key: str, params: dict | None = None) -> str:
    """The mark of one basis key as text, e.g. ``P: n · I: mean change · D: CI · A: SDs``
    (KeyError for a key the basis list lacks: every marked row names a listed key)."""
    entry = entry_at(key, params)
    return " · ".join(f"{letter}: {', '.join(entry[cls])}" for cls, letter in CLASSES if entry[cls])


def letters(key: str, params: dict | None = None) -> str:
    """The letters of the classes an entry has, in the order P, I, D, A (e.g. ``"PDA"``)."""
    entry = entry_at(key, params)
    return "".join(letter for cls, letter in CLASSES if entry[cls])


def sup(shown: str, title: str) -> str:
    """The HTML of one mark: a superscript ``shown`` with ``title`` as its hover text."""
    cls = " ".join([MARK_CLASS] + [f"{MARK_CLASS}-{c}" for c in shown if c.isalpha()])
    return f"<sup class=\"{cls}\" title=\"{html.escape(title, quote=True)}\">{html.escape(shown)}</sup>"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", re.sub(r"\([^)]*\)", " ", text.lower()))


def cell_letter(entry: dict, column: str) -> tuple[str, str]:
    """The class letter of a number in ``column`` and the quantity it is read as: the entry's
    quantity named by the column (its text, else all its words, longest first), else the
    entry's weakest class (D, A, I, P: a mark never claims more than the entry)."""
    col = str(column).lower()
    col_words = set(re.findall(r"[a-z0-9_]+", col))
    terms = [(q, letter) for cls, letter in CLASSES for q in entry[cls]]
    by_text = [(len(_words(q)), q, letter) for q, letter in terms if " ".join(_words(q)) and
               re.search(r"(?<![a-z0-9_])" + re.escape(" ".join(_words(q))) + r"(?![a-z0-9_])", col)]
    by_words = [(len(_words(q)), q, letter) for q, letter in terms if _words(q) and set(_words(q)) <= col_words]
    for found in (by_text, by_words):
        if found:
            _, q, letter = max(found, key=lambda t: t[0])
            if "(sd)" in col:  # a "mean (SD)" cell shows an SD too: the weaker class of the two
                sds = [(t, lt) for t, lt in terms if {"sd", "sds"} & set(_words(t))]
                weaker = [(t, lt) for t, lt in sds if CONSERVATIVE.index(lt) < CONSERVATIVE.index(letter)]
                if weaker:
                    return weaker[0][1], f"{q}; {weaker[0][0]}"
            return letter, q
    present = {letter for cls, letter in CLASSES if entry[cls]}
    letter = next(c for c in CONSERVATIVE if c in present)
    cls = dict((b, a) for a, b in CLASSES)[letter]
    return letter, ", ".join(entry[cls])


def _marked_cell(value, entry: dict, column: str, full: str):
    """A formatted cell with the mark of its class after it (Markup), or the cell as it is when
    it shows no number."""
    text = readable(value) if not hasattr(value, "__html__") else value
    if not re.search(r"\d", str(text)):
        return value
    letter, quantity = cell_letter(entry, column)
    title = f"{letter} = {MEANING[letter]}: {quantity}. Row: {full}"
    body = text.__html__() if hasattr(text, "__html__") else escape(text)
    return Markup(f"{body}{MARK_GAP}{sup(letter, title)}")


def mark_frame(frame, keys, params: dict | None = None):
    """``frame`` with every cell that shows a number marked by its letter (``keys``: one basis
    key for every row, or one key per row; ``params``: the build's, so that marks follow them);
    a first column that names the rows (``LABEL_COLUMNS``) is left unmarked."""
    keys = [keys] * len(frame) if isinstance(keys, str) else list(keys)
    if len(keys) != len(frame):
        raise ValueError(f"{len(keys)} basis keys for {len(frame)} rows")
    out = frame.copy().astype(object)
    for i, key in enumerate(keys):
        entry, full = entry_at(key, params), mark(key, params)
        for j, column in enumerate(out.columns):
            if not (j == 0 and str(column).lower() in LABEL_COLUMNS):  # "high dose (≥ 1e9 cells)" is a label
                out.iat[i, j] = _marked_cell(out.iat[i, j], entry, column, full)
    return out


def sentence_sup(key: str, params: dict | None = None) -> str:
    """The HTML mark of a sentence: the letters of its entry's classes, the reasons on hover."""
    return MARK_GAP + sup(letters(key, params), mark(key, params))


def mark_sentence(markdown: str, key, params: dict | None = None) -> str:
    """Generated prose (Markdown) with a superscript of its classes' letters after each paragraph
    that shows a number, the reasons in its hover text; ``key``: one basis key for every
    paragraph, or a list with one key per paragraph (as ``paired_keys``). An empty text stays empty."""
    if not markdown.strip():
        return markdown
    paragraphs = re.split(r"\n\s*\n", markdown.strip())
    keys = [key] * len(paragraphs) if isinstance(key, str) else list(key)
    if len(keys) != len(paragraphs):
        keys = [keys[0]] * len(paragraphs)  # a paragraph the keys did not foresee: the first key's mark
    out = [f"{p.rstrip()}{sentence_sup(k, params)}" if re.search(r"\d", p) else p for p, k in zip(paragraphs, keys)]
    if not any(re.search(r"\d", p) for p in paragraphs):  # prose without a number: one mark at its end
        out[-1] = f"{out[-1].rstrip()}{sentence_sup(keys[-1], params)}"
    return "\n\n".join(out)


def paired_keys(strata) -> list[str]:
    """The keys of ``change.say_paired``'s paragraphs: the overall one, then one per stratum."""
    entries = basis_entries()
    return ["overall"] + [f"strata.{name}" if f"strata.{name}" in entries else "paired" for name in strata]


# ------------------------------------------------------------------ row keys of the tables
def table_one_keys(frame) -> list[str]:
    """Basis key of each row of Table 1 (``describe.format_table_one``), by its variable."""
    prefixes = (("patients", "table1.patients"), ("baseline HbA1c", "table1.hba1c"), ("dose", "table1.dose"),
                ("followup", "table1.followup"), ("serious_adverse_event", "table1.sae"))
    return [next((k for p, k in prefixes if str(label).startswith(p)), "table1.other") for label in frame.index]


def sensitivity_keys(frame, severe_above: float) -> list[str]:
    """Chapter 2's threshold rows: the row of the paper's cut-off (8 %, when it is the
    parameter's) carries the printed stratum falls; the others are derived."""
    paper = f"{DEFAULTS['severe_above']:g}"
    at = f"{severe_above:g}" if severe_above == DEFAULTS["severe_above"] else None
    return ["threshold_sensitivity.at_cutoff" if str(v) == paper and at else "threshold_sensitivity"
            for v in frame["severe_above"]]


def sample_size_keys(rows: list[dict]) -> list[str]:
    """The trial-size rows (``trust.sample_size_block``) by the SD they use."""
    def key(r):
        sd_from = str(r.get("sd_from", ""))
        if sd_from == "this cohort":
            return "sample_size.this_cohort"
        return "sample_size.paper_bound" if "paper" in sd_from else "sample_size.typical"
    return [key(r) for r in rows]


def holm_keys(rows: list[dict]) -> list[str]:
    """The Holm family's rows: the severe paired test's p is printed."""
    return ["holm.severe" if str(r.get("test", "")).startswith("severe") else "holm" for r in rows]


def headline_keys() -> list[str]:
    """The index's key findings rows (``render.headline_rows``)."""
    return ["overall", "strata.moderate", "strata.severe", "dose.groups", "dose.groups"]


def format_basis():
    """Chapter 6's table of every basis entry: what is pinned, derived and assumed, and why."""
    import pandas as pd

    return pd.DataFrame([{"numbers": e["quantity"], "pinned (P)": ", ".join(e["pinned"]) or "none",
                          "implied (I)": ", ".join(e["implied"]) or "none",
                          "derived (D)": ", ".join(e["derived"]) or "none",
                          "assumed (A)": ", ".join(e["assumed"]) or "none", "why": e["why"]}
                         for e in basis_entries().values()])


def say_arm_basis(compared_on: dict | None) -> str:
    """For a cohort whose published figures describe one synthetic arm (``published_arm``, the
    class build's MSC arm): where that arm's pinned, derived and assumed numbers are listed
    ('' otherwise)."""
    if not compared_on or not compared_on.get("synthetic"):
        return ""
    return (f" Its {compared_on['arm']} arm, which the published figures were compared with, is synthetic; for the "
            "paper's reconstruction, this chapter of the report on the bundled cohort (mscreport build) lists which "
            "numbers the paper pins down and which are derived or assumed.")


def show_basis(ch) -> None:
    """For a reconstruction, every basis entry (what is printed, implied, derived, assumed); for any
    other cohort, that its numbers are its own."""
    if not is_reconstruction(ch.cohort):
        from mscreport.analysis.published_arm import compared_on  # lazy: the build process imports this module, never the analyses

        ch.say("This cohort is not a reconstruction: its numbers are its own, and none is marked."
               + say_arm_basis(compared_on(ch.cohort)))
        return
    ch.table(format_basis(), "The reconstructed cohort's numbers: pinned by a published figure, implied, derived, or assumed")
