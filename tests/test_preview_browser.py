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

PAGE_TIMEOUT_S = 120  # generous for a loaded shared machine; the 2 s target is measured in `make bench`

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


def test_open_page_reloads_with_the_new_threshold(tmp_path):
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
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                loads: list[float] = []
                page.on("load", lambda: loads.append(time.monotonic()))
                page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
                before = _shown(page)
                assert before is not None and before.startswith("8"), before
                page.evaluate("() => { window.__previewMarker = 1; }")  # gone once the page reloads itself
                n_loads = len(loads)

                t0 = time.monotonic()
                params.write_text("severe_above: 8.5\n")
                t_json = None
                while True:
                    if t_json is None and p.results()["params"]["severe_above"] == 8.5:
                        t_json = time.monotonic() - t0
                    shown = _shown(page)
                    if shown is not None and shown != before:
                        t_page = time.monotonic() - t0
                        break
                    assert time.monotonic() - t0 < PAGE_TIMEOUT_S, (before, shown, p.lines[-5:])
                    page.wait_for_timeout(20)
                assert shown == "8.5", shown
                assert page.evaluate("() => window.__previewMarker === undefined")  # a real reload
                assert len(loads) > n_loads
                assert not errors, errors
                status, body, _ = _get(port, pv.VERSION_PATH)
                assert status == 200 and json.loads(body)["error"] is None
                print(f"\npreview in the browser: results.json after {t_json if t_json is not None else float('nan'):.2f} s, "
                      f"the open page after {t_page:.2f} s")
            finally:
                browser.close()
    finally:
        assert p.stop() == 0, "\n".join(p.lines)
