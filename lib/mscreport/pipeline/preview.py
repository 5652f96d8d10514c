"""``mscreport preview``: build into a private folder, serve it on the loopback address, and
rebuild when an input changes (the contract's "Live preview").

* **Private folder.** ``mkdtemp`` (0700): ``site/`` is what is served (the two renderings of
  every chapter, ``index.html``, ``results.json``), ``work/`` holds the snapshot the chapters
  analyse and their executed notebooks. Removed when the preview stops. The user's
  ``reports/`` is never touched.
* **Warm kernels.** One pool of worker processes for the whole session (``engine.init_worker``:
  one kernel per worker, the scientific stack imported once, restored to its baseline before
  each chapter), so a rebuild pays no process or kernel start.
* **Only what changed.** Each chapter has the build's cache key (``BuildPlan.keys``: its
  source, its navigation, the parameters, the data's hash, the library). A rebuild executes
  the chapters whose key changed and keeps the others' pages and records from memory; a
  parameter counts for every chapter (the conservative map: a chapter may read any parameter
  through the cohort), so a changed threshold re-runs all chapters and an edited chapter
  source only that chapter (and its neighbours when its title, their navigation, changed).
  Chapters are sent longest first (last run's time), so the workers finish together.
* **results.json first.** A chapter's rendering (nbconvert, about a third of its time) is
  queued when it has executed, behind the executions still waiting: results.json is written
  as soon as every chapter's records are in, the pages and index.html when rendered. A worker
  that has rendered puts its kernel back at its baseline (``engine.restore_kernel_ahead``)
  while it waits, so the next change starts executing at once.
* **Watching.** The parameter file, the data (a file, or the files of a folder), ``--columns``,
  the ADSL, the published-figures file and the chapter sources are polled every
  ``POLL_S`` seconds by modification time and size (no extra dependency). A rebuild that
  fails (bad input, a chapter's error) leaves the pages served as they were, says why on
  standard error and in a banner on the open pages, and the next change tries again.
* **Reload.** HTML is served with a small script injected before ``</body>`` (the served
  pages only, never the files in the folder) that polls ``/__preview__/version`` and reloads
  the page when the version moves on (each complete rebuild is one version; pages and the
  version are read under one lock, so a page never carries a newer version than its text).
* **Loopback only.** The server binds 127.0.0.1, answers only requests whose Host is
  127.0.0.1 or localhost at its port (no DNS rebinding), serves only regular files inside
  ``site/`` (no ``..``, no link out, no listing).
* **Stopping.** Ctrl-C (SIGINT) or SIGTERM: the server stops, the workers are terminated (they
  kill their kernels: ``engine._die``), the pool is shut down, the kernel folder and the
  private folder removed. No process is left behind.
"""

from __future__ import annotations

import dataclasses

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from mimetypes import guess_type
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from mscreport.core.disclosure import Policy, set_mode
from mscreport.core.errors import InputError, Problem
from mscreport.core.paths import NOTEBOOKS_DIR, TEACHING_DIRNAME
from mscreport.inputs.field_data import is_source_not_file
from mscreport.pipeline.build import BuildPlan, provenance, validate_once
from mscreport.pipeline.chapters import ChapterInfo, chapters_left_out, for_study, left_out_sentence
from mscreport.pipeline.engine import (clean_stale_runtime_dirs, execute_chapter_records, init_worker, make_runtime_dir,
                                       remove_runtime_dir, render_chapter)
from mscreport.pipeline.render import as_recorded, chapter_nav, write_index
from mscreport.pipeline.search_index import write_search_index
from mscreport.report.results import assemble_results, dumps

HOST = "127.0.0.1"  # loopback only, never 0.0.0.0
DEFAULT_PORT = 8000
POLL_S = 0.1  # seconds between two looks at the watched files' modification times
SETTLE_S = 0.05  # seconds a changed file must stay unchanged before it is read (an editor's save is not atomic)
VERSION_PATH = "/__preview__/version"
RELOAD_POLL_MS = 100  # how often an open page asks for its version (loopback: cheap)
EXIT_OK, EXIT_INPUT, EXIT_CHAPTER = 0, 2, 3

RELOAD_SCRIPT = """<script>/* mscreport preview: reload when this page is rebuilt */
(function () {
  var seen = %(version)d;
  var url = '%(path)s?page=' + encodeURIComponent(location.pathname);
  function banner(text, failed) {
    var b = document.getElementById('mscreport-preview-banner');
    if (!text) { if (b) b.remove(); return; }
    if (!b) {
      b = document.createElement('div');
      b.id = 'mscreport-preview-banner';
      b.setAttribute('role', failed ? 'alert' : 'status');
      document.body.appendChild(b);
    }
    b.style.cssText = 'position:fixed;left:0;right:0;bottom:0;z-index:99999;padding:.6em 1em;' +
      'font:14px/1.4 sans-serif;white-space:pre-wrap;color:#fff;background:' + (failed ? '#7a1010' : '#1d4e89');
    b.textContent = text;
  }
  function poll() {
    fetch(url, {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.version !== seen) { location.reload(); return; }
      if (s.error) {
        banner('mscreport preview: the last rebuild failed; the pages shown are the last good ones.\\n' + s.error, true);
      } else {
        banner(s.updating ? 'mscreport preview: the inputs changed; this page is being rebuilt and reloads by itself.' : '', false);
      }
      setTimeout(poll, %(interval)d);
    }).catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, %(interval)d);
})();
</script>
"""


# ------------------------------------------------------------------ what the server shows
OPEN_FOR_S = 2.0  # a page that asked for its version this recently is open in a browser


@dataclass
class SiteState:
    """The served folder and its versions. ``version``: one complete rebuild is one version.
    ``page_versions``: each file's own version, moved on only when a rebuild changes its bytes
    (an open page reloads then, and only then: the index as soon as results.json is new, a
    chapter's page when that chapter is rendered). ``updating``: the pages a running rebuild
    will replace. ``opened``: when each page last asked for its version (open in a browser).
    ``lock`` is held while a rebuild installs its files and while the server reads a page and
    its version."""

    root: Path
    version: int = 0
    error: str | None = None  # why the last rebuild failed (None: it did not)
    lock: threading.Lock = field(default_factory=threading.Lock)
    page_versions: dict = field(default_factory=dict)
    updating: set = field(default_factory=set)
    opened: dict = field(default_factory=dict)
    installs: int = 0  # file installs so far: the source of page versions

    def status(self, page: str | None = None) -> dict:
        """The version endpoint's answer: the report's version, or with ``page`` (a path
        relative to the site) that page's version and whether a running rebuild replaces it."""
        if page is None:
            return {"version": self.version, "error": self.error}
        return {"version": self.page_versions.get(page, 0), "error": self.error, "updating": page in self.updating}

    def open_pages(self, now: float | None = None) -> set:
        """The pages that asked for their version in the last ``OPEN_FOR_S`` seconds."""
        now = time.monotonic() if now is None else now
        return {page for page, at in self.opened.items() if now - at <= OPEN_FOR_S}


def page_key(url_path: str) -> str:
    """A served page's path relative to the site, as the version endpoint names it
    (``/`` and a folder: its ``index.html``)."""
    parts = [p for p in unquote(urlsplit(url_path).path).split("/") if p not in ("", ".")]
    if not parts or url_path.endswith("/"):
        parts.append("index.html")
    return "/".join(parts)


def inject_reload(html: bytes, version: int) -> bytes:
    """The page with the reload script before its last ``</body>`` (at the end if it has none)."""
    script = (RELOAD_SCRIPT % {"version": version, "path": VERSION_PATH, "interval": RELOAD_POLL_MS}).encode()
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def resolve_request_path(root: Path, url_path: str) -> Path | None:
    """The regular file inside ``root`` that ``url_path`` names (a folder: its index.html);
    None for anything else: a ``..`` segment, a NUL, a link leading out, a missing file."""
    path = unquote(urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *parts)) if parts else real_root
    if os.path.isdir(target):
        target = os.path.join(target, "index.html")
        target = os.path.realpath(target)
    if os.path.commonpath([real_root, target]) != real_root or not os.path.isfile(target):
        return None
    return Path(target)


def make_handler(site: SiteState, port_holder: list):
    """The request handler class for ``site`` (``port_holder[0]``: the port, once bound)."""

    class PreviewHandler(BaseHTTPRequestHandler):
        server_version = "mscreport-preview"
        sys_version = ""

        def log_message(self, format, *args):  # noqa: A002 - the base class's name; quiet
            pass

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            return host in {f"{HOST}:{port_holder[0]}", f"localhost:{port_holder[0]}"}

        def _send(self, status: int, body: bytes, ctype: str, head_only: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def _answer(self, head_only: bool) -> None:
            if not self._host_ok():
                self._send(HTTPStatus.FORBIDDEN, b"forbidden: preview serves 127.0.0.1 and localhost only\n",
                           "text/plain; charset=utf-8", head_only)
                return
            url = urlsplit(self.path)
            if url.path == VERSION_PATH:
                page = parse_qs(url.query).get("page", [None])[0]
                with site.lock:
                    key = None if page is None else page_key(page)
                    if key is not None:
                        site.opened[key] = time.monotonic()
                    body = json.dumps(site.status(key)).encode()
                self._send(HTTPStatus.OK, body, "application/json", head_only)
                return
            with site.lock:  # the page and its version, of one install
                target = resolve_request_path(site.root, self.path)
                body = target.read_bytes() if target is not None else None
                version = site.page_versions.get(page_key(self.path), 0)
            if body is None:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head_only)
                return
            ctype = guess_type(target.name)[0] or "application/octet-stream"
            if ctype == "text/html":
                body, ctype = inject_reload(body, version), "text/html; charset=utf-8"
            elif ctype.startswith("text/") or ctype == "application/json":
                ctype += "; charset=utf-8"
            self._send(HTTPStatus.OK, body, ctype, head_only)

        def do_GET(self):  # noqa: N802 - http.server's name
            self._answer(head_only=False)

        def do_HEAD(self):  # noqa: N802 - http.server's name
            self._answer(head_only=True)

    return PreviewHandler


def start_server(site: SiteState, port: int) -> ThreadingHTTPServer:
    """Bind ``HOST:port`` (0: a free port) and serve ``site`` from a daemon thread. A port in
    use is bad input (InputError naming it)."""
    holder = [port]
    try:
        server = ThreadingHTTPServer((HOST, port), make_handler(site, holder))
    except OSError as exc:
        raise InputError([Problem("--port", None, None, f"--port {port}: cannot listen on {HOST}:{port} "
                                                        f"({exc.strerror or exc}); give another port, or 0 for any free one")]) from None
    server.daemon_threads = True
    holder[0] = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                     name="mscreport-preview-server").start()
    return server


# ------------------------------------------------------------------ what is watched
def watched_paths(plan: BuildPlan, params_file: str | None, extra: tuple[str, ...] = ()) -> list[Path]:
    """Every file whose change triggers a rebuild: the parameter file, the data (a file or the
    files of a folder; nothing for a database URL), ``extra`` (the column map, ...), the ADSL
    and published-figures files named by parameters, and the chapter sources."""
    paths: list[Path] = []
    if params_file:
        paths.append(Path(params_file))
    if plan.source is None:
        data = plan.data_path
        paths.extend(sorted(p for p in data.iterdir() if p.is_file()) if data.is_dir() else [data])
    for name in ("adsl_path", "published_path"):
        value = plan.params.get(name)
        if isinstance(value, str) and value.strip() and value.strip().lower() != "none":
            paths.append(Path(value))
    paths.extend(Path(p) for p in extra if p)
    paths.append(NOTEBOOKS_DIR)  # a chapter added or removed changes the folder
    paths.extend(c.source for c in plan.chapters)
    return paths


def stat_signature(paths: list[Path]) -> tuple:
    """(path, modification time in ns, size) of each path; a missing one as (path, None, None)."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(p), None, None))
    return tuple(out)


# ------------------------------------------------------------------ the session
def headline_figure_record(snapshot: str) -> dict:
    """The index figure's record (``blocks.headline_figure``) of the snapshot in folder
    ``snapshot``: a pool task, drawn by a worker while the preview computes the records."""
    from mscreport.inputs.snapshot import load_snapshot  # lazy: a worker imports the analysis only when asked to draw
    from mscreport.report.blocks import headline_figure  # lazy: as the line above

    cohort = load_snapshot(snapshot)
    return headline_figure(cohort, Policy.of(cohort.params))



@dataclass
class ChapterCache:
    """A chapter's last good run: its key, records, pages (relative path -> bytes) and execution time (s)."""

    key: str
    records: dict
    pages: dict[str, bytes]
    elapsed: float


class PreviewSession:
    """The worker pool (warm kernels), the private folder and the chapters' last good runs."""

    def __init__(self, jobs: int | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="mscreport-preview-"))
        self.site = SiteState(self.root / "site")
        self.site.root.mkdir()
        (self.site.root / TEACHING_DIRNAME).mkdir()
        self.work = self.root / "work"
        self.work.mkdir()
        self.jobs = jobs
        self.cache: dict[str, ChapterCache] = {}
        self.pool = None
        self.runtime = None

    # -- the pool
    def _start_pool(self, n_chapters: int) -> None:
        import multiprocessing

        clean_stale_runtime_dirs()
        self.runtime = make_runtime_dir()
        n = max(1, min(self.jobs or os.cpu_count() or 1, n_chapters))
        self.pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=init_worker,
                                        initargs=(str(self.runtime), str((self.work / "snapshot").absolute()),
                                                  str(NOTEBOOKS_DIR)))
        for _ in range(n):  # start the workers (and their kernels) now
            self.pool.submit(os.getpid)

    def _stop_pool(self) -> None:
        if self.pool is not None:
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                proc.terminate()  # a worker's SIGTERM handler kills its kernel first (engine._die)
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.runtime is not None:
            remove_runtime_dir(self.runtime)
            self.runtime = None

    def close(self) -> None:
        """Stop the workers and their kernels; remove the private folder."""
        try:
            self._stop_pool()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- one rebuild
    def rebuild(self, plan: BuildPlan) -> dict:
        """Validate; write results.json and index.html at once from the library (``fast_index``:
        the open index reloads while the chapters run); execute the chapters whose key changed,
        those open in a browser first; install each chapter's pages as soon as rendered (its open
        pages reload); then results.json and index.html from the chapters' records, which replace
        the first ones only if they differ; and move the version on. Returns what ran and when
        results.json and the index were written (s). Raises InputError (bad input) or
        RuntimeError (a chapter failed; the site is then as before the rebuild)."""
        t0 = time.perf_counter()
        if self.pool is None:
            self._start_pool(len(plan.chapters))
        for stale in ("input", "snapshot"):
            shutil.rmtree(self.work / stale, ignore_errors=True)
        if not is_source_not_file(plan.data_source):
            from mscreport.inputs.snapshot import check_cohort_path  # lazy: it imports the cohort (pandas)

            check_cohort_path(plan.data_path, plan.shown)
        summary = validate_once(plan, self.work)
        left_out = chapters_left_out(plan.chapters, summary.get("chapter_facts"))  # as the build: no dose chapter without doses
        every_chapter = for_study(plan.chapters, summary.get("study_tags"))  # titles and questions of this study
        plan = dataclasses.replace(plan, chapters=[c for c in every_chapter if c.name not in left_out])
        keys = plan.keys(summary["data_block"]["sha256"])
        shown_data = plan.shown if not Path(plan.shown).is_absolute() else Path(plan.shown).name
        to_run = [c for c in plan.chapters if c.name not in self.cache or self.cache[c.name].key != keys[c.name]]
        opened = self.site.open_pages()
        # the chapters open in a browser first, then the longest first (last run's time)
        to_run.sort(key=lambda c: (not ({c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"} & opened),
                                   -(self.cache[c.name].elapsed if c.name in self.cache else 1e9)))
        tasks = [{"name": c.name, "source": str(c.source), "workdir": str(self.work.absolute()), "cwd": str(NOTEBOOKS_DIR),
                  "parameters": {"data_path": shown_data, **summary["params"]}, "chapter_nav": chapter_nav(plan.chapters, c),
                  "study_tags": summary.get("study_tags")} for c in to_run]
        previous = self._read_site(("results.json", "index.html"))
        extras_left_out = left_out_sentence(every_chapter, left_out)
        with self.site.lock:
            self.site.updating = {"index.html", *(rel for c in to_run for rel in (c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"))}
        fast = self._fast_index(plan, summary, extras_left_out, t0) if to_run else None  # before the chapters take the cores
        t_fast = time.perf_counter() - t0 if fast else None
        try:
            if not self.cache:  # the first build: while its chapters run, this process warms up for the next change
                threading.Thread(target=self._warm, daemon=True, name="mscreport-preview-warm").start()
            # a chapter open in a browser is rendered as soon as it has run; every chapter so once the index is served
            render_at_once = {c.name for c in to_run if fast is not None
                              or {c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"} & opened}
            fresh: dict[str, ChapterCache] = {}

            def install_chapter(done: dict, res: dict) -> None:  # a chapter's pages, as soon as rendered
                data = {rel: (self.work / rel).read_bytes() for rel in res["pages"]}
                fresh[done["name"]] = ChapterCache(keys[done["name"]], done["records"], data, done["elapsed"])
                self._install(data, plan.chapters)

            executed, rendered, failed = self._collect(tasks, render_at_once, install_chapter)
        except BrokenProcessPool:
            self._stop_pool()  # the next rebuild starts a new pool
            self._restore(previous)
            raise RuntimeError("a worker process died (out of memory?); the next change starts new ones") from None
        if failed:
            wait(list(rendered.values()))  # the others' pages are kept for nothing, but no task outlives the rebuild
            self._restore(previous)
            raise RuntimeError("\n".join(f"chapter {r['name']} failed: {r['error']}" for r in failed))
        # results.json from the chapters' records (the same as the fast one, unless the library and a chapter disagree)
        records = {c.name: executed[c.name]["records"] if c.name in executed else self.cache[c.name].records
                   for c in plan.chapters}
        results_json, extras = assemble_results(summary["data_block"], summary["resolved_params"],
                                                [records[c.name] for c in plan.chapters])
        matched = fast is not None and dumps(fast["results"]) == dumps(results_json) and fast["extras"] == extras  # NaN-safe
        results_json["provenance"] = (fast["provenance"] if matched else
                                      provenance(plan.shown, summary["data_block"]["sha256"], plan.argv, time.perf_counter() - t0))
        self._install({"results.json": dumps(results_json).encode()}, plan.chapters)
        t_results = t_fast if matched else time.perf_counter() - t0
        try:
            for fut in as_completed(list(rendered.values())):  # each chapter's pages as soon as rendered
                res = fut.result()
                install_chapter(executed[res["name"]], res)
        except BrokenProcessPool:
            self._stop_pool()
            raise RuntimeError("a worker process died (out of memory?); the next change starts new ones") from None
        chapters = {c.name: fresh.get(c.name) or self.cache[c.name] for c in plan.chapters}
        index = self.work / "index.html"
        extras["chapters_left_out"] = extras_left_out
        write_index(index, plan.chapters, results_json, extras)
        files = {"index.html": index.read_bytes()}
        for path in write_search_index(self.work, plan.chapters):  # the pages' search box reads these
            files[path.name] = path.read_bytes()
        self._install(files, plan.chapters, new_version=True)
        self.cache = chapters
        return {"executed": [c.name for c in to_run], "cached": len(plan.chapters) - len(to_run),
                "results_seconds": t_results, "index_seconds": t_fast if matched else time.perf_counter() - t0,
                "fast_index": matched, "seconds": time.perf_counter() - t0, "version": self.site.version}

    def _fast_index(self, plan: BuildPlan, summary: dict, left_out_text: str, t0: float) -> dict | None:
        """results.json and index.html from the library (``blocks.compute_records`` and the
        index figure ``blocks.headline_figure``, in this process, on the snapshot the chapters
        analyse), installed at once. Only when every chapter has run before and the library
        computes every record the chapters gave (their keys decide which records there are:
        a left-out chapter's are absent); None otherwise. The chapters' records written
        afterwards replace these only if they differ (a test holds them equal)."""
        if not self.cache or any(c.name not in self.cache for c in plan.chapters):
            return None
        wanted = {k for c in plan.chapters for k in self.cache[c.name].records}
        try:
            from mscreport.inputs.snapshot import load_snapshot  # lazy: the analysis only once a build is served
            from mscreport.report.blocks import compute_records  # lazy: as the line above

            # the figure is drawn by an idle worker meanwhile (the chapters are not sent yet)
            figure = self.pool.submit(headline_figure_record, str(self.work / "snapshot")) if "headline_figure" in wanted else None
            cohort = load_snapshot(self.work / "snapshot")
            set_mode(Policy.of(cohort.params).mode)  # as a chapter does (``Chapter``)
            records = compute_records(cohort)
            if figure is not None:
                records["headline_figure"] = figure.result()
        except Exception as exc:  # noqa: BLE001 - the chapters still give the pages: say it, do not fail
            print(f"preview: the index waits for the chapters ({type(exc).__name__}: {exc})", file=sys.stderr, flush=True)
            return None
        if not wanted <= records.keys():
            return None
        results, extras = assemble_results(summary["data_block"], summary["resolved_params"],
                                           [as_recorded({k: v for k, v in records.items() if k in wanted})])
        prov = provenance(plan.shown, summary["data_block"]["sha256"], plan.argv, time.perf_counter() - t0)
        index = self.work / "index.html"
        write_index(index, plan.chapters, {**results, "provenance": prov}, {**extras, "chapters_left_out": left_out_text})
        self._install({"results.json": dumps({**results, "provenance": prov}).encode(), "index.html": index.read_bytes()},
                      plan.chapters)
        return {"results": results, "extras": extras, "provenance": prov}

    def _warm(self) -> None:
        """Import the analysis and compute the records once in this process, and draw the index
        figure once in each worker (all discarded), so that ``_fast_index`` pays no import and no
        first call at the first change."""
        try:
            from mscreport.inputs.snapshot import load_snapshot  # lazy: as in _fast_index
            from mscreport.report.blocks import compute_records  # lazy: as in _fast_index

            compute_records(load_snapshot(self.work / "snapshot"))
            for _ in range(len(getattr(self.pool, "_processes", None) or {})):  # queued behind the first build's chapters
                self.pool.submit(headline_figure_record, str(self.work / "snapshot"))
        except Exception:  # noqa: BLE001 - warming only; _fast_index says what fails, when it matters
            pass

    def _collect(self, tasks: list[dict], render_at_once: set, on_rendered) -> tuple[dict, dict, list]:
        """Execute ``tasks`` in their order, as many at a time as there are workers. A chapter in
        ``render_at_once`` is rendered as soon as it has run (ahead of the executions still
        waiting) and handed to ``on_rendered(executed, rendered)`` when it is (its open pages
        reload early); the others' renderings are queued behind the executions (results.json is
        not held up by pages). Returns (records by chapter, rendering futures not yet handed
        over, by chapter, failures)."""
        executed, rendered, failed, later = {}, {}, [], []
        waiting = list(tasks)
        running: dict = {}
        n = max(1, len(getattr(self.pool, "_processes", None) or {}) or self.jobs or os.cpu_count() or 1)
        while waiting or running:
            while waiting and len(running) < n:
                task = waiting.pop(0)
                running[self.pool.submit(execute_chapter_records, task)] = task
            done, _ = wait([*running, *rendered.values()], return_when=FIRST_COMPLETED)
            for fut in done:
                if fut not in running:  # a rendering
                    res = fut.result()
                    del rendered[res["name"]]
                    on_rendered(executed[res["name"]], res)
                    continue
                task = running.pop(fut)
                res = fut.result()
                if "error" in res:
                    failed.append(res)
                    continue
                executed[res["name"]] = res
                if res["name"] in render_at_once:
                    rendered[res["name"]] = self.pool.submit(render_chapter, task)
                else:
                    later.append(task)
        for task in later:
            rendered[task["name"]] = self.pool.submit(render_chapter, task)
        return executed, rendered, failed

    def _read_site(self, names) -> dict[str, bytes | None]:
        """The served bytes of ``names`` (None: not there)."""
        with self.site.lock:
            return {n: (self.site.root / n).read_bytes() if (self.site.root / n).is_file() else None for n in names}

    def _restore(self, previous: dict[str, bytes | None]) -> None:
        """Put back files a failed rebuild replaced early (results.json and the index of ``_fast_index``)."""
        with self.site.lock:
            self.site.updating = set()
        self._install({n: data for n, data in previous.items() if data is not None}, None)

    def _install(self, files: dict[str, bytes], chapters: list[ChapterInfo] | None, new_version: bool = False) -> None:
        """Write ``files`` into the site; a file whose bytes change gets a new page version (its
        open pages reload). With ``chapters``, drop pages of chapters that are gone; with
        ``new_version``, the rebuild is complete: the report's version moves on."""
        with self.site.lock:
            self.site.installs += 1
            for rel, data in files.items():
                target = self.site.root / rel
                self.site.updating.discard(rel)
                if target.is_file() and target.read_bytes() == data:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, target)
                self.site.page_versions[rel] = self.site.installs
            if chapters is not None:
                keep = {"index.html", "results.json",
                        *(rel for c in chapters for rel in (c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"))}
                for path in list(self.site.root.rglob("*.html")) + list(self.site.root.glob("*.json")):
                    rel = str(path.relative_to(self.site.root))
                    if rel not in keep:
                        path.unlink(missing_ok=True)
                        self.site.page_versions.pop(rel, None)
            if new_version:
                self.site.version += 1
                self.site.error = None
                self.site.updating = set()

    def fail(self, message: str) -> None:
        """Keep the pages as they are; tell the open pages why the rebuild failed."""
        with self.site.lock:
            self.site.error = message


# ------------------------------------------------------------------ the command
def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def preview(plan_for, params_file: str | None = None, port: int = DEFAULT_PORT, jobs: int | None = None,
            extra_watched: tuple[str, ...] = (), say=print) -> int:
    """Run the preview until Ctrl-C or SIGTERM; returns the exit code (0; 2 when the first
    build has bad input or the port cannot be bound; 3 when a chapter fails in it). ``say``:
    progress lines (-q: none); the ``serving`` line is always printed.

    ``plan_for()``: a fresh ``BuildPlan`` from the current parameter file (called again after
    every change; raises InputError for a bad one)."""
    main = threading.current_thread() is threading.main_thread()
    # Ctrl-C stops it even when started with SIGINT ignored (a background job of a script)
    previous = (signal.signal(signal.SIGTERM, _raise_interrupt), signal.signal(signal.SIGINT, signal.default_int_handler)) if main else None
    session = PreviewSession(jobs=jobs)
    server = None
    try:
        plan = plan_for()
        seen = stat_signature(watched_paths(plan, params_file, extra_watched))  # before: a change while building counts
        try:
            report = session.rebuild(plan)  # InputError here: exit 2, as a build
        except RuntimeError as exc:  # a chapter failed: nothing to serve yet
            print(f"{exc}\npreview stopped: the first build failed (exit {EXIT_CHAPTER})", file=sys.stderr)
            return EXIT_CHAPTER
        say(f"built {len(plan.chapters)} chapters in {report['seconds']:.1f} s")
        server = start_server(session.site, port)
        print(f"serving http://{HOST}:{server.server_address[1]}/", flush=True)  # always, -q too: the command's product
        _watch(session, plan, plan_for, params_file, extra_watched, seen, say)
    except KeyboardInterrupt:
        say("preview stopped")
        return EXIT_OK
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        session.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
    return EXIT_OK  # pragma: no cover - _watch returns only by an interrupt


def _watch(session: PreviewSession, plan: BuildPlan, plan_for, params_file, extra, seen: tuple, say) -> None:
    """Poll the watched files; rebuild after each change (forever, until interrupted). A
    change made while a rebuild runs is seen at the next look (``seen`` is taken before)."""
    while True:
        time.sleep(POLL_S)
        paths = watched_paths(plan, params_file, extra)
        now = stat_signature(paths)
        if now == seen:
            continue
        while True:  # a file being written (truncated, then filled) is read once it has settled
            time.sleep(SETTLE_S)
            settled = stat_signature(paths)
            if settled == now:
                break
            now = settled
        seen = now
        t0 = time.perf_counter()
        try:
            new_plan = plan_for()
            new_paths = watched_paths(new_plan, params_file, extra)
            if new_paths != paths:  # e.g. data_path changed: watch the new file from now on
                seen = stat_signature(new_paths)
            report = session.rebuild(new_plan)
            plan = new_plan
        except InputError as exc:
            text = "\n".join(str(p) for p in exc.problems)
            print(text, file=sys.stderr, flush=True)
            session.fail(text)
        except RuntimeError as exc:
            print(str(exc), file=sys.stderr, flush=True)
            session.fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - e.g. a rendering that raised: keep serving the last good pages
            text = f"the rebuild failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
            print(text, file=sys.stderr, flush=True)
            session.fail(text)
        else:
            ran = ", ".join(report["executed"]) or "no chapter"
            first = (f"results.json and the index after {report['index_seconds']:.1f} s (from the library, as the chapters then gave)"
                     if report["fast_index"] else f"results.json after {report['results_seconds']:.1f} s")
            say(f"rebuilt in {time.perf_counter() - t0:.1f} s, {first} ({ran} executed, {report['cached']} kept)")
            sys.stdout.flush()
