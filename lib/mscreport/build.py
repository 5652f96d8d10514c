"""``mscreport build``: validate, execute each chapter with papermill (in parallel), render
each to two self-contained HTML pages (reader: no code; teaching: code, exercises), merge the
chapters' records into results.json, write index.html, and move everything into place only
when all of it succeeded (the previous reports stay intact otherwise).

A chapter whose inputs are unchanged (its source, the parameters, the cohort file's hash,
the library's source) is reused from the previous build, like Quarto's freeze.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import __version__
from .chapters import ChapterInfo, list_chapters
from .errors import InputError, Problem
from .params import resolve_params
from .paths import (CACHE_DIRNAME, DATA_DIR, DEFAULT_COHORT, IN_CHECKOUT, NOTEBOOKS_DIR, PACKAGE_DIR, REPO_ROOT, REPORTS_DIR,
                    TEACHING_DIRNAME)

MANIFEST = "manifest.json"
KERNEL_START_ATTEMPTS = 3  # a kernel that dies before running any code is started again
RECORD_KEYS = ("overall", "strata", "dose", "published_comparison")


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


def chapter_key(chapter: ChapterInfo, params: dict, data_sha: str, lib_fp: str) -> str:
    payload = json.dumps({"source": _sha(chapter.source.read_bytes()), "params": params, "data": data_sha,
                          "lib": lib_fp, "python": sys.version_info[:2]}, sort_keys=True)
    return _sha(payload.encode())


def read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / CACHE_DIRNAME / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# ------------------------------------------------------------------ one chapter (worker process)
def warm_worker() -> None:
    """Import what a chapter run needs and build the HTML exporters, ahead of the first chapter."""
    import warnings

    warnings.filterwarnings("ignore")
    import jupytext  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from .render import _exporter

    _exporter(True)
    _exporter(False)


def run_chapter(task: dict) -> dict:
    """Execute one chapter with papermill and render both HTML pages. Runs in a worker."""
    import warnings

    warnings.filterwarnings("ignore")
    import jupytext
    import nbformat
    import papermill as pm

    from .render import extract_records, render_pages

    t0 = time.perf_counter()
    name = task["name"]
    work = Path(task["workdir"])
    # kernels' own chatter (e.g. ipykernel's transport warning) goes to a log, not the terminal
    log = os.open(str(work / f"{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    nb = jupytext.read(task["source"])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"  # stable ids: the same HTML every build
    in_path, out_path = work / f"{name}.in.ipynb", work / f"{name}.ipynb"
    nbformat.write(nb, in_path)
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            pm.execute_notebook(str(in_path), str(out_path), parameters=task["parameters"], kernel_name="python3",
                                cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
                                request_save_on_cell_execute=False,  # written once at the end, not after every cell
                                shutdown_kernel="immediate")  # the kernel has nothing to save: no graceful wait
            break
        except pm.PapermillExecutionError as exc:  # the chapter's own code failed: report it
            return {"name": name, "error": f"{exc.ename}: {exc.evalue}".strip(), "elapsed": time.perf_counter() - t0}
        except Exception as exc:  # the kernel died or never answered (e.g. a port taken by a parallel kernel)
            if attempt == KERNEL_START_ATTEMPTS:
                return {"name": name, "error": f"{type(exc).__name__}: {exc} (after {attempt} attempts)",
                        "elapsed": time.perf_counter() - t0}
            print(f"{name}: kernel failed ({type(exc).__name__}: {exc}); retrying", file=sys.stderr)
    executed = nbformat.read(out_path, as_version=4)
    records = extract_records(executed)
    pages = render_pages(executed, task["chapter_nav"])
    for rel, text in pages.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return {"name": name, "records": records, "pages": sorted(pages), "elapsed": time.perf_counter() - t0}


# ------------------------------------------------------------------ the build
def _display_path(path: Path) -> str:
    if path.resolve() == DEFAULT_COHORT.resolve():  # its name in the repository, installed or not
        return f"data/{DEFAULT_COHORT.name}"
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _install(tmp: Path, out: Path) -> None:
    """Move the finished build into ``out``, item by item (ours only; other files are left)."""
    out.mkdir(parents=True, exist_ok=True)
    for item in sorted(tmp.iterdir()):
        dest = out / item.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(item, dest)


def build(data=None, params_file=None, overrides=(), output=None, jobs=None, force=False, argv=(), columns=None) -> int:
    """Build every report; returns the exit code (0 success, 2 bad input or failed chapter).

    ``columns``: a ``column_map.ColumnMap`` of the user's headers (part of the cache key, and
    handed to every chapter as its ``column_map``)."""
    t_start = time.perf_counter()
    params = resolve_params(params_file, list(overrides))
    data_path = Path(data) if data else DEFAULT_COHORT
    shown = data if data else _display_path(DEFAULT_COHORT)
    if not data_path.is_file():
        raise InputError([Problem(str(shown), None, None, "file not found: check the path" if not data_path.exists()
                                  else "not a file")])
    out = Path(output) if output else REPORTS_DIR
    chapters = list_chapters()
    from .hashing import file_sha256

    data_sha = file_sha256(data_path)
    lib_fp = library_fingerprint()
    column_map = columns.as_dict() if columns else {}
    keyed = {**params, "column_map": column_map} if column_map else params
    keys = {c.name: chapter_key(c, keyed, data_sha, lib_fp) for c in chapters}
    manifest = read_manifest(out)
    cached = manifest.get("chapters", {}) if not force else {}

    def is_cached(c: ChapterInfo) -> bool:
        entry = cached.get(c.name)
        return bool(entry and entry.get("key") == keys[c.name] and (out / c.html_name).is_file()
                    and (out / TEACHING_DIRNAME / c.html_name).is_file())

    if (not force and all(is_cached(c) for c in chapters) and (out / "index.html").is_file()
            and (out / "results.json").is_file() and manifest.get("data_path") == str(shown)):
        print(f"{out}: up to date ({len(chapters)} chapters cached; --force rebuilds) in {time.perf_counter() - t_start:.2f} s")
        return 0

    from .cohort import load_cohort

    # workers import papermill and nbconvert while the cohort is validated (no kernel starts yet)
    n_run = sum(1 for c in chapters if not is_cached(c))
    workers = max(1, min(jobs or os.cpu_count() or 1, n_run or 1))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_spawn())
    for _ in range(workers):
        pool.submit(warm_worker)
    try:
        return _validate_and_build(pool, load_cohort, out, chapters, keys, cached, is_cached, params, shown,
                                   data_path, argv, t_start, column_map)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _validate_and_build(pool, load_cohort, out, chapters, keys, cached, is_cached, params, shown, data_path,
                        argv, t_start, column_map=None) -> int:
    cohort = load_cohort(data_path, params, column_map)  # validation: InputError -> exit 2 before any kernel starts
    print(f"validated {shown}: {cohort.rows_read} rows read, {cohort.rows_analysed} analysed, {len(cohort.excluded)} excluded")
    for note in (*cohort.file_notes, *cohort.notes):  # columns not used, look-alike ids, optional cells treated as missing
        print(note)
    data_block = cohort.data_block()  # all the build needs of the cohort: its rows are not kept while chapters run
    del cohort
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        return _build_into(tmp, out, chapters, keys, cached, is_cached, data_block, params, shown, data_path, pool, argv, t_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _build_into(tmp, out, chapters, keys, cached, is_cached, data_block, params, shown, data_path, pool, argv, t_start) -> int:
    from .render import chapter_nav, write_index
    from .results import TOP_KEYS, dumps

    (tmp / TEACHING_DIRNAME).mkdir()
    (tmp / CACHE_DIRNAME).mkdir()
    work = Path(tempfile.mkdtemp(prefix="work-", dir=tmp))
    results_by_chapter: dict[str, dict] = {}
    to_run = []
    for c in chapters:
        if is_cached(c):
            shutil.copy2(out / c.html_name, tmp / c.html_name)
            shutil.copy2(out / TEACHING_DIRNAME / c.html_name, tmp / TEACHING_DIRNAME / c.html_name)
            results_by_chapter[c.name] = {"name": c.name, "records": cached[c.name]["records"], "elapsed": 0.0, "cached": True}
        else:
            to_run.append({"name": c.name, "source": str(c.source), "workdir": str(work),
                           "parameters": {"data_path": str(data_path.resolve()), **params,  # chapters map as validated
                                          **({"column_map": data_block["column_map"]} if data_block.get("column_map") else {})},
                           "chapter_nav": chapter_nav(chapters, c)})
    failures = []
    done = 0
    total = len(chapters)
    for c in chapters:
        if c.name in results_by_chapter:
            done += 1
            print(f"[{done}/{total}] {c.name:<14} cached")
    if to_run:
        for res in pool.map(run_chapter, to_run):
            done += 1
            if "error" in res:
                failures.append(res)
                print(f"[{done}/{total}] {res['name']:<14} FAILED after {res['elapsed']:.1f} s", file=sys.stderr)
                continue
            for rel in res["pages"]:
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(work / rel, target)
            results_by_chapter[res["name"]] = res
            print(f"[{done}/{total}] {res['name']:<14} {res['elapsed']:.1f} s")
    if failures:
        for f in failures:
            print(f"chapter {f['name']} failed: {f['error']}", file=sys.stderr)
        print(f"build failed; {out} left as it was", file=sys.stderr)
        return 2
    shutil.rmtree(work, ignore_errors=True)
    merged: dict = {}
    for c in chapters:
        merged.update(results_by_chapter[c.name]["records"])
    results = {"data": {**data_block, "path": str(shown)}, "params": dict(params)}
    for key in TOP_KEYS[2:]:
        results[key] = merged.get(key)
    results["provenance"] = provenance(shown, data_block["sha256"], argv, time.perf_counter() - t_start)
    extras = {k: v for k, v in merged.items() if k not in TOP_KEYS}
    (tmp / "results.json").write_text(dumps(results), encoding="utf-8")
    write_index(tmp / "index.html", chapters, results, extras)
    manifest = {"version": 1, "data_path": str(shown), "chapters": {
        c.name: {"key": keys[c.name], "records": results_by_chapter[c.name]["records"]} for c in chapters}}
    (tmp / CACHE_DIRNAME / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    _install(tmp, out)
    ran = sum(1 for r in results_by_chapter.values() if not r.get("cached"))
    print(f"wrote {out}/index.html, {len(chapters)} chapters x 2 renderings, results.json "
          f"({ran} executed, {len(chapters) - ran} cached) in {time.perf_counter() - t_start:.1f} s")
    return 0


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
            "command": "mscreport " + " ".join(argv) if argv else "mscreport build"}
