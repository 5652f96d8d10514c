"""``mscreport preview`` (issue 26.4; interface.md "Live preview").

Fast: the server alone on a folder of our own (loopback bind, Host check, nothing served
outside the folder, the reload script in served pages only, the version endpoint), the
watched files, the build command the pages show. Slow (end to end, the bundled cohort): the
command prints its one ``serving`` line, serves results.json, listens on 127.0.0.1 only, picks
up a changed threshold in the ``--params`` file, and on SIGINT stops with no kernel, worker
or private folder left behind. The browser side (the open page reloads by itself) is in
tests/test_preview_browser.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from mscreport.cli import _as_build_argv, make_parser
from mscreport.core.errors import InputError
from mscreport.pipeline import preview as pv

BIN = Path(sys.executable).parent
FIX = Path(__file__).parent / "fixtures"
SERVING = re.compile(r"^serving http://127\.0\.0\.1:(\d+)/$")


# ------------------------------------------------------------------ the server alone
@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "site"
    (root / "teaching").mkdir(parents=True)
    (root / "index.html").write_text("<html><body><p>index</p></body></html>")
    (root / "teaching" / "01_x.html").write_text("<html><BODY>teaching</BODY></html>")
    (root / "data.json").write_text('{"a": 1}')
    (tmp_path / "secret.txt").write_text("outside")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    state = pv.SiteState(root, version=7, page_versions={"index.html": 5})
    server = pv.start_server(state, 0)
    yield state, server.server_address[1], tmp_path
    server.shutdown()
    server.server_close()


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or f"127.0.0.1:{port}")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, dict(resp.getheaders())


def test_serves_the_folder_with_the_reload_script_in_pages_only(site):
    state, port, _ = site
    status, body, headers = _get(port, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<p>index</p>" in body and pv.VERSION_PATH.encode() in body
    assert body.index(b"mscreport preview: reload") < body.rindex(b"</body>")  # inside the body
    assert b"var seen = 5;" in body  # the page's own version (its last change)
    assert b"reload" not in (state.root / "index.html").read_bytes()  # the file on disk untouched
    status, body, _ = _get(port, "/teaching/01_x.html")
    assert status == 200 and body.index(b"var seen = 0;") < body.index(b"</BODY>")
    status, body, headers = _get(port, "/data.json")
    assert status == 200 and json.loads(body) == {"a": 1} and headers["Content-Type"].startswith("application/json")
    assert headers["Cache-Control"] == "no-store"


def test_version_endpoint_reports_the_version_and_a_failed_rebuild(site):
    state, port, _ = site
    status, body, _ = _get(port, pv.VERSION_PATH)
    assert status == 200 and json.loads(body) == {"version": 7, "error": None}
    state.error = "cohort.csv:3:hba1c_baseline: not a number"
    assert json.loads(_get(port, pv.VERSION_PATH)[1])["error"].endswith("not a number")


def test_each_page_has_its_own_version_and_is_seen_open(site):
    """``?page=`` answers that page's version (a page reloads when its own bytes change, not at
    every install) and whether a running rebuild replaces it; asking marks it open."""
    state, port, _ = site
    assert json.loads(_get(port, f"{pv.VERSION_PATH}?page=/")[1]) == {"version": 5, "error": None, "updating": False}
    state.updating = {"teaching/01_x.html"}
    assert json.loads(_get(port, f"{pv.VERSION_PATH}?page=/teaching/01_x.html")[1]) == {"version": 0, "error": None,
                                                                                     "updating": True}
    assert state.open_pages() == {"index.html", "teaching/01_x.html"}
    assert state.open_pages(now=time.monotonic() + pv.OPEN_FOR_S + 1) == set()  # closed: it stopped asking


def test_an_install_moves_the_version_of_changed_pages_only(tmp_path):
    """``PreviewSession._install``: a page whose bytes change gets a new version (its open
    page reloads); one written again with the same bytes keeps its version; ``new_version``
    moves the report's version; a page of a chapter that is gone is removed."""
    from mscreport.pipeline.chapters import list_chapters

    session = pv.PreviewSession()
    try:
        chapters = list_chapters()[:2]
        a, b = chapters[0].html_name, chapters[1].html_name
        session.site.updating = {a, b, "index.html"}
        session._install({a: b"<p>1</p>", b: b"<p>1</p>", "old.html": b"x"}, None)
        first = dict(session.site.page_versions)
        assert first[a] == first[b] and session.site.updating == {"index.html"} and session.site.version == 0
        session._install({a: b"<p>2</p>", b: b"<p>1</p>"}, chapters)
        assert session.site.page_versions[a] > first[a] and session.site.page_versions[b] == first[b]
        assert not (session.site.root / "old.html").exists() and "old.html" not in session.site.page_versions
        session._install({"index.html": b"<p>i</p>"}, chapters, new_version=True)
        assert session.site.version == 1 and session.site.updating == set()
    finally:
        session.close()


def test_page_key_names_a_page_as_the_site_does():
    assert pv.page_key("/") == "index.html" and pv.page_key("") == "index.html"
    assert pv.page_key("/teaching/03_change.html") == "teaching/03_change.html"
    assert pv.page_key("/teaching/") == "teaching/index.html" and pv.page_key("/03_change.html?x=1") == "03_change.html"


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/teaching/../../secret.txt",
                                  "/teaching/%2E%2E/%2e%2e/secret.txt", "/link.txt", "/teaching/", "/nothing.html",
                                  "/%00index.html", "/..%5csecret.txt", "//etc/passwd", "/teaching/..%2f..%2fsecret.txt"])
def test_nothing_outside_the_folder_and_no_listing(site, path):
    _, port, tmp_path = site
    status, body, _ = _get(port, path)
    assert status == 404, (path, body[:200])
    assert b"outside" not in body


def test_other_host_headers_are_refused(site):
    """A page of another site resolving its own name to 127.0.0.1 (DNS rebinding) is refused."""
    _, port, _ = site
    assert _get(port, "/", host=f"localhost:{port}")[0] == 200
    assert _get(port, "/results.json", host=f"evil.example:{port}")[0] == 403
    assert _get(port, "/results.json", host="127.0.0.1")[0] == 403


def test_binds_the_loopback_address_only(site):
    _, port, _ = site
    listening = [c for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
                 and c.laddr.port == port]
    assert [c.laddr.ip for c in listening] == ["127.0.0.1"]
    addresses = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs if a.family == socket.AF_INET}
    for ip in sorted(addresses - {"127.0.0.1"}):  # another address of this machine: nothing listens there
        with pytest.raises(OSError):
            socket.create_connection((ip, port), timeout=2).close()


def test_a_port_in_use_is_bad_input(site):
    state, port, _ = site
    with pytest.raises(InputError, match=f"--port {port}: cannot listen on 127.0.0.1:{port}"):
        pv.start_server(state, port)


def test_inject_reload_without_body_appends():
    out = pv.inject_reload(b"<p>x</p>", 3)
    assert out.startswith(b"<p>x</p><script>") and b"var seen = 3;" in out


def test_preview_command_line():
    args = make_parser().parse_args(["preview", "--port", "0", "--params", "p.yaml", "-p", "alpha=0.1", "--jobs", "2"])
    assert (args.command, args.port, args.params, args.overrides, args.jobs) == ("preview", 0, "p.yaml", ["alpha=0.1"], 2)
    assert make_parser().parse_args(["preview"]).port == pv.DEFAULT_PORT
    # the pages show the build that makes the same report, not the preview
    assert _as_build_argv(["-q", "preview", "--port", "8001", "--params", "p.yaml"]) == ["-q", "build", "--params", "p.yaml"]
    assert _as_build_argv(["preview", "--port=0", "--data", "c.csv"]) == ["build", "--data", "c.csv"]


def test_preview_help_names_the_behaviour():
    proc = subprocess.run([str(BIN / "mscreport"), "preview", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for words in ("serving http://127.0.0.1:PORT/", "--port N", "0: any free port", "--params", "Ctrl-C", "warm"):
        assert words in text, words


def test_bad_port_is_exit_2():
    proc = subprocess.run([str(BIN / "mscreport"), "preview", "--port", "70000"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--port 70000" in proc.stderr and "Traceback" not in proc.stderr


def test_watched_paths(tmp_path):
    from mscreport.pipeline.build import make_plan

    params = tmp_path / "p.yaml"
    params.write_text("severe_above: 8.5\n")
    plan = make_plan(params_file=str(params))
    paths = pv.watched_paths(plan, str(params), (str(tmp_path / "map.yaml"),))
    assert paths[0] == params and plan.data_path in paths and tmp_path / "map.yaml" in paths
    assert all(c.source in paths for c in plan.chapters)
    before = pv.stat_signature(paths)
    time.sleep(0.01)
    params.write_text("severe_above: 8.6\n")  # same size: the modification time tells
    assert pv.stat_signature(paths) != before


# ------------------------------------------------------------------ the command, end to end
class PreviewProcess:
    """``mscreport preview`` in its own process group, its output read by a thread."""

    def __init__(self, *args: str, cwd: Path):
        self.proc = subprocess.Popen([str(BIN / "mscreport"), "preview", "--port", "0", *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: list[str] = []
        self.port: int | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            m = SERVING.match(line.strip())
            if m:
                self.port = int(m.group(1))

    def wait_serving(self, timeout: float = 600) -> int:
        deadline = time.monotonic() + timeout
        while self.port is None:
            assert self.proc.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.1)
        return self.port

    def results(self) -> dict:
        status, body, _ = _get(self.port, "/results.json")
        assert status == 200
        return json.loads(body)

    def wait_results(self, pred, timeout: float = 300) -> float:
        t0 = time.monotonic()
        while True:
            r = self.results()
            if pred(r):
                return time.monotonic() - t0
            assert time.monotonic() - t0 < timeout, "\n".join(self.lines)
            time.sleep(0.02)

    def stop(self) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the whole (own) process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
            raise


def _without_script(body: bytes) -> bytes:
    """A served page without the reload script (it carries the version) and with papermill's
    injected-parameters cell id (a new random id at every execution, in builds too) blanked."""
    body = re.sub(rb"<script>/\* mscreport preview.*?</script>\n", b"", body, flags=re.S)
    return re.sub(rb'(celltag_injected-parameters" id="cell-id=)[0-9a-f]+"', rb'\1"', body)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_preview_end_to_end(tmp_path):
    """The bundled cohort: one ``serving`` line, results.json served; loopback only; a new
    ``severe_above`` in the --params file reaches results.json (in the same kernels); bad
    input keeps the pages and says why; SIGINT leaves no kernel or worker and removes the
    private folder."""
    params = tmp_path / "params.yaml"
    params.write_text("severe_above: 8.0\n")
    p = PreviewProcess("--params", str(params), cwd=tmp_path)
    try:
        port = p.wait_serving()
        first = p.results()
        assert first["params"]["severe_above"] == 8.0 and first["provenance"]["command"].startswith("mscreport build")
        assert "preview" not in first["provenance"]["command"]
        pages_at_first = {}
        for page in ("/", "/03_change.html", "/teaching/03_change.html", "/02_severity.html"):
            status, body, _ = _get(port, page)
            assert status == 200 and pv.VERSION_PATH.encode() in body
            if page != "/":  # the index shows when it was built
                pages_at_first[page] = body
        version = json.loads(_get(port, pv.VERSION_PATH)[1])["version"]

        # loopback only: every listening socket of the preview and its descendants is 127.0.0.1
        tree = [psutil.Process(p.proc.pid), *_descendants(p.proc.pid)]
        listening = [c for proc in tree for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening
        kernels = [q for q in tree if "ipykernel" in " ".join(q.cmdline())]
        assert kernels, [q.cmdline() for q in tree]  # warm kernels are running
        kernel_pids = {q.pid for q in kernels}
        # the private folder: the kernels analyse the snapshot in it
        private = {Path(q.environ()["MSCREPORT_SNAPSHOT"]).parent.parent for q in kernels}
        assert all(f.name.startswith("mscreport-preview-") and f.is_dir() for f in private), private

        params.write_text("severe_above: 8.5\n")
        lag = p.wait_results(lambda r: r["params"]["severe_above"] == 8.5)
        index_now = _get(port, "/")[1]  # the index comes with results.json, before the chapters have run
        assert b"<code>severe_above</code></th><td>8.5</td>" in index_now
        r = p.results()
        assert r["strata"]["severe"]["n"] <= first["strata"]["severe"]["n"]
        # results.json comes first; the pages follow with the next version, which the open pages reload for
        deadline = time.monotonic() + 300
        while json.loads(_get(port, pv.VERSION_PATH)[1])["version"] == version:
            assert time.monotonic() < deadline, "\n".join(p.lines)
            time.sleep(0.05)
        assert json.loads(_get(port, pv.VERSION_PATH)[1])["version"] == version + 1
        assert b"<code>severe_above</code></th><td>8.5</td>" in _get(port, "/")[1]  # the index's parameter table
        # the chapters' records gave the same results.json and index as the library did first (else both are rewritten)
        rebuilt = [line for line in p.lines if line.startswith("rebuilt in ")]
        assert "results.json and the index after" in rebuilt[-1], p.lines
        assert _without_script(_get(port, "/")[1]) == _without_script(index_now)
        # the same kernels did the work (kept warm, not restarted)
        now = {q.pid for q in _descendants(p.proc.pid) if "ipykernel" in " ".join(q.cmdline())}
        assert now == kernel_pids
        print(f"preview: severe_above 8.0 -> 8.5 in results.json after {lag:.2f} s")

        # bad input: the pages stay, the reason is reported, the next good change is built
        params.write_text("severe_above: eight\n")
        deadline = time.monotonic() + 120
        while json.loads(_get(port, pv.VERSION_PATH)[1])["error"] is None:
            assert time.monotonic() < deadline, "\n".join(p.lines)
            time.sleep(0.05)
        assert p.results()["params"]["severe_above"] == 8.5
        params.write_text("severe_above: 8.25\n")
        p.wait_results(lambda r: r["params"]["severe_above"] == 8.25)
        deadline = time.monotonic() + 300  # the banner goes with the pages of the good rebuild
        while json.loads(_get(port, pv.VERSION_PATH)[1])["error"] is not None:
            assert time.monotonic() < deadline, "\n".join(p.lines)
            time.sleep(0.05)
        assert json.loads(_get(port, pv.VERSION_PATH)[1])["version"] == version + 2

        # back to the first value: the same results and pages as the first build (the kernels,
        # reused and restored ahead of each chapter, leave nothing behind that changes a number)
        version = json.loads(_get(port, pv.VERSION_PATH)[1])["version"]
        params.write_text("severe_above: 8.0\n")
        deadline = time.monotonic() + 300
        while json.loads(_get(port, pv.VERSION_PATH)[1])["version"] == version:
            assert time.monotonic() < deadline, "\n".join(p.lines)
            time.sleep(0.05)
        again = p.results()
        assert {k: v for k, v in again.items() if k != "provenance"} == {k: v for k, v in first.items() if k != "provenance"}
        for page in pages_at_first:
            assert _without_script(_get(port, page)[1]) == _without_script(pages_at_first[page]), page
        tree = [psutil.Process(p.proc.pid), *_descendants(p.proc.pid)]
    finally:
        code = p.stop()
    assert code == 0, "\n".join(p.lines)
    time.sleep(1.0)
    left = [q for q in tree if q.is_running() and q.status() != psutil.STATUS_ZOMBIE]
    assert not left, [q.cmdline() for q in left]
    assert not any(path.exists() for path in private), private
    assert any(line == "preview stopped" for line in p.lines), p.lines
    assert not any("Traceback" in line for line in p.lines), "\n".join(p.lines)


@pytest.mark.slow
def test_an_edited_chapter_re_runs_alone(tmp_path):
    """A chapter source saved again re-executes that chapter only; the other's page is kept."""
    import shutil

    from mscreport.pipeline.chapters import list_chapters

    chapters = {c.name: c for c in list_chapters()}
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("02_severity", "07_trajectory"):
        shutil.copy(chapters[name].source, notebooks / chapters[name].source.name)
    env_before = os.environ.get("MSCREPORT_NOTEBOOKS")
    os.environ["MSCREPORT_NOTEBOOKS"] = str(notebooks)
    try:
        p = PreviewProcess("--jobs", "1", cwd=tmp_path)
    finally:
        if env_before is None:
            del os.environ["MSCREPORT_NOTEBOOKS"]
        else:
            os.environ["MSCREPORT_NOTEBOOKS"] = env_before
    try:
        port = p.wait_serving()
        before = _get(port, "/02_severity.html")[1]
        version = json.loads(_get(port, pv.VERSION_PATH)[1])["version"]
        source = notebooks / "07_trajectory.py"
        source.write_text(source.read_text() + "\n# %% [markdown]\n# Preview marker paragraph.\n")
        deadline = time.monotonic() + 300
        while json.loads(_get(port, pv.VERSION_PATH)[1])["version"] == version:
            assert time.monotonic() < deadline and p.proc.poll() is None, "\n".join(p.lines)
            time.sleep(0.05)
        assert b"Preview marker paragraph." in _get(port, "/07_trajectory.html")[1]
        assert _without_script(_get(port, "/02_severity.html")[1]) == _without_script(before)
        rebuilt = [line for line in p.lines if line.startswith("rebuilt in ")]
        assert rebuilt and "(07_trajectory executed, 1 kept)" in rebuilt[-1], p.lines
    finally:
        assert p.stop() == 0, "\n".join(p.lines)


@pytest.mark.slow
def test_the_first_index_equals_the_chapters_for_a_controlled_long_file(tmp_path):
    """A controlled long file (two arms, visits: every design block, the MMRM included): after a changed parameter, results.json and the
    index written from the library before the chapters run (``_fast_index``) are byte for byte
    those the chapters' records then give (``fast_index``: nothing was rewritten)."""
    from mscreport.pipeline.build import make_plan

    path = FIX / "long_visits.csv"
    session = pv.PreviewSession(jobs=2)
    try:
        first = session.rebuild(make_plan(data=str(path), overrides=["alpha=0.05"]))
        assert not first["fast_index"]  # nothing to compare with yet
        again = session.rebuild(make_plan(data=str(path), overrides=["alpha=0.1"]))
        assert again["fast_index"], again
        assert json.loads((session.site.root / "results.json").read_text())["params"]["alpha"] == 0.1
    finally:
        session.close()
