"""Figures of large cohorts drawn from summaries: seaborn gets, per group, the box plot
statistics (``figures.box_samples``) or the bin counts (``figures.histogram_counts``) instead
of a row per patient, and must draw exactly what it draws from every row."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.cbook import boxplot_stats  # noqa: E402

from mscreport.display import figures  # noqa: E402

DRAWN = ("q1", "med", "q3", "whislo", "whishi")


def _groups(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    change = np.round(rng.normal(-0.4, 1.1, n), 1)
    change[:3] = [-6.5, 4.2, 5.0]  # outliers beyond the whiskers
    return pd.DataFrame({"dose_group": rng.choice(["low", "high"], n, p=[0.7, 0.3]), "change": change})


@pytest.mark.parametrize("seed,n", [(1, 5), (2, 40), (3, 997), (4, 20_000)])
def test_box_samples_have_the_box_statistics_of_every_row(seed, n):
    data = _groups(seed, n)
    samples = figures.box_samples(data, "dose_group", "change", ["low", "high"])
    for group in ("low", "high"):
        full = boxplot_stats(data.loc[data["dose_group"] == group, "change"].to_numpy(), whis=1.5)[0]
        few = boxplot_stats(samples.loc[samples["dose_group"] == group, "change"].to_numpy(), whis=1.5)[0]
        assert len(samples[samples["dose_group"] == group]) == 9
        for key in DRAWN:
            assert few[key] == full[key], (group, key)  # exactly: the same double


def _drawn(ax):
    """Everything of a box plot that is seen: each drawn line's and patch's vertices, and the y range
    (the outliers' markers, of size 0, are a line without line style: left out)."""
    lines = [np.asarray(line.get_xydata()).round(12).tolist() for line in ax.lines if line.get_linestyle() != "None"]
    patches = [p.get_path().vertices.round(12).tolist() for p in ax.patches]
    return lines, patches, tuple(np.round(ax.get_ylim(), 12))


def test_seaborn_draws_the_same_boxes_from_the_samples():
    data = _groups(5, 50_000)
    order = ["low", "high"]
    fig, (a, b) = plt.subplots(1, 2)
    style = dict(x="dose_group", y="change", order=order, color="#DDDDDD", fliersize=0, linecolor="#555555")
    sns.boxplot(data=data, ax=a, **style)
    sns.boxplot(data=figures.box_samples(data, "dose_group", "change", order), ax=b, **style)
    lines_a, patches_a, ylim_a = _drawn(a)
    lines_b, patches_b, ylim_b = _drawn(b)
    assert patches_a == patches_b and patches_a  # the boxes
    assert ylim_a == ylim_b  # the minimum and maximum kept the axis range
    assert len(lines_a) == 10 and lines_a == lines_b  # per box: 2 whiskers, 2 caps, 1 median
    plt.close(fig)


def test_histogram_counts_give_the_bars_of_every_row():
    data = _groups(6, 30_000).rename(columns={"dose_group": "stratum"})
    edges = np.histogram_bin_edges(data["change"].to_numpy(), 40)
    counts = figures.histogram_counts(data, "change", "stratum", edges)
    for group, v in data.groupby("stratum")["change"]:
        mine = counts.loc[counts["stratum"] == group, "count"].to_numpy()
        assert mine.tolist() == np.histogram(v.to_numpy(), bins=edges)[0].tolist()
    fig, (a, b) = plt.subplots(1, 2)
    sns.histplot(data=data, x="change", hue="stratum", hue_order=["low", "high"], bins=list(edges), ax=a)
    sns.histplot(data=counts, x="change", weights="count", hue="stratum", hue_order=["low", "high"],
                 bins=list(edges), ax=b)
    heights = [[p.get_height() for p in ax.patches] for ax in (a, b)]
    xs = [[p.get_x() for p in ax.patches] for ax in (a, b)]
    assert heights[0] == heights[1] and sum(heights[0]) == len(data)
    assert xs[0] == xs[1]
    plt.close(fig)


def test_the_large_cohort_figures_use_the_summaries(monkeypatch):
    """Both figures go through the summaries at any n (so the path cannot rot unseen)."""
    calls = []
    for name in ("box_samples", "histogram_counts"):
        real = getattr(figures, name)
        monkeypatch.setattr(figures, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    frame = _groups(7, 5000).assign(stratum=lambda f: np.where(f["change"] < 0, "moderate", "severe"))
    plt.close(figures.group_boxes(frame, "dose_group", ["low", "high"]))
    plt.close(figures.change_distribution(frame))
    assert calls == ["box_samples", "histogram_counts"]


def _hexbin(ax):
    coll = [c for c in ax.collections if c.get_array() is not None][0]
    return np.asarray(coll.get_offsets()).round(12).tolist(), np.asarray(coll.get_array()).tolist()


@pytest.mark.parametrize("logx", [False, True])
def test_a_hexbin_of_the_distinct_points_equals_one_of_every_patient(logx):
    rng = np.random.default_rng(8)
    n = 30_000
    x = rng.choice([1e8, 3e8, 5e8, 1e9, 2e9], n)
    y = np.round(rng.normal(-0.5, 1.0, n), 1)
    x[:5] = np.nan  # dropped, as by scatter_fit
    xs = np.log10(x) if logx else x
    keep = ~np.isnan(x)
    fig, (a, b) = plt.subplots(1, 2)
    a.hexbin(xs[keep], y[keep], gridsize=40, cmap="Blues", mincnt=1)
    drawn = figures.scatter_fit(x, y, "dose", "change", aggregate_above=2000, logx=logx)
    offsets, counts = _hexbin(drawn.axes[0])
    assert (offsets, counts) == _hexbin(a) and sum(counts) == n - 5
    slope, intercept = np.polyfit(xs[keep], y[keep], 1)
    line = drawn.axes[0].lines[0].get_xydata()  # the least-squares line, from the weighted distinct points
    assert np.allclose(line[:, 1], intercept + slope * line[:, 0], rtol=0, atol=1e-9)
    plt.close(fig)
    plt.close(drawn)


def test_distinct_pairs_counts_and_its_limit(monkeypatch):
    x = np.array([1.0, 2.0, 1.0, 1.0, 2.0, 3.0])
    y = np.array([0.5, 0.5, 0.5, -1.0, 0.5, 0.5])
    px, py, count = figures.distinct_pairs(x, y)
    assert sorted(zip(px.tolist(), py.tolist(), count.tolist())) == [(1.0, -1.0, 1), (1.0, 0.5, 2), (2.0, 0.5, 2), (3.0, 0.5, 1)]
    monkeypatch.setattr(figures, "DISTINCT_PAIRS_MAX", 3)
    assert figures.distinct_pairs(x, y) is None  # 4 distinct points: every patient binned instead
