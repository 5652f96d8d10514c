"""Text from the data is shown as plain text (issue 24.6, 24.7): an arm named like matplotlib
math text (``$\\undefinedcmd$``) stopped chapter 7; an arm named ``=HYPERLINK("http://...")``
became a live link in chapter sentences (Markdown autolink); invisible text-direction controls
(U+202E) were written into pages unchanged, and a NUL in a name after the first 64 KiB reached
six pages and made an SVG ill-formed. Now the figures never parse math text, data text in
Markdown is written as character references, and bidi controls and NULs are refused at
validation with FILE:ROW:COLUMN (exit 2)."""

from __future__ import annotations

import re
import xml.dom.minidom
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from mscreport.display.fmt import md_name
from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

MATH = "$\\undefinedcmd$"
LINK = '=HYPERLINK("http://evil.example/x","click") www.evil.example a@evil.example **bold** <i>it</i>'
ARMS = ["placebo", MATH, LINK]


def _long_file_with_arms(path: Path) -> Path:
    """The bundled long cohort (``mscreport synth --long``) in three arms named as above."""
    from mscreport.analysis.reconstruction import make_long_cohort, write_long_cohort

    frame = make_long_cohort(2025)
    ids = sorted(frame["patient_id"].unique())
    frame["arm"] = frame["patient_id"].map({p: ARMS[i % 3] for i, p in enumerate(ids)})
    frame = frame.drop(columns=[c for c in ("synthetic",) if c in frame.columns])
    write_long_cohort(frame, path)
    return path


def _svgs(page: str) -> list[str]:
    return [unquote(m) for m in re.findall(r'src="data:image/svg\+xml,([^"]*)"', page)]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    data = _long_file_with_arms(tmp / "arms.csv")
    out = tmp / "out"
    code = main(["build", "--data", str(data), "--output", str(out), "-q"])
    return code, out


def test_arm_names_like_math_text_do_not_stop_a_chapter(hostile_build):
    """24.6: chapter 7's legend typeset the arm's name as math text (exit 3)."""
    code, out = hostile_build
    assert code == 0
    drawn = [svg for page in sorted(out.glob("*.html")) for svg in _svgs(page.read_text())]
    assert drawn and all(xml.dom.minidom.parseString(svg) for svg in drawn)  # every figure well-formed
    assert any(MATH in svg for svg in drawn)  # drawn literally, dollars included


def test_no_link_or_markup_from_the_data_in_any_page(hostile_build):
    """24.7: the arm's URL became a live link in chapter sentences."""
    code, out = hostile_build
    assert code == 0
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 13  # six chapters x two renderings + the index (chapter 6 is left out of a user's cohort)
    shown = 0
    for page in pages:
        text = page.read_text()
        for svg in _svgs(text):
            text = text.replace(svg, "")
        assert not re.search(r"<a [^>]*evil", text), page
        assert "mailto:" not in text and "<strong>bold" not in text and "<i>it</i>" not in text, page
        shown += text.count("HYPERLINK")
    assert shown  # the name is on the pages, as text


def test_markdown_names_are_character_references():
    assert md_name("a@b.example") == "a&#64;b&#46;example"
    assert md_name("http://x") == "http&#58;&#47;&#47;x"
    assert md_name("MSC high dose") == "MSC high dose"  # letters, digits and spaces stay as they are
    assert md_name("Überdosis 2") == "Überdosis 2"


def _cohort_with(arm_cell: str, rows: int = 30) -> str:
    lines = ["patient_id,hba1c_baseline,hba1c_followup,arm"]
    lines += [f"P{i:04d},8.{i % 10},7.{i % 7},{'placebo' if i % 2 else 'msc'}" for i in range(1, rows + 1)]
    lines[-2] = lines[-2].rsplit(",", 1)[0] + "," + arm_cell
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\x00"])
@pytest.mark.parametrize("rows", [30, 4000])  # 4000 rows: the cell lies after the first 64 KiB
def test_bidi_controls_and_nul_are_refused_with_their_cell(tmp_path, capsys, char, rows):
    path = tmp_path / "c.csv"
    path.write_text(_cohort_with(f"ms{char}c", rows), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"{path}:{rows - 1}:arm: ") and f"U+{ord(char):04X}" in line, line
    assert char not in line


def test_a_control_in_a_header_is_refused(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text("patient_id,hba1c_baseline,hba1c_followup,no\u202ete\nP1,8,7,x\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}:-:") and "U+202E" in line and "header" in line and "\u202e" not in line


def test_a_control_in_a_workbook_cell_is_refused(tmp_path, capsys):
    path = tmp_path / "c.xlsx"
    frame = pd.read_csv(REPO_ROOT / "data" / "reconstructed_cohort.csv", dtype=str, keep_default_na=False).iloc[:5]
    frame.loc[3, "sex"] = "fe\u202emale"
    frame.to_excel(path, index=False)
    assert main(["validate", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}:4:sex: ") and "U+202E" in line


def test_ordinary_non_ascii_text_is_untouched(tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text(_cohort_with("msc \u2013 \u201chigh\u201d d\u00f6se"), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
