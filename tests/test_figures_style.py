"""How the pages look, checked without a browser: colours that survive greyscale print and
colour-blindness, readable labels, deterministic SVG figures whose text stays legible on a
phone, and a small, offline stylesheet with dark mode and print rules."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mscreport.analysis import trust
from mscreport.display import figures
from mscreport.display.fmt import html_table
from mscreport.core.labels import LABELS, readable
from mscreport.core.paths import TEMPLATES_DIR

CSS = (TEMPLATES_DIR / "mscreport" / "static" / "mscreport.css").read_text(encoding="utf-8")

# Machado, Oliveira & Fernandes (2009) simulation matrices at severity 1.0, applied to linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]])


def linear_rgb(hex_colour: str) -> np.ndarray:
    """sRGB '#RRGGBB' to linear RGB in [0, 1] (the sRGB transfer function inverted)."""
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def relative_luminance(lin: np.ndarray) -> float:
    """WCAG relative luminance of a linear-RGB colour."""
    return float(np.clip(lin, 0, 1) @ [0.2126, 0.7152, 0.0722])


def contrast(a: float, b: float) -> float:
    """WCAG contrast ratio of two luminances (1 = identical, 21 = black on white)."""
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def test_colour_helpers():
    assert relative_luminance(linear_rgb("#FFFFFF")) == pytest.approx(1.0)
    assert relative_luminance(linear_rgb("#000000")) == 0.0
    assert contrast(1.0, 0.0) == pytest.approx(21.0)
    # seaborn's old pair (blue #4C72B0, red #C44E52): nearly equal lightness, which the issue reported
    assert contrast(relative_luminance(linear_rgb("#4C72B0")), relative_luminance(linear_rgb("#C44E52"))) < 1.2


@pytest.mark.parametrize("pair", [("moderate", "severe"), ("low", "high")])
@pytest.mark.parametrize("vision", ["normal", "deuteranopia", "protanopia"])
def test_paired_colours_differ_in_lightness(pair, vision):
    """Strata (and dose groups) stay apart in greyscale print and for red-green colour-blind
    readers: their luminance contrast is at least 1.8 after simulation."""
    matrix = {"normal": np.eye(3), "deuteranopia": DEUTERANOPIA, "protanopia": PROTANOPIA}[vision]
    a, b = (relative_luminance(matrix @ linear_rgb(figures.PALETTE[k])) for k in pair)
    assert contrast(a, b) >= 1.8, f"{pair} under {vision}: luminance {a:.3f} vs {b:.3f}"


def test_readable_labels():
    assert readable("bone_marrow") == "bone marrow"
    assert readable("msc_source: umbilical_cord") == "MSC source: umbilical cord"
    assert readable("bone_marrow_x") == "bone_marrow_x"  # whole words only
    assert readable(3.5) == "3.5"
    assert all("_" not in v for v in LABELS.values())


def test_tables_show_labels_not_codes():
    page = html_table(pd.DataFrame({"msc_source": ["bone_marrow", "umbilical_cord"], "n": [3, 4]}), "Sources", 1)
    assert "bone marrow" in page and "umbilical cord" in page and "MSC source" in page
    assert "_" not in page


def _svg(fig) -> str:
    return figures.figure_svg(fig)


def _frame():
    rng = np.random.default_rng(1)
    b = rng.normal(7.5, 1, 40)
    f = b - rng.normal(0.8, 0.5, 40)
    return pd.DataFrame({"hba1c_baseline": b, "hba1c_followup": f, "change": f - b,
                         "stratum": np.where(b > 8, "severe", "moderate"),
                         "msc_source": ["umbilical_cord", "bone_marrow"] * 20})


def test_svg_figures_are_deterministic_and_carry_no_date_or_url():
    a = _svg(figures.paired_plot(_frame(), 2000))
    b = _svg(figures.paired_plot(_frame(), 2000))
    assert a == b
    assert a.startswith("<svg") and "<text" in a, "text must stay text (svg.fonttype none)"
    assert "<dc:date>" not in a and "matplotlib.org" not in a and "http://" not in a.replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    uri = figures.figure_data_uri(figures.qq_plot(_frame()["change"]))
    assert uri.startswith("data:image/svg+xml,") and not re.search(r"[\"#&<>%](?![0-9A-F]{2})", uri[19:])


FONT_SIZE = re.compile(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px")
VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')
PHONE_CONTENT_PX = 366  # 390 px viewport minus the phone padding of the stylesheet (2 x 0.6 rem)


@pytest.mark.parametrize("make", [
    lambda: figures.paired_plot(_frame(), 2000),
    lambda: figures.change_distribution(_frame()),
    lambda: figures.baseline_distribution(_frame(), 6.2, 8.0),
    lambda: figures.qq_plot(_frame()["change"]),
    lambda: trust.oldham_plot(_frame(), 2000),
    lambda: figures.group_boxes(_frame(), "msc_source", ["umbilical_cord", "bone_marrow"]),
    lambda: figures.flow_diagram(45, [("no follow-up HbA1c", 2)], {"moderate": 30, "severe": 13}),
], ids=["paired", "change", "baseline", "qq", "oldham", "boxes", "flow"])
def test_figure_text_is_at_least_9px_on_a_phone(make):
    """Scaled to the width of a 390 px phone, every text of the figure is >= 9 CSS px."""
    svg = _svg(make())
    width = float(VIEWBOX.search(svg).group(1))
    sizes = [float(s) for s in FONT_SIZE.findall(svg)]
    assert sizes, "no text size found in the SVG"
    scale = min(1.0, PHONE_CONTENT_PX / (width * 4 / 3))  # viewBox units are pt; 1 pt = 4/3 px
    assert min(sizes) * 4 / 3 * scale >= 9, f"smallest text {min(sizes)} pt -> {min(sizes) * 4 / 3 * scale:.1f} px"
    assert "bone_marrow" not in svg and "umbilical_cord" not in svg


def test_stylesheet_is_small_offline_and_has_dark_phone_and_print_rules():
    assert len(CSS.encode()) < 12_000
    rules = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    assert "url(" not in rules and "@import" not in rules and "://" not in rules
    assert "@media (prefers-color-scheme: dark)" in CSS
    assert "@media print" in CSS and "@page" in CSS
    assert re.search(r"@media screen and \(max-width: 40rem\)", CSS)
