"""The first screen in a real browser (issue 26 items 5 and 8): on a phone (390 x 844 px) the
index's headline and the key table's first rows are within the first viewport, in light and
dark, and each row of the key table is short (no wrapped prose column); each chapter's answer
is within its first viewport too. Screenshots of the first viewport at 1280 and 390 px, light
and dark, are saved in the test's tmp folder, and in ``MSCREPORT_SCREENS_DIR`` when it is set
(``docs/screens/`` holds the committed ones)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_browser import PHONE, _open, browser  # noqa: F401  (browser: the module's Chromium fixture)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 900}
MAX_ROW_PX = 80  # a key-table row: one or two lines of text, not the 190-420 px of a wrapped prose column

_FIRST_SCREEN_JS = """
() => {
  const box = el => el ? el.getBoundingClientRect() : null;
  const head = document.querySelector('.msc-headline, .msc-answer');
  const table = Array.from(document.querySelectorAll('table.msc-table'))
                     .find(t => t.caption && /Key findings|Within-group change/.test(t.caption.textContent));
  const rows = table ? Array.from(table.tBodies[0].rows).slice(0, 2) : [];
  return {headline: head ? {bottom: box(head).bottom, text: head.textContent.trim()} : null,
          rows: rows.map(r => ({bottom: box(r).bottom, height: box(r).height})),
          tableScroll: table ? table.scrollWidth : null, tableBox: table ? table.clientWidth : null,
          viewport: window.innerHeight, pageWidth: document.documentElement.scrollWidth,
          width: document.documentElement.clientWidth};
}
"""


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    return tmp_path_factory.mktemp("first-screens")


def _shoot(browser, built_report, rel, viewport, scheme, folder):  # noqa: F811
    ctx, page = _open(browser, built_report, rel, viewport=viewport, color_scheme=scheme,
                      device_scale_factor=2 if viewport["width"] < 600 else 1)
    try:
        shot = folder / f"{rel.removesuffix('.html')}_{viewport['width']}_{scheme}_first_screen.png"
        page.screenshot(path=str(shot))  # the first viewport only: what a reader sees before scrolling
        info = page.evaluate(_FIRST_SCREEN_JS)
    finally:
        ctx.close()
    keep = os.environ.get("MSCREPORT_SCREENS_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    print(f"\nscreenshot: {shot}")
    return info


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_index_headline_and_key_table_are_on_the_first_screen(browser, built_report, screens, viewport, scheme):  # noqa: F811
    info = _shoot(browser, built_report, "index.html", viewport, scheme, screens)
    assert info["pageWidth"] <= info["width"] + 1, "the index scrolls sideways"
    assert info["headline"] and "single-arm" in info["headline"]["text"], "no headline sentence"
    assert info["headline"]["bottom"] <= info["viewport"], f"headline below the first screen: {info}"
    assert len(info["rows"]) == 2, "no key table"
    for row in info["rows"]:
        assert row["bottom"] <= info["viewport"], f"key table's first rows below the first screen: {info}"
        assert row["height"] <= MAX_ROW_PX, f"a key-table row is {row['height']:.0f} px tall: {info}"
    # every column, the p-value's included, within the screen: the key table does not scroll sideways
    assert info["tableScroll"] <= info["tableBox"] + 1, f"the key table scrolls sideways: {info}"


@pytest.mark.parametrize("rel", ["03_change.html", "04_dose.html"])
def test_chapter_answer_is_on_the_first_screen(browser, built_report, screens, rel):  # noqa: F811
    info = _shoot(browser, built_report, rel, PHONE, "light", screens)
    assert info["headline"] and info["headline"]["text"].startswith("Answer."), f"{rel}: no answer"
    assert info["headline"]["bottom"] <= info["viewport"] * 1.25, f"{rel}: the answer is far below the first screen: {info}"
