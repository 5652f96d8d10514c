"""``mscreport preview`` in a real browser (issue 26.4): the index opened from the preview
server in headless Chromium (Playwright, the system Chromium as in tests/test_browser.py),
the ``--params`` file edited, and the open page shows the new value by itself (no reload
from the test) within the time allowed; the time from the write to the new value in
results.json and on the page is printed (``-s``).

Skipped, with the reason, when Chromium or Playwright is missing or cannot be launched.
"""

from __future__ import annotations

import json
import time

import pytest

from test_browser import CHROMIUM, LAUNCH_ARGS  # noqa: F401 - skips this module the same way
from test_preview import PreviewProcess, _get

from mscreport.pipeline import preview as pv

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGE_TIMEOUT_S = 120  # generous for a loaded shared machine
INDEX_WITHIN_S = 5.0  # before the chapters (about 8 s) even on a loaded machine; the 2 s target: `make bench`, quiet

_SEVERE_ABOVE_JS = """
() => {
  for (const tr of document.querySelectorAll('tr')) {
    const cells = tr.querySelectorAll('th, td');
    if (cells.length >= 2 && cells[0].textContent.trim() === 'severe_above') return cells[1].textContent.trim();
  }
  return null;
}
"""


def _shown(page) -> str | None:
    try:
        return page.evaluate(_SEVERE_ABOVE_JS)
    except Exception:  # noqa: BLE001 - the page is reloading: its context is gone for a moment
        return None


def test_open_pages_reload_with_the_new_threshold(tmp_path):
    """The index and chapter 2 open in two tabs; the --params file edited: the index shows the
    new threshold first (written from the library with results.json), chapter 2 once its chapter
    has re-run (first, as it is open); each by a reload of its own, no error on either page."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    params = tmp_path / "params.yaml"
    params.write_text("severe_above: 8.0\n")
    p = PreviewProcess("--params", str(params), cwd=tmp_path)
    try:
        port = p.wait_serving()
        with sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, timeout=60_000)
            except PlaywrightError as exc:
                pytest.skip(f"browser test skipped: Playwright cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
            try:
                tabs, errors, loads = {}, [], {}
                for path in ("/", "/02_severity.html"):
                    page = browser.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    loads[path] = []
                    page.on("load", lambda _page, path=path: loads[path].append(time.monotonic()))
                    page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load")
                    tabs[path] = page
                before = {path: _shown(page) for path, page in tabs.items()}
                assert all(v is not None and v.startswith("8") for v in before.values()), before
                for page in tabs.values():
                    page.evaluate("() => { window.__previewMarker = 1; }")  # gone once the page reloads itself
                time.sleep(1.0)  # the pages have asked for their versions: the preview knows they are open
                n_loads = {path: len(v) for path, v in loads.items()}

                t0 = time.monotonic()
                params.write_text("severe_above: 8.5\n")
                t_json, t_page = None, {}
                while len(t_page) < len(tabs):
                    if t_json is None and p.results()["params"]["severe_above"] == 8.5:
                        t_json = time.monotonic() - t0
                    for path, page in tabs.items():
                        if path not in t_page:
                            shown = _shown(page)
                            if shown is not None and shown != before[path]:
                                assert shown == "8.5", (path, shown)
                                t_page[path] = time.monotonic() - t0
                    assert time.monotonic() - t0 < PAGE_TIMEOUT_S, (t_page, p.lines[-5:])
                    tabs["/"].wait_for_timeout(20)
                for path, page in tabs.items():
                    assert page.evaluate("() => window.__previewMarker === undefined"), path  # a real reload
                    assert len(loads[path]) > n_loads[path], path
                assert not errors, errors
                assert t_page["/"] <= t_page["/02_severity.html"]  # the index does not wait for the chapters
                status, body, _ = _get(port, pv.VERSION_PATH)
                assert status == 200 and json.loads(body)["error"] is None
                print(f"\npreview in the browser: results.json after {t_json if t_json is not None else float('nan'):.2f} s, "
                      f"the open index after {t_page['/']:.2f} s, the open chapter 2 after {t_page['/02_severity.html']:.2f} s")
                assert t_page["/"] <= INDEX_WITHIN_S, t_page
            finally:
                browser.close()
    finally:
        assert p.stop() == 0, "\n".join(p.lines)
