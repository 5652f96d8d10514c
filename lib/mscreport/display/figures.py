"""Figures: each function returns a matplotlib Figure; ``report.Chapter.figure`` embeds it
(``figure_data_uri``: a deterministic SVG, text as text) with a numbered caption and alt text. Above ``aggregate_above`` patients, figures
that would draw one mark per patient draw aggregated forms instead (hexagonal bins, quantile
bands, 500 quantiles, box plots without points), so a figure costs the same at 1e6 as at 1e4.

The look is seaborn's "whitegrid" theme in the "notebook" context, set as plain matplotlib
rcParams; seaborn itself (with scipy.stats behind it, ~0.5 s to import) is imported only by
the figures that use it (the grouped histogram and box plots), so the other chapters start faster.

Disclosure: every figure function takes a keyword ``policy`` (``disclosure.Policy``; default the
chapter's mode) and runs under it (``disclosure.with_policy``). No histogram bar holds fewer than
``policy.min_bar`` patients (``binning``); under the strict rule figures are binned (hexagons of at
least 8 patients, medians with bands, deciles, box whiskers at the 10th and 90th percentiles),
never a patient's own point or line. What the rule changed is appended to the caption
(``add_caption_note``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from mscreport.core.disclosure import (SUPPRESSED_SECONDARY, Policy, current_policy, drawable_rows,  # noqa: E402
                                       hidden_by_column, hidden_parts, hidden_rows, hidden_strata, order_shown,
                                       shown_count, suppressed, too_few, with_policy)
from mscreport.display.binning import bars_from_counts, bars_note, safe_bars  # noqa: E402
from mscreport.core.groups import shown_strata  # noqa: E402
from mscreport.core.labels import readable  # noqa: E402
from mscreport.core.units import ifcc_to_ngsp, ngsp_to_ifcc  # noqa: E402
from mscreport.methods.ols import fit_ols  # noqa: E402

# what seaborn 0.13's set_theme(style="whitegrid", context="notebook") sets
_DEEP = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]
STYLE = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 12.0, "axes.linewidth": 1.25, "axes.prop_cycle": matplotlib.cycler(color=_DEEP),
    "axes.titlesize": 12.0, "font.size": 12.0,
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "grid.color": ".8", "grid.linewidth": 1.0, "legend.fontsize": 11.0, "legend.title_fontsize": 12.0,
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True, "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.labelsize": 11.0, "xtick.major.size": 6.0,
    "xtick.major.width": 1.25, "xtick.minor.size": 4.0, "xtick.minor.width": 1.0,
    "ytick.left": False, "ytick.color": ".15", "ytick.labelsize": 11.0, "ytick.major.size": 6.0,
    "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
}
# Figures are SVG with text kept as text (crisp at any zoom, readable on a phone, selectable,
# printed sharp) and a fixed hash salt, so the same figure gives the same bytes every build.
SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "mscreport", "svg.image_inline": True}
# Text from the data (arm names above all) reaches titles, legends and tick labels; matplotlib
# would typeset any text with two dollar signs as math (``$\undefinedcmd$`` stops the figure).
# No figure of the report uses math text, so none is parsed: every text is drawn as written,
# whichever function drew it (issue 24.6).
TEXT_STYLE = {"text.parse_math": False}
plt.rcParams.update(STYLE)
plt.rcParams.update(SVG_STYLE)
plt.rcParams.update(TEXT_STYLE)
# Okabe-Ito colours, chosen in pairs that differ in lightness (relative luminance ratio > 2),
# so the two strata and the two dose groups stay apart in greyscale print and for the
# colour-blind (tests/test_figures_style.py simulates deuteranopia and protanopia).
PALETTE = {"below": "#009E73", "moderate": "#E69F00", "severe": "#0072B2", "low": "#56B4E9", "high": "#882E72"}
FIGURE_WIDTH_MAX = 6.0  # inches: at 11 pt text, a figure scaled to a 390 px phone keeps text >= 9 px
_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|<!--.*?-->", re.S)
_URI_SAFE = " /:;=,.-_()'!*+?@$~[]{}|^`"  # left as they are in a data: URI (" # % & < > are encoded)


def figure_svg(fig) -> str:
    """A figure as a compact SVG document: no date, no creator, no comments, fixed ids."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(fig)
    svg = _SVG_PROLOGUE.sub("", buf.getvalue())
    return "\n".join(line.strip() for line in svg.splitlines() if line.strip())


def figure_data_uri(fig) -> str:
    """A figure as a ``data:image/svg+xml`` URI for an ``<img src>`` (self-contained, offline)."""
    return "data:image/svg+xml," + quote(figure_svg(fig), safe=_URI_SAFE)


def figure_record(fig, caption: str, alt: str) -> dict:
    """A figure handed to another page (the index): its data URI, its caption with what the
    disclosure rule changed (``add_caption_note``) and its alt text."""
    caption = f"{caption} {getattr(fig, 'msc_caption_note', '')}".strip()
    return {"src": figure_data_uri(fig), "caption": caption, "alt": alt}

QUANTILES_SHOWN = 500  # points of an aggregated Q-Q plot


def _mmol_axis(ax, which: str = "y") -> None:
    """A secondary axis in mmol/mol for an HbA1c axis in %."""
    if which == "y":
        sec = ax.secondary_yaxis("right", functions=(ngsp_to_ifcc, ifcc_to_ngsp))
        sec.set_ylabel("mmol/mol")
    else:
        sec = ax.secondary_xaxis("top", functions=(ngsp_to_ifcc, ifcc_to_ngsp))
        sec.set_xlabel("mmol/mol")


SECONDARY = "not drawn: with the whole cohort it would\nreveal a hidden group"


def _suppressed_note(ax, text: str | None = None) -> None:
    """What a panel shows instead of marks hidden by the disclosure rule (default: the reason
    for a group too small to show, ``disclosure.suppressed``)."""
    text = f"not drawn: {suppressed(0)}" if text is None else text
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9)


def _hidden_title(ax, hidden, policy: Policy | None = None) -> None:
    """A figure's title naming the groups left out by the disclosure rule."""
    few = (policy or current_policy()).min_values
    ax.set_title(f"not drawn: {', '.join(sorted(hidden))} (a group of fewer than {few} patients, or one that would reveal it)",
                 fontsize=9)


def add_caption_note(fig, note: str) -> None:
    """A sentence the figure's caption must carry (``Chapter.figure`` appends ``fig.msc_caption_note``)."""
    if note and note not in getattr(fig, "msc_caption_note", ""):  # once, however many panels say it
        fig.msc_caption_note = (getattr(fig, "msc_caption_note", "") + " " + note).strip()


def draw_bars(ax, values, edges, policy: Policy | None = None, counts=None, **style) -> tuple[bool, int]:
    """A histogram of ``values`` (or of the ``counts`` of each bin) on ``edges`` drawn as bars
    (``binning.safe_bars``: no bar of fewer than ``policy.min_bar`` patients); (merged, dropped)
    for the caption's note."""
    bars = safe_bars(values, edges, policy) if counts is None else bars_from_counts(counts, edges, policy)
    if len(bars.heights):
        ax.bar(bars.lefts, bars.heights, width=bars.widths, align="edge", **style)
    return bars.merged, bars.dropped


def _bins(values, width: float):
    """Histogram bins of ``width`` covering the values (one bin when all are equal within rounding)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo <= 1e-9 * max(1.0, abs(hi)):
        return [lo - width / 2, lo + width / 2]
    return np.arange(np.floor(lo / width) * width, np.ceil(hi / width) * width + width, width)


@with_policy
def baseline_distribution(frame, moderate_min: float, severe_above: float):
    """Histogram of baseline HbA1c with the stratum thresholds drawn (a stratum hidden by the
    disclosure rule is left out: its bars would place its patients)."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    hidden = hidden_strata(frame)
    b = frame.loc[~frame["stratum"].isin(list(hidden)), "hba1c_baseline"]
    if hidden:
        _hidden_title(ax, hidden)
    if too_few(len(frame)):
        _suppressed_note(ax)
    elif len(b):  # no bar of fewer than 3 (strict 8) patients: such bins are merged (``draw_bars``)
        merged, dropped = draw_bars(ax, b, _bins(b, 0.2), color="#8C8C8C", edgecolor="white")
        add_caption_note(fig, bars_note(merged, dropped))
    for x, label in ((moderate_min, f"moderate_min {moderate_min:g} %"), (severe_above, f"severe_above {severe_above:g} %")):
        ax.axvline(x, color="#333333", ls="--")
        ax.annotate(label, (x, ax.get_ylim()[1] * 0.92), xytext=(4, 0), textcoords="offset points", color="#333333", fontsize=11)
    ax.set_xlabel("baseline HbA1c (%)")
    ax.set_ylabel("patients")
    _mmol_axis(ax, "x")
    fig.tight_layout()
    return fig


@with_policy
def paired_plot(frame, aggregate_above: int):
    """Baseline and follow-up HbA1c per stratum: one line per patient, or (large n) the
    median with 10-90 % and 25-75 % bands."""
    names = shown_strata(frame["stratum"])  # moderate and severe; below when someone is in it
    fig, axes = plt.subplots(1, len(names), figsize=(FIGURE_WIDTH_MAX, 3.8), sharey=True)
    hidden = hidden_strata(frame)
    binned = current_policy().binned  # strict: no patient's own line, the stratum's median and bands
    drawn = ~hidden_rows(frame) if binned else drawable_rows(frame)
    for ax, name in zip(axes, names):
        s = frame[frame["stratum"] == name]
        if len(s) == 0:
            ax.text(0.5, 0.5, "no patients", ha="center", va="center", transform=ax.transAxes)
        elif name in hidden or not drawn[(frame["stratum"] == name).to_numpy()].any():
            _suppressed_note(ax, f"not drawn: {suppressed(len(s))}" if too_few(len(s)) else SECONDARY)
        else:
            draw_pairs(ax, s[drawn[(frame["stratum"] == name).to_numpy()]], PALETTE[name], 0 if binned else aggregate_above)
        ax.set_xticks([0, 1], ["baseline", "follow-up"])
        ax.set_xlim(-0.2, 1.2)
        ax.set_title(f"{name} (n = {shown_count(len(s))})")
    axes[0].set_ylabel("HbA1c (%)")
    _mmol_axis(axes[-1], "y")
    fig.tight_layout()
    return fig


STRICT_PAIRS_NOTE = "Strict disclosure: the median with 10-90 % and 25-75 % bands is drawn, no patient's own line."


def draw_pairs(ax, s, color, aggregate_above: int) -> None:
    """Before/after lines of the rows of ``s`` on ``ax`` (x = 0 baseline, 1 follow-up) with the
    mean in black; above ``aggregate_above`` rows, and always under the strict disclosure rule
    (``Policy.binned``: no patient's own line), the median with 10-90 % and 25-75 % bands."""
    if current_policy().binned:
        add_caption_note(ax.figure, STRICT_PAIRS_NOTE)
    if len(s) <= aggregate_above and not current_policy().binned:
        # one line per patient, drawn as one collection (not one Line2D per patient)
        segments = np.zeros((len(s), 2, 2))
        segments[:, 1, 0] = 1
        segments[:, 0, 1] = s["hba1c_baseline"].to_numpy(float)
        segments[:, 1, 1] = s["hba1c_followup"].to_numpy(float)
        ax.add_collection(LineCollection(segments, colors=color, alpha=0.35, linewidths=1, capstyle="round"))
        ax.autoscale_view()
        ax.plot([0, 1], [s["hba1c_baseline"].mean(), s["hba1c_followup"].mean()], color="black", lw=3, marker="o", label="mean")
    else:
        qb = np.percentile(s["hba1c_baseline"].to_numpy(float), [10, 25, 75, 90])
        qf = np.percentile(s["hba1c_followup"].to_numpy(float), [10, 25, 75, 90])
        for (i, j), a in (((0, 3), 0.2), ((1, 2), 0.35)):
            ax.fill_between([0, 1], [qb[i], qf[i]], [qb[j], qf[j]], color=color, alpha=a, lw=0)
        ax.plot([0, 1], [s["hba1c_baseline"].median(), s["hba1c_followup"].median()], color="black", lw=3, marker="o", label="median")


@with_policy
def change_distribution(frame):
    """Distribution of change (follow-up − baseline) per stratum: one histogram per stratum on
    shared bins (counted once, ``histogram_counts``), bins of too few patients merged
    (``draw_bars``), zero line drawn."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH_MAX, 3.4))
    counts = frame["stratum"].value_counts()
    hidden = hidden_strata(frame)
    labels = {k: f"{k} (n = {shown_count(int(counts.get(k, 0)))})" for k in shown_strata(frame["stratum"]) if k not in hidden}
    shown = frame[frame["stratum"].isin(list(labels))]
    data = shown[["change", "stratum"]].assign(stratum=shown["stratum"].map(labels))
    palette = {labels[k]: PALETTE[k] for k in labels}
    if hidden:
        _hidden_title(ax, hidden)
    if len(data):
        c = data["change"].to_numpy(float)
        k = min(40, max(8, int(np.sqrt(len(data))) * 2))
        bins = _bins(c, 0.1) if np.ptp(c) <= 1e-9 * max(1.0, float(np.max(np.abs(c)))) else k
        present = set(data["stratum"].unique())  # once: not once per label over every row
        edges = np.histogram_bin_edges(c, bins)  # shared bins (seaborn's common_bins), computed once
        merged, dropped = False, 0
        per_bin = histogram_counts(data, "change", "stratum", edges)  # per stratum and bin, once
        for label in [h for h in palette if h in present]:  # per stratum, no bar of fewer than 3 (strict 8)
            m, d = draw_bars(ax, None, edges, counts=per_bin.loc[per_bin["stratum"] == label, "count"].to_numpy(),
                             color=palette[label], alpha=0.6, label=label, edgecolor="white")
            merged, dropped = merged or m, dropped + d
        ax.legend(title="stratum", frameon=False)
        add_caption_note(fig, bars_note(merged, dropped))
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel("change in HbA1c, follow-up − baseline (% points)")
    ax.set_ylabel("patients")
    fig.tight_layout()
    return fig


@with_policy
def qq_plot(changes, aggregate_above: int = 2000, drawable=None):
    """Normal Q-Q plot of the change (checks the t-test's normality assumption): one point
    per patient, or above ``aggregate_above`` patients 500 evenly spaced order statistics."""
    from scipy import stats as st

    fig, ax = plt.subplots(figsize=(4.2, 4))
    c = np.asarray(changes, dtype=float)
    if drawable is not None:  # a hidden group's patients are left out (``disclosure.drawable_rows``)
        c = c[np.asarray(drawable, dtype=bool)]
    c = np.sort(c[~np.isnan(c)])
    n = len(c)
    if too_few(n) or (drawable is not None and n == 0 and len(changes)):
        _suppressed_note(ax)
    elif current_policy().binned:  # strict: no patient's own value, the deciles 10 % to 90 % (interpolated)
        slope, intercept = np.std(c, ddof=1), np.mean(c)
        probs = np.arange(1, 10) / 10
        q = st.norm.ppf(probs)
        ax.plot(q, np.quantile(c, probs), "o", ms=4, color=PALETTE["severe"])
        ax.plot(q, intercept + slope * q, color="black", lw=1)
        add_caption_note(fig, "Strict disclosure: the deciles (10 % to 90 %) are drawn, not each patient.")
    elif n >= 3:
        slope, intercept = np.std(c, ddof=1), np.mean(c)  # reference line from all patients
        idx = np.arange(n) if n <= aggregate_above else np.unique(np.linspace(0, n - 1, QUANTILES_SHOWN).astype(int))
        q = st.norm.ppf((idx + 0.5) / n)
        ax.plot(q, c[idx], "o", ms=3, color=PALETTE["severe"])
        ax.plot(q, intercept + slope * q, color="black", lw=1)
    ax.set_xlabel("normal quantile")
    ax.set_ylabel("change (% points)")
    fig.tight_layout()
    return fig


DISTINCT_PAIRS_MAX = 100_000  # distinct (x, y) points up to which a hexbin is drawn from them and their counts


def distinct_pairs(x: np.ndarray, y: np.ndarray):
    """(x, y, count) of each distinct point of the pairs (x[i], y[i]), or None when there are
    more than ``DISTINCT_PAIRS_MAX`` of them. HbA1c in tenths and a few dose levels give a few
    thousand distinct points for millions of patients; a hexbin of the distinct points with
    C = count summed per hexagon has the same hexagons (the data's extent is the same) and
    the same counts as one of every patient, without binning every patient in float64."""
    cx, ux = pd.factorize(x, sort=False)
    cy, uy = pd.factorize(y, sort=False)
    if len(ux) * len(uy) > 50 * DISTINCT_PAIRS_MAX:  # (nearly) continuous data: no gain
        return None
    counts = np.bincount(cx.astype(np.int64) * len(uy) + cy, minlength=len(ux) * len(uy))
    seen = np.flatnonzero(counts)
    if len(seen) > DISTINCT_PAIRS_MAX:
        return None
    return ux[seen // len(uy)], uy[seen % len(uy)], counts[seen]


def can_fit_line(x) -> bool:
    """Whether a least-squares line through ``x`` means anything: at least two distinct finite
    x values, spread by more than rounding (a line through a single follow-up time is
    numpy's "Polyfit may be poorly conditioned"; it is never fitted nor drawn)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return False
    return bool(np.ptp(x) > 1e-9 * max(1.0, float(np.max(np.abs(x)))))


@with_policy
def scatter_fit(x, y, xlabel: str, ylabel: str, aggregate_above: int, logx: bool = False, hue=None, drawable=None):
    """Scatter with a least-squares line (hexbin above aggregate_above points). Above
    aggregate_above, when the points take few distinct values (``distinct_pairs``), the hexbin
    and the line come from each distinct point weighted by its count: the same hexagons and
    counts, and the same least-squares line (``ols.fit_ols`` with the counts as frequency weights).
    ``drawable`` (``disclosure.drawable_rows``): per row, whether the patient may be drawn; the
    others are left out of the points and of the line (a hidden group is hidden in figures too)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    policy = current_policy()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~np.isnan(x) & ~np.isnan(y)
    if drawable is not None:
        left_out = keep & ~np.asarray(drawable, dtype=bool)
        keep &= np.asarray(drawable, dtype=bool)
        if left_out.any() and keep.any():
            ax.set_title("not drawn: the patients of a group the tables hide", fontsize=9)
        elif left_out.any():
            _suppressed_note(ax, f"not drawn: {suppressed(int(left_out.sum())) if too_few(int(left_out.sum())) else SUPPRESSED_SECONDARY}")
    x, y = x[keep], y[keep]
    n = len(x)
    if policy.binned:  # strict: bins only, never a patient's own point (``binned_scatter``)
        if too_few(n):
            _suppressed_note(ax)
        elif n:
            binned_scatter(ax, np.log10(x) if logx else x, y, policy)
            add_caption_note(fig, f"Strict disclosure: patients counted in hexagonal bins; bins of fewer than "
                                  f"{policy.min_bar} patients are left empty.")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(("log10 " if logx else "") + xlabel)
        ax.set_ylabel(ylabel)
        fig.tight_layout()
        return fig
    pairs = distinct_pairs(x, y) if n > aggregate_above and not too_few(n) else None
    if pairs is None:
        xs, ys, count = (np.log10(x) if logx else x), y, None
    else:
        xs, ys, count = (np.log10(pairs[0]) if logx else pairs[0]), pairs[1], pairs[2]
    if hue is not None:
        hue = np.asarray(hue)[keep]
        levels, sizes = np.unique(hue, return_counts=True)
        if hidden_parts(len(hue), {str(k): int(n) for k, n in zip(levels, sizes)}):
            hue = None  # a colour would single out a group of fewer than 3 patients
    if too_few(n):
        _suppressed_note(ax)
    elif n == 0:
        pass
    elif n > aggregate_above:
        if count is None:
            ax.hexbin(xs, ys, gridsize=40, cmap="Blues", mincnt=1)
        else:
            ax.hexbin(xs, ys, C=count, reduce_C_function=np.sum, gridsize=40, cmap="Blues", mincnt=1)
    elif hue is not None:
        for name in np.unique(hue):
            m = hue == name
            ax.scatter(xs[m], ys[m], s=22, alpha=0.75, color=PALETTE.get(str(name)), label=readable(str(name)))
        ax.legend(frameon=False)
    else:
        ax.scatter(xs, ys, s=22, alpha=0.75, color=PALETTE["severe"])
    if n and not too_few(n) and can_fit_line(xs):
        line = fit_ols(ys, np.column_stack([np.ones(len(xs)), xs]), ["(Intercept)", "x"], solver="lstsq",
                       inference=False, weights=count)
        b0, b1 = line["(Intercept)"].estimate, line["x"].estimate
        grid = np.linspace(xs.min(), xs.max(), 50)
        ax.plot(grid, b0 + b1 * grid, color="black", lw=1.5)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(("log10 " if logx else "") + xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def binned_scatter(ax, x: np.ndarray, y: np.ndarray, policy: Policy, gridsize: int = 12) -> None:
    """Patients counted in hexagonal bins (``hexbin``), bins of fewer than ``policy.min_bar``
    patients left empty, with the least-squares line of all of them (a summary of at least
    ``policy.min_values`` patients); no colour bar (the colours only order the counts)."""
    ax.hexbin(x, y, gridsize=gridsize, cmap="Blues", mincnt=policy.min_bar, linewidths=0.2)
    if len(x) >= policy.min_values and can_fit_line(x):
        line = fit_ols(y, np.column_stack([np.ones(len(x)), x]), ["(Intercept)", "x"], solver="lstsq", inference=False)
        grid = np.linspace(x.min(), x.max(), 50)
        ax.plot(grid, line["(Intercept)"].estimate + line["x"].estimate * grid, color="black", lw=1.5)


def histogram_counts(data, value: str, by: str, edges) -> pd.DataFrame:
    """Per group, the count of ``value`` in each bin of ``edges`` (``np.histogram``, as seaborn's
    histplot counts) at the bin's centre, column ``count``: a histogram of these weighted by
    ``count`` on the same edges has exactly the bars of the histogram of every row, without
    seaborn handling a row (and a group label) per patient."""
    centres = (edges[:-1] + edges[1:]) / 2
    parts = [pd.DataFrame({value: centres, by: group, "count": np.histogram(v.to_numpy(float), bins=edges)[0]})
             for group, v in data.groupby(by, sort=True)[value]]
    return pd.concat(parts, ignore_index=True)


def box_samples(data, by: str, value: str, order, whis=1.5, extremes: bool = True) -> pd.DataFrame:
    """Per group of ``order``, nine values with the box plot statistics of all its ``value``s
    (``matplotlib.cbook.boxplot_stats``, what seaborn's boxplot draws: quartiles by linear
    interpolation, whiskers at the most extreme values within 1.5 IQR): min, low whisker, Q1
    twice, median, Q3 twice, high whisker, max. Their 25th, 50th and 75th percentiles are
    exactly Q1, the median and Q3, so seaborn draws the same box, whiskers and caps, and the
    minimum and maximum keep the axis range; only outliers beyond them (drawn with size 0)
    are not passed. Seaborn then handles nine rows per group instead of a row per patient."""
    from matplotlib.cbook import boxplot_stats

    parts = []
    for group in order:  # ``extremes`` False (strict): neither the minimum nor the maximum is passed
        v = data.loc[data[by] == group, value].to_numpy(float)
        st = boxplot_stats(v, whis=whis)[0]
        sample = [v.min(), st["whislo"], st["q1"], st["q1"], st["med"], st["q3"], st["q3"], st["whishi"], v.max()]
        if not extremes:
            sample = [st["whislo"], st["whislo"], st["q1"], st["q1"], st["med"], st["q3"], st["q3"], st["whishi"], st["whishi"]]
        parts.append(pd.DataFrame({by: group, value: sample}))
    return pd.concat(parts, ignore_index=True)


@with_policy
def group_boxes(frame, by: str, order, ylabel: str = "change (% points)", aggregate_above: int = 2000):
    """Change by group: seaborn box plot (median, quartiles, whiskers to 1.5 IQR), with one
    point per patient up to ``aggregate_above`` patients."""
    import seaborn as sns  # imported where used: only this chapter pays for it

    fig, ax = plt.subplots(figsize=(6, 3.8))
    hidden = hidden_by_column(frame, by)
    drawn = drawable_rows(frame)
    data = frame.loc[frame[by].notna() & frame["change"].notna(), [by, "change"]]
    sizes = data[by].value_counts()  # once: not once per group over every row
    small = {str(o) for o in order if 0 < int(sizes.get(o, 0)) and not order_shown(int(sizes.get(o, 0)))}
    hidden = hidden | frozenset(small)  # a box is order statistics: only from groups of at least 5
    order = [o for o in order if int(sizes.get(o, 0)) and str(o) not in hidden]
    points = frame.loc[drawn & frame[by].notna().to_numpy() & frame["change"].notna().to_numpy(), [by, "change"]]
    if hidden:
        _hidden_title(ax, hidden)
    policy = current_policy()
    if order and policy.binned:  # strict: whiskers at the 10th and 90th percentiles, no minimum, maximum or point
        sns.boxplot(data=box_samples(data, by, "change", order, whis=(10, 90), extremes=False), x=by, y="change",
                    order=order, ax=ax, color="#DDDDDD", fliersize=0, linecolor="#555555", whis=(0, 100))
        ax.xaxis.grid(False)
        add_caption_note(fig, "Strict disclosure: whiskers at the 10th and 90th percentiles; no patient is drawn.")
    elif order:
        sns.boxplot(data=box_samples(data, by, "change", order), x=by, y="change", order=order, ax=ax,
                    color="#DDDDDD", fliersize=0, linecolor="#555555")
        if len(data) <= aggregate_above:
            sns.stripplot(data=points[points[by].isin(order)], x=by, y="change", order=order, ax=ax,
                          color=PALETTE["severe"], size=4, jitter=False, alpha=0.7)
        ax.xaxis.grid(False)
    ax.axhline(0, color="grey", lw=0.8)
    if order:
        ax.set_xticks(range(len(order)), [readable(str(o)) for o in order])
    ax.set_xlabel(readable(by))
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


@with_policy
def flow_diagram(rows_read: int, exclusions, strata_counts: dict):
    """Participant flow: read -> excluded (by reason) -> analysed -> strata."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH_MAX, 4.4))
    ax.axis("off")
    box = dict(boxstyle="round,pad=0.5", fc="#F2F2F2", ec="#555555")
    analysed = rows_read - sum(n for _, n in exclusions)
    c = shown_count  # strict: 1 to 7 as "≤ 7", other counts rounded to 5
    ax.text(0.35, 0.92, f"rows read\nn = {c(rows_read)}", ha="center", va="center", bbox=box)
    excl = "\n".join(f"{c(n)}: {reason}" for reason, n in exclusions) or "none"
    ax.text(0.78, 0.66, f"excluded, n = {c(rows_read - analysed)}\n{excl}", ha="center", va="center", fontsize=11, bbox=box, wrap=True)
    ax.text(0.35, 0.5, f"analysed\nn = {c(analysed)}", ha="center", va="center", bbox=box)
    ax.text(0.15, 0.1, f"moderate\nn = {c(strata_counts.get('moderate', 0))}", ha="center", va="center", bbox=box)
    ax.text(0.55, 0.1, f"severe\nn = {c(strata_counts.get('severe', 0))}", ha="center", va="center", bbox=box)
    arrow = dict(arrowstyle="->", color="#555555")
    ax.annotate("", (0.35, 0.58), (0.35, 0.84), arrowprops=arrow)
    ax.annotate("", (0.6, 0.66), (0.35, 0.71), arrowprops=arrow)
    ax.annotate("", (0.15, 0.18), (0.3, 0.42), arrowprops=arrow)
    ax.annotate("", (0.55, 0.18), (0.4, 0.42), arrowprops=arrow)
    return fig

