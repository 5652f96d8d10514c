"""``mscreport build``: validate once, execute each chapter with papermill (in parallel),
render each to two self-contained HTML pages (reader: no code; teaching: code, exercises),
assemble results.json, write index.html, and install the whole report in one step.

The steps, in order (see ``outdir`` for the folder rules and ``snapshot`` for the data):

1. parameters resolved and validated (typed); the output folder checked writable;
2. the output folder locked, stale leftovers of killed builds removed, files the build did
   not write refused (unless ``--force``, which keeps them);
3. up to date? A chapter is reused when its source, navigation, the parameters, the data's
   hash and the library are unchanged and its pages still have the hashes the manifest lists;
4. the cohort copied and hashed in one read, validated once, saved as a snapshot that every
   chapter analyses;
5. chapters executed and rendered into a staging folder beside the output folder; a chapter
   that fails leaves the previous report as it was and its executed notebook and traceback
   under ``DIR/failed/`` (exit 3);
6. results.json, index.html and the manifest (with every file's SHA-256) written, and the
   staging folder swapped with the output folder in one rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from mscreport.core.version import __version__
from mscreport.pipeline import outdir
from mscreport.pipeline.chapters import ChapterInfo, chapter_facts, chapters_left_out, for_study, left_out_sentence, list_chapters
from mscreport.core.errors import InputError, Problem
from mscreport.inputs.field_data import is_database_url, is_source_not_file, shown_source
from mscreport.inputs.params import resolve_params
from mscreport.core.paths import (DATA_DIR, DEFAULT_COHORT, IN_CHECKOUT, NOTEBOOKS_DIR, PACKAGE_DIR, REPO_ROOT, REPORTS_DIR,
                    TEACHING_DIRNAME)
from mscreport.analysis.published import check_published_path, published_fingerprint
from mscreport.core.hashing import file_sha256
from mscreport.core.stopped import (BuildStopped, ensure_open_files, failure_stop, is_out_of_files, is_out_of_memory,
                                    out_of_files, out_of_memory, worker_died)
from mscreport.pipeline.engine import (clean_stale_runtime_dirs, fresh_kernels_requested, init_worker, make_runtime_dir,
                                       remove_runtime_dir, run_chapter)
from mscreport.pipeline.kept_aside import changed_files, describe_changed
from mscreport.pipeline.class_build import add_class_material, is_class_build
from mscreport.pipeline.render import chapter_nav, index_css, write_index
from mscreport.pipeline.search_index import INDEX_FILE as SEARCH_INDEX_FILE, SCRIPT_FILE as SEARCH_SCRIPT_FILE, write_search_index
from mscreport.report.results import assemble_results, dumps

EXIT_OK, EXIT_INPUT, EXIT_CHAPTER = 0, 2, 3  # 2: bad input or parameter; 3: a chapter failed


# ------------------------------------------------------------------ the plan
@dataclass
class BuildPlan:
    """Everything one build needs, decided before anything slow runs."""

    data_path: Path  # the user's cohort file
    shown: str  # how results.json and the pages name it (relative to the repository when inside)
    params: dict  # typed and validated
    out: Path
    chapters: list[ChapterInfo]
    jobs: int | None = None
    force: bool = False
    argv: tuple = ()
    t_start: float = field(default_factory=time.perf_counter)
    columns: object = None  # a column_map.ColumnMap of the user's headers, or None
    manifest: dict = field(default_factory=dict)  # of the current output folder
    foreign: list[str] = field(default_factory=list)  # files there the build did not write (kept)
    changed: list[str] = field(default_factory=list)  # files it wrote that were changed since (kept aside)
    fresh_kernels: bool = False  # a fresh kernel per chapter instead of one reused kernel per worker
    source: str | None = None  # a database URL as given (data_path cannot hold one); None for files and folders

    @property
    def data_source(self) -> str:
        """What the cohort is read from: the URL as given, else the path."""
        return self.source or str(self.data_path)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t_start

    def keys(self, data_sha: str) -> dict[str, str]:
        """Cache key of every chapter for a cohort with this hash."""
        lib_fp = library_fingerprint()

        column_map = self.columns.as_dict() if self.columns else {}
        keyed = {**self.params, "column_map": column_map} if column_map else dict(self.params)
        reading = self.columns.reading() if self.columns is not None else {}
        if reading:  # -p date_format, --values: the cells analysed depend on them
            keyed["reading"] = reading
        figures = published_fingerprint(self.params)
        if figures:  # a user's published-figures file: its content, not only its name
            keyed["published_sha256"] = figures
        return {c.name: chapter_key(c, self.chapters, keyed, data_sha, lib_fp) for c in self.chapters}

    def cached(self, keys: dict[str, str]) -> set[str]:
        """Chapters whose pages in the output folder are current and intact (none with --force)."""
        if self.force or self.manifest.get("version") != outdir.MANIFEST_VERSION:
            return set()
        files = self.manifest.get("files", {})
        entries = self.manifest.get("chapters", {})

        def intact(rel: str) -> bool:
            p = self.out / rel
            return files.get(rel) is not None and p.is_file() and outdir.file_sha(p) == files[rel]

        return {c.name for c in self.chapters
                if entries.get(c.name, {}).get("key") == keys[c.name]
                and intact(c.html_name) and intact(f"{TEACHING_DIRNAME}/{c.html_name}")}


def _display_path(path: Path) -> str:
    if path.resolve() == DEFAULT_COHORT.resolve():  # its name in the repository, installed or not
        return f"data/{DEFAULT_COHORT.name}"
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def make_plan(data=None, params_file=None, overrides=(), output=None, jobs=None, force=False, argv=(),
              columns=None, fresh_kernels=False, request=None) -> BuildPlan:
    """Resolve the parameters and the paths (InputError on a bad one). ``columns``: a
    ``column_map.ColumnMap`` of the user's headers (part of the cache key). ``fresh_kernels``
    (or the environment variable ``MSCREPORT_FRESH_KERNELS=1``): one fresh kernel per chapter."""
    t0 = time.perf_counter()
    params = request.params if request is not None else resolve_params(params_file, list(overrides))

    check_published_path(params)  # a bad published-figures file is bad input (exit 2), before any chapter
    data_path = Path(data) if data else DEFAULT_COHORT
    shown = data if data else _display_path(DEFAULT_COHORT)
    source = str(data) if data and is_database_url(data) else None  # a URL: Path() would fold its '//'
    shown = shown_source(shown)  # never a password
    return BuildPlan(data_path=data_path, shown=str(shown), params=params, source=source,
                     out=Path(output) if output else REPORTS_DIR, chapters=list_chapters(), jobs=jobs,
                     force=force, argv=tuple(argv), t_start=t0, columns=columns,
                     fresh_kernels=bool(fresh_kernels) or fresh_kernels_requested())


# ------------------------------------------------------------------ cache keys
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_fingerprint() -> str:
    """Hash of the library's own sources, templates and the published figures."""
    h = hashlib.sha256(__version__.encode())
    files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".css", ".json"))
    files.append(DATA_DIR / "published_results.yaml")
    for p in files:
        h.update(str(p.relative_to(REPO_ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def chapter_key(chapter: ChapterInfo, chapters: list[ChapterInfo], params: dict, data_sha: str, lib_fp: str) -> str:
    """A chapter's inputs: its source, its navigation (neighbours' titles), the parameters,
    the data, the library and the Python version."""
    payload = json.dumps({"source": _sha(chapter.source.read_bytes()), "nav": chapter_nav(chapters, chapter),
                          "params": params, "data": data_sha, "lib": lib_fp, "python": sys.version_info[:2]},
                         sort_keys=True)
    return _sha(payload.encode())


# ------------------------------------------------------------------ the build
def build(data=None, params_file=None, overrides=(), output=None, jobs=None, force=False, argv=(), columns=None,
          fresh_kernels=False, request=None) -> int:
    """Build every report; returns the exit code (0 success, 2 bad input, 3 a chapter failed).

    ``columns``: a ``column_map.ColumnMap`` of the user's headers; the snapshot the chapters
    analyse is the cohort as mapped and validated. ``fresh_kernels``: one fresh kernel per
    chapter (the fallback) instead of one kernel per worker reused for its chapters.
    ``request``: the parameters already read (``params.read_request``, as the command line
    does), instead of ``params_file`` and ``overrides``."""
    where = str(output) if output else str(REPORTS_DIR)
    try:
        ensure_open_files(where)  # before anything: a limit too low to run is said at once (exit 6)
        return _build(data, params_file, overrides, output, jobs, force, argv, columns, fresh_kernels, request)
    except BuildStopped as exc:
        raise exc.report_kept() from None
    except Exception as exc:  # noqa: BLE001 - only the machine's limits are turned into a stop; the rest re-raised
        if is_out_of_memory(exc):
            raise out_of_memory(where).report_kept() from None
        if is_out_of_files(exc):
            raise out_of_files(where, exc).report_kept() from None
        raise


def _build(data, params_file, overrides, output, jobs, force, argv, columns, fresh_kernels, request) -> int:
    """``build`` once the process limits are checked."""
    from mscreport.inputs.snapshot import check_cohort_path  # lazy: it imports the cohort (pandas)

    plan = make_plan(data, params_file, overrides, output, jobs, force, argv, columns, fresh_kernels, request)
    if not is_source_not_file(plan.data_source):  # a folder or a database (OMOP) is read where it is
        check_cohort_path(plan.data_path, plan.shown)
    if plan.out.is_symlink() or plan.out.name in ("", ".", "..") or ".." in plan.out.parts:
        # the swap replaces the folder a link points to, not the link; `.` and `sub/..` have a real name
        plan.out = plan.out.resolve()
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    outdir.check_writable(plan.out)  # before any chapter runs
    lock = outdir.OutputLock(plan.out)
    lock.acquire()
    previous = _stop_on_sigterm()
    try:
        return _locked_build(plan)
    finally:
        lock.release()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_on_sigterm():
    """SIGTERM (``timeout``, ``kill``) unwinds like Ctrl-C: workers, kernels and the staging
    folder are removed. Returns the previous handler (None outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def _locked_build(plan: BuildPlan) -> int:
    outdir.clean_stale_staging(plan.out)
    clean_stale_runtime_dirs()
    plan.manifest = outdir.read_manifest(plan.out)
    plan.foreign = outdir.foreign_entries(plan.out, plan.manifest)
    if set(plan.foreign) - outdir.KEPT_NEIGHBOURS and not plan.force:
        blocking = [f for f in plan.foreign if f not in outdir.KEPT_NEIGHBOURS]
        raise InputError([Problem(str(plan.out), None, None, outdir.describe_foreign(plan.out, blocking))])
    plan.changed = changed_files(plan.out, plan.manifest)  # pages the user edited since: theirs now
    if plan.changed and not plan.force:
        raise InputError([Problem(str(plan.out / plan.changed[0]), None, None, describe_changed(plan.changed))])
    clash = sorted(set(plan.foreign) & set(report_paths(plan.chapters)))
    if clash:  # even --force never overwrites a file the build did not write
        raise InputError([Problem(str(plan.out / clash[0]), None, None, outdir.CLASH_MESSAGE)])
    if _up_to_date(plan):
        print(f"{plan.out}: up to date ({len(plan.manifest['chapters'])} chapters cached; --force rebuilds) in {plan.elapsed():.2f} s")
        return EXIT_OK
    staging = outdir.Staging(plan.out)
    try:
        return _build_staged(plan, staging)
    finally:
        staging.remove()


def report_paths(chapters: list[ChapterInfo]) -> list[str]:
    """Every file a successful build writes into the output folder (relative paths)."""
    return ["index.html", "results.json", SEARCH_INDEX_FILE, SEARCH_SCRIPT_FILE, outdir.MANIFEST_REL,
            *(rel for c in chapters for rel in (c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"))]


def _up_to_date(plan: BuildPlan) -> bool:
    """Whether the folder already holds this build. The chapters are those the last build made
    of the notebooks (the study's titles, the chapters that did not apply left out, as the
    manifest recorded them); the keys, which hash the data, the parameters and every source,
    say whether that shape still holds."""
    m = plan.manifest
    if plan.force or m.get("failed") or m.get("data_path") != plan.shown or not plan.data_path.is_file():
        return False
    shape = m.get("study") or {}
    left_out = set(shape.get("chapters_left_out") or [])
    chapters = [c for c in for_study(plan.chapters, shape.get("study_tags")) if c.name not in left_out]
    if set(m.get("chapters", {})) != {c.name for c in chapters} or not left_out <= {c.name for c in plan.chapters}:
        return False
    every_chapter, plan.chapters = plan.chapters, chapters
    try:
        keys = plan.keys(file_sha256(plan.data_path))
        return plan.cached(keys) == {c.name for c in chapters} and outdir.files_intact(plan.out, m)
    finally:
        plan.chapters = every_chapter


def load_snapshot_cohort(plan: BuildPlan, work: Path):
    """Copy and hash the cohort file in one read, validate the copy once, save the snapshot.
    Messages and results name the user's file, never the copy."""
    import dataclasses as dc

    from mscreport.inputs.cohort import load_cohort  # lazy: pandas loads after the workers have started
    from mscreport.inputs.snapshot import copy_and_hash, save_snapshot  # lazy: it imports the cohort (pandas)

    (work / "input").mkdir()
    if is_source_not_file(plan.data_source):  # an OMOP folder or database: read in place, hashed as extracted
        copy, sha = plan.data_source, None
    else:
        copy, sha = copy_and_hash(plan.data_path, plan.shown, work / "input")

    def renamed(p: Problem) -> Problem:
        if p.file == str(copy):
            return dc.replace(p, file=plan.shown)
        if str(p.file).startswith(str(copy) + "/"):  # a table of a folder (omop.py names them FOLDER/table)
            return dc.replace(p, file=plan.shown.rstrip("/") + str(p.file)[len(str(copy)):])
        return p

    try:
        cohort = load_cohort(copy, plan.params, plan.columns)
    except InputError as exc:
        raise InputError([renamed(p) for p in exc.problems]) from None
    database = cohort.data_format.startswith("omop")  # a folder or a database: the extracted rows' canonical hash
    cohort = dc.replace(cohort, path=plan.shown, sha256=cohort.sha256 if database or sha is None else sha,
                        excluded=cohort.excluded, notes=tuple(renamed(p) for p in cohort.notes),
                        file_notes=tuple(renamed(p) for p in cohort.file_notes))
    save_snapshot(cohort, work / "snapshot")
    return cohort


VALIDATE_APART_BYTES = 64 << 20  # a cohort file this big is validated in a process of its own (its memory returned)


def _validate_summary(plan: BuildPlan, work: Path) -> dict:
    """``load_snapshot_cohort`` and what the build keeps of it (the rows stay in the snapshot);
    an InputError comes back as its problems (it does not pickle whole)."""
    try:
        cohort = load_snapshot_cohort(plan, work)
    except InputError as exc:
        return {"problems": exc.problems}
    return {"line": f"validated {plan.shown}: {cohort.rows_read} rows read, {cohort.rows_analysed} analysed, "
                    f"{len(cohort.excluded)} excluded",
            "notes": [*cohort.file_notes, *cohort.notes], "data_block": cohort.data_block(), "params": cohort.params,
            "resolved_params": cohort.resolved_params,
            "study_tags": sorted(cohort.study.tags()) if cohort.study else None,
            "chapter_facts": chapter_facts(cohort)}


def validate_once(plan: BuildPlan, work: Path) -> dict:
    """Validate the cohort once and write the snapshot (``load_snapshot_cohort``). A file of
    ``VALIDATE_APART_BYTES`` or more is validated in a short-lived process, so that the
    gigabytes its validation takes are returned before the chapters run (a process keeps what
    it once allocated); a smaller one in this process (no process start to pay)."""
    large = is_source_not_file(plan.data_source) or plan.data_path.stat().st_size >= VALIDATE_APART_BYTES
    if large:  # a folder or a database may hold millions of rows: validated apart too
        with ProcessPoolExecutor(max_workers=1, mp_context=_spawn()) as ex:
            future = ex.submit(_validate_summary, plan, work)
            procs = list((getattr(ex, "_processes", None) or {}).values())
            try:
                summary = future.result()
            except BrokenProcessPool:
                raise worker_died(str(plan.out), _exit_codes(procs)) from None
    else:
        summary = _validate_summary(plan, work)
    if "problems" in summary:
        raise InputError(summary["problems"])
    return summary


def _exit_codes(procs: list, wait_s: float = 5.0) -> list[int | None]:
    """The exit codes of the pool's processes once they have ended (negative: the signal that
    killed one). The pool's own thread may reap a process at the same moment, so a code that
    reads None is read again for a while."""
    deadline = time.monotonic() + wait_s
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    while any(proc.exitcode is None for proc in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [proc.exitcode for proc in procs]


def _build_staged(plan: BuildPlan, staging: outdir.Staging) -> int:
    runtime = make_runtime_dir()
    n_workers = max(1, min(plan.jobs or os.cpu_count() or 1, len(plan.chapters)))
    kernel_cwd = None if plan.fresh_kernels else str(NOTEBOOKS_DIR)  # kernels run in the chapters folder
    pool, procs, interrupted = None, [], False
    try:
        pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=_spawn(), initializer=init_worker,
                                   initargs=(str(runtime), str((staging.work / "snapshot").absolute()), kernel_cwd))
        for _ in range(n_workers):  # workers start their kernels and import while the cohort is validated
            pool.submit(os.getpid)
        procs = list((getattr(pool, "_processes", None) or {}).values())
        return _run(plan, staging, pool)
    except BrokenProcessPool:  # a worker died, at start-up or in a chapter: the build cannot finish
        interrupted = True
        raise worker_died(str(plan.out), _exit_codes(procs)) from None
    except BaseException:
        interrupted = True
        raise
    finally:
        if pool is not None:
            if interrupted:  # stop the running chapters now: the workers kill their kernels
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
            pool.shutdown(wait=not interrupted, cancel_futures=True)
        remove_runtime_dir(runtime)


def _run(plan: BuildPlan, staging: outdir.Staging, pool) -> int:
    summary = validate_once(plan, staging.work)
    print(summary["line"])
    for note in summary["notes"]:  # columns not used, look-alike ids, optional cells treated as missing
        print(note)
    data_block, params = summary["data_block"], summary["params"]  # the one source of both
    left_out = chapters_left_out(plan.chapters, summary.get("chapter_facts"))  # no dose chapter without doses, ...
    every_chapter = plan.chapters = for_study(plan.chapters, summary.get("study_tags"))  # titles and questions of this study
    plan.chapters = [c for c in plan.chapters if c.name not in left_out]
    keys = plan.keys(data_block["sha256"])
    cached = plan.cached(keys)
    report, work = staging.report, staging.work
    records: dict[str, dict] = {}
    to_run = []
    shown_data = plan.shown if not Path(plan.shown).is_absolute() else Path(plan.shown).name
    for c in plan.chapters:
        if c.name in cached:
            for rel in (c.html_name, f"{TEACHING_DIRNAME}/{c.html_name}"):
                shutil.copy2(plan.out / rel, report / rel)
            records[c.name] = plan.manifest["chapters"][c.name]["records"]
        else:  # typed, validated values; the chapter analyses the snapshot, data_path is its label
            to_run.append({"name": c.name, "source": str(c.source), "workdir": str(work.absolute()), "cwd": str(NOTEBOOKS_DIR),
                           "parameters": {"data_path": shown_data, **params}, "chapter_nav": chapter_nav(plan.chapters, c),
                           "study_tags": summary.get("study_tags")})
    total, done, failures = len(plan.chapters), 0, []
    for c in plan.chapters:
        if c.name in cached:
            done += 1
            print(f"[{done}/{total}] {c.name:<14} cached")
    for res in _results(pool, to_run):
        done += 1
        if "error" in res:
            stop = failure_stop(f"{res['error']}\n{res.get('traceback', '')}", str(plan.out))
            if stop is not None:  # its kernel out of memory or descriptors: the machine's limit, not the chapter's code
                raise stop
            failures.append(res)
            print(f"[{done}/{total}] {res['name']:<14} FAILED after {res['elapsed']:.1f} s", file=sys.stderr)
            continue
        for rel in res["pages"]:
            os.replace(work / rel, report / rel)
        records[res["name"]] = res["records"]
        print(f"[{done}/{total}] {res['name']:<14} {res['elapsed']:.1f} s")
    if failures:
        return _report_failures(plan, failures)
    results, extras = assemble_results(data_block, summary["resolved_params"], [records[c.name] for c in plan.chapters])
    results["provenance"] = provenance(plan.shown, data_block["sha256"], plan.argv, plan.elapsed())
    outdir.write_text(report / "results.json", dumps(results))
    extras["chapters_left_out"] = left_out_sentence(every_chapter, left_out)
    write_index(report / "index.html", plan.chapters, results, extras)
    write_search_index(report, plan.chapters)  # after every page: the offline search's index
    if is_class_build(data_block["sha256"]):  # the teacher's guide, the class's workbooks and their links
        add_class_material(report, plan.chapters, results["params"], index_css())
    manifest = {"version": outdir.MANIFEST_VERSION, "data_path": plan.shown, "files": outdir.sha_listing(report),
                "chapters": {c.name: {"key": keys[c.name], "records": records[c.name]} for c in plan.chapters},
                "study": {"study_tags": summary.get("study_tags"), "chapters_left_out": sorted(left_out)}}
    outdir.write_manifest(report, manifest)  # last: lists the hashes of everything above
    kept = outdir.install(staging, plan.out, plan.foreign, plan.changed)
    for was, now in kept:  # the user's edits, never deleted: say where they are
        print(f"{was}: changed since mscreport wrote it; kept as {plan.out / now.relative_to(report)}", file=sys.stderr)
    ran = len(plan.chapters) - len(cached)
    kernels = "a fresh kernel per chapter" if plan.fresh_kernels else "one reused kernel per worker"
    print(f"wrote {plan.out}/index.html, {total} chapters x 2 renderings, results.json "
          f"({ran} executed, {len(cached)} cached; {kernels}) in {plan.elapsed():.1f} s")
    return EXIT_OK


def _results(pool, tasks: list[dict]):
    """The chapters' results in order. A worker that died (killed, out of memory) raises
    BrokenProcessPool: the build stops (``stopped.worker_died``, exit 4)."""

    futures = [pool.submit(run_chapter, t) for t in tasks]
    for fut in futures:
        yield fut.result()


def _report_failures(plan: BuildPlan, failures: list[dict]) -> int:
    """Keep each failed chapter's executed notebook and traceback under DIR/failed/, say
    which cell failed and how; the report itself is left as it was."""
    out = plan.out
    failed_dir = out / outdir.FAILED_DIRNAME
    manifest = plan.manifest or {"version": outdir.MANIFEST_VERSION, "files": {}, "chapters": {}}
    for rel in manifest.get("failed", []):  # the previous failure's files (ours)
        (out / rel).unlink(missing_ok=True)
    failed_dir.mkdir(parents=True, exist_ok=True)
    kept = []
    for f in failures:
        print(f"chapter {f['name']} failed: {f['error']}", file=sys.stderr)
        if f.get("cell_source") is not None:
            lines = f["cell_source"].splitlines()
            print(f"  in cell {f['cell_index']}:", file=sys.stderr)
            for line in lines[:12]:
                print(f"    {line}", file=sys.stderr)
            if len(lines) > 12:
                print(f"    ... ({len(lines) - 12} more lines)", file=sys.stderr)
        where = []
        if f.get("notebook"):
            shutil.copy2(f["notebook"], failed_dir / f"{f['name']}.ipynb")
            kept.append(f"{outdir.FAILED_DIRNAME}/{f['name']}.ipynb")
            where.append(f"executed notebook {failed_dir / (f['name'] + '.ipynb')}")
        if f.get("traceback"):
            outdir.write_text(failed_dir / f"{f['name']}.traceback.txt", f"{f['error']}\n\n{f['traceback']}\n")
            kept.append(f"{outdir.FAILED_DIRNAME}/{f['name']}.traceback.txt")
            where.append(f"traceback {failed_dir / (f['name'] + '.traceback.txt')}")
        if where:
            print("  kept: " + "; ".join(where), file=sys.stderr)
    outdir.write_manifest(out, {**manifest, "failed": kept})
    print(f"build failed (exit {EXIT_CHAPTER}); the report in {out} was left as it was", file=sys.stderr)
    return EXIT_CHAPTER


def _spawn():
    import multiprocessing

    return multiprocessing.get_context("spawn")


def provenance(data_shown: str, sha: str, argv, elapsed: float) -> dict:
    """Who built this, from what, with what: the only block allowed to differ between builds."""
    import datetime
    import platform
    import subprocess
    from importlib import metadata

    try:
        if not IN_CHECKOUT:  # an installed package: a git repository around it is not ours
            raise OSError
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=5).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=5).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    packages = {}
    for name in ("mscreport", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "papermill",
                 "jupytext", "nbconvert", "nbclient", "ipykernel"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {"built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(elapsed, 2), "git_commit": commit, "git_dirty": dirty,
            "python": platform.python_version(), "platform": platform.platform(), "packages": packages,
            "data_file": data_shown, "data_sha256": sha,
            "command": rebuild_command(argv), "checkout": IN_CHECKOUT}


def rebuild_command(argv) -> str:
    """The command line as typed, shell-quoted, with absolute paths cut to their file names
    (the pages never show where on the builder's machine the files were)."""
    import shlex

    if not argv:
        return "mscreport build"
    return "mscreport " + shlex.join(_without_folders(a) for a in argv)


def _without_folders(arg: str) -> str:
    """An argument with an absolute path cut to its file name: ``/a/b/c.csv`` and
    ``published_path=/a/b/f.yaml`` become ``c.csv`` and ``published_path=f.yaml``."""
    arg = shown_source(arg)  # a database URL without its password
    name, sep, value = arg.partition("=")
    if sep and os.path.isabs(value):
        return f"{name}={Path(value).name}"
    return Path(arg).name if os.path.isabs(arg) else arg
