"""Formatting for display only: results stay numeric until here.

HbA1c levels with 2 decimals in % and whole mmol/mol, as laboratories report them
("7.49 % (58 mmol/mol)"); differences in % points and mmol/mol to 1 decimal; p-values as
"p < 0.001" or to 3 significant digits, intervals as "[low, high]". Every string that
reaches HTML is escaped.
"""

from __future__ import annotations

import html
import math
import numbers
import re

from mscreport.core.disclosure import MIN_VALUES, SUPPRESSED, Policy, current_policy, rounded_count, shown_count, too_few  # noqa: F401 (re-exported)
from mscreport.core.labels import readable
from mscreport.core.units import ngsp_difference_to_ifcc, ngsp_to_ifcc

NA = "n/a"


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def fmt_num(x, decimals: int = 2) -> str:
    """A number with fixed decimals; n/a for None."""
    if not _ok(x):
        return NA
    return f"{x:.{decimals}f}".replace("-", "\u2212") if x < 0 else f"{x:.{decimals}f}"


def fmt_hba1c(pct) -> str:
    """An HbA1c level (NGSP %) in both units: '7.49 % (58 mmol/mol)' (whole mmol/mol)."""
    if not _ok(pct):
        return NA
    return f"{fmt_num(pct)} % ({fmt_num(ngsp_to_ifcc(pct), 0)} mmol/mol)"


def fmt_change(pct_points) -> str:
    """An HbA1c difference in both units, sign kept: '−0.79 % points (−8.6 mmol/mol)'
    ('% points', not '%': an absolute difference, not a relative one; mmol/mol by the slope)."""
    if not _ok(pct_points):
        return NA
    return f"{fmt_num(pct_points)} % points ({fmt_num(ngsp_difference_to_ifcc(pct_points), 1)} mmol/mol)"


def fmt_sd(pct_points) -> str:
    """An SD of HbA1c (or of its change), unit stated: '1.04 % points (11.3 mmol/mol)'."""
    return fmt_change(pct_points)


def fmt_percent(proportion, decimals: int = 1) -> str:
    """A proportion as a percentage of patients: 0.656 -> '65.6 %'."""
    return NA if not _ok(proportion) else f"{fmt_num(100 * proportion, decimals)} %"


def fmt_percent_ci(lo, hi, decimals: int = 1) -> str:
    """An interval of a proportion in percent: '[53.0, 76.3] %'."""
    if not (_ok(lo) and _ok(hi)):
        return NA
    return f"[{fmt_num(100 * lo, decimals)}, {fmt_num(100 * hi, decimals)}] %"


# the disclosure rule lives in disclosure.py; these names are kept for the formatters' callers
MIN_SHOWN_N = MIN_VALUES
too_small = too_few


def min_shown(policy: Policy | None = None) -> int:
    """The fewest patients a shown number comes from under the rule in force (3; strict 8)."""
    return (policy or current_policy()).min_values


def fmt_p(p) -> str:
    """'p < 0.001' or 'p = 0.0122', 'p = 0.300' (3 significant digits, trailing zeros kept)."""
    if not _ok(p):
        return "p not computed"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:#.3g}"


def fmt_pvalue(p) -> str:
    """As fmt_p without the 'p = ' (for table cells)."""
    if not _ok(p):
        return NA
    return "< 0.001" if p < 0.001 else f"{p:#.3g}"


def fmt_ci(lo, hi, decimals: int = 2) -> str:
    """'[low, high]'."""
    if not (_ok(lo) and _ok(hi)):
        return NA
    return f"[{fmt_num(lo, decimals)}, {fmt_num(hi, decimals)}]"


def fmt_int(x, policy: Policy | None = None) -> str:
    """A whole number (a count of patients, rows, degrees of freedom) as pages show counts:
    thousands separated; under the strict disclosure rule 1 to 7 as "≤ 7" and others rounded
    to the nearest 5 (``disclosure.shown_count``); n/a for None."""
    return NA if not _ok(x) else shown_count(int(x), policy)


def fmt_share(n, total, percent=None, policy: Policy | None = None) -> str:
    """``n`` of ``total`` as a percentage ('78.7 %'; ``percent`` when given, else computed); under
    the strict rule from the rounded counts (a share of exact counts would give them back),
    hidden with a count of 1 to 7."""
    policy = policy or current_policy()
    if not policy.strict:
        return fmt_percent(percent / 100 if percent is not None else (n / total if total else None))
    if not n:
        return fmt_percent(0.0)
    if policy.too_few(n) or not total:
        return "suppressed"
    return fmt_percent(rounded_count(n) / rounded_count(total))


def fmt_count(n, policy: Policy | None = None) -> str:
    """A count of patients (``fmt_int``)."""
    return fmt_int(n, policy)


def fmt_cells(x) -> str:
    """A dose: '1.5e9 cells' style without the word."""
    if not _ok(x):
        return NA
    exp = int(math.floor(math.log10(abs(x)))) if x else 0
    return f"{x / 10**exp:.3g}e{exp}"


def fmt_value(v) -> str:
    """Any reproduced value for a table cell: small numbers to 3 significant digits."""
    if v is None:
        return NA
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e6:
        return fmt_cells(v)
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 0.01 else f"{v:.4g}"
    return str(v)


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def html_table(frame, caption: str = "", number: int | None = None, index: bool = False) -> str:
    """A DataFrame of already formatted cells as an escaped HTML table with a numbered caption."""
    cap = ""
    if caption:
        label = f"Table {number}. " if number is not None else ""
        cap = f"<caption>{escape(label)}{escape(caption)}</caption>"
    strict = current_policy().strict

    def cell(v) -> str:  # codes such as bone_marrow shown as words (labels.LABELS)
        if hasattr(v, "__html__"):  # already HTML: a number with its basis mark (analysis.basis.mark_frame)
            return v.__html__()
        if strict and isinstance(v, numbers.Integral) and not isinstance(v, bool):
            v = shown_count(int(v))  # a whole number left in a table is a count: strict pages round it
        return escape(readable(v))

    head = "".join(f"<th scope=\"col\">{cell(c)}</th>" for c in ([frame.index.name or ""] if index else []) + list(frame.columns))
    rows = []
    for i, (idx, row) in enumerate(frame.iterrows()):
        row = [frame.iat[i, j] if hasattr(frame.iat[i, j], "__html__") else v  # iterrows makes Markup a plain str
               for j, v in enumerate(row)]
        cells = (f"<th scope=\"row\">{cell(idx)}</th>" if index else "") + "".join(f"<td>{cell(v)}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table class=\"msc-table\">{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def md_name(name: str) -> str:
    """An arm name (text from the data) safe inside Markdown prose: every character other than a
    letter, a digit or a space as a character reference (``&#58;`` for ``:``), so a name can
    neither inject HTML, nor format text, nor become a link (no ``http://``, ``www.`` or
    ``a@b`` is left for an autolink to find); the page shows the name as written."""
    return re.sub(r"[^\w ]|_", lambda m: f"&#{ord(m.group(0))};", name)
