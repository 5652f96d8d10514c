"""The basis of each number a reconstruction's report shows: pinned by a published figure,
an assumption of the reconstruction, or derived from both.

The entries live in ``data/published_results.yaml`` (``basis``), one per results key (or
``key.part``) that a table row or a generated sentence shows. For a reconstruction (a
synthetic cohort: the bundled one or ``mscreport synth`` output) every table of the chapters
and the index gets a ``basis`` column, one mark per row, and every generated sentence a
bracketed mark; for any other cohort nothing is marked (``Chapter.table``/``Chapter.say``
and the index call ``mark_frame``/``mark_sentence`` only when ``cohort.reconstruction``).

A mark reads ``P: n, mean change · D: CI, t · A: SDs``: P = pinned by a published figure,
D = derived from pinned and assumed inputs, A = an assumption of the reconstruction.
"""

from __future__ import annotations

import functools
from mscreport.analysis.published import is_reconstruction, load_published, severe_splits
from mscreport.inputs.params import DEFAULTS

CLASSES = (("pinned", "P"), ("derived", "D"), ("assumed", "A"))
COLUMN = "basis"
LEGEND = ("**Reconstructed cohort: every number is marked.** P = pinned by a figure the paper prints (it "
          "describes the paper's patients); A = an assumption of the reconstruction (it describes no one); "
          "D = derived from pinned and assumed inputs (it holds only under the assumptions). Each table's "
          "`basis` column marks its rows, a bracket after a sentence marks the sentence; chapter 6 lists the "
          "assumptions.")


@functools.cache
def basis_entries() -> dict[str, dict]:
    """key -> basis entry (quantity, pinned, derived, assumed, why), from the paper's
    published-figures file, with ``{severe_sizes}`` replaced by the sizes that fit."""
    fit = [s["n_severe"] for s in severe_splits() if s["prints_as_published"]]  # derived_bounds' severe_n_min/max
    sizes = f"{min(fit)} to {max(fit)}"
    out = {}
    for e in load_published().get("basis", []):
        entry = {k: (v.replace("{severe_sizes}", sizes) if isinstance(v, str) else v) for k, v in e.items()}
        for cls, _ in CLASSES:
            entry[cls] = [str(x).replace("{severe_sizes}", sizes) for x in e.get(cls) or []]
        out[e["key"]] = entry
    return out


def mark(key: str) -> str:
    """The mark of one basis key, e.g. ``P: n, mean change · D: CI · A: SDs`` (KeyError for
    a key the basis list lacks: every marked row names a listed key)."""
    entry = basis_entries()[key]
    return " · ".join(f"{letter}: {', '.join(entry[cls])}" for cls, letter in CLASSES if entry[cls])


def mark_frame(frame, keys):
    """``frame`` with a ``basis`` column: ``keys`` is one basis key for every row, or a list
    with one key per row."""
    keys = [keys] * len(frame) if isinstance(keys, str) else list(keys)
    if len(keys) != len(frame):
        raise ValueError(f"{len(keys)} basis keys for {len(frame)} rows")
    out = frame.copy()
    out[COLUMN] = [mark(k) for k in keys]
    return out


def mark_sentence(markdown: str, key: str) -> str:
    """A generated sentence (Markdown) with its mark in brackets after it; an empty text stays empty."""
    return f"{markdown} *[{mark(key)}]*" if markdown.strip() else markdown


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
                          "derived (D)": ", ".join(e["derived"]) or "none",
                          "assumed (A)": ", ".join(e["assumed"]) or "none", "why": e["why"]}
                         for e in basis_entries().values()])


def show_basis(ch) -> None:
    """For a reconstruction, every basis entry (what is pinned, derived, assumed); for any
    other cohort, that its numbers are its own."""
    if not is_reconstruction(ch.cohort):
        ch.say("This cohort is not a reconstruction: its numbers are its own, and none is marked.")
        return
    ch.table(format_basis(), "The reconstructed cohort's numbers: pinned by a published figure, derived, or assumed")
