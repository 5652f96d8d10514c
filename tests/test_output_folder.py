"""The output folder is owned (issue 14.1) and installed atomically under a lock (14.3).

Fast tests: the refusals happen before validation, so no chapter runs. The tests that build
use a one-chapter notebook folder (MSCREPORT_NOTEBOOKS) to stay quick.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mscreport.pipeline import outdir
from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

CHAPTERS = list_chapters()


def _cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "mscreport.cli", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env={**os.environ, **(env or {})}, **kw)


def _tree(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def one_chapter(tmp_path):
    """A notebook folder with the cohort chapter only (a quick real build)."""
    d = tmp_path / "notebooks"
    d.mkdir()
    shutil.copy(CHAPTERS[0].source, d / CHAPTERS[0].source.name)
    return {"MSCREPORT_NOTEBOOKS": str(d)}


# ------------------------------------------------------------------ 14.1 data loss
@pytest.mark.parametrize("folder", [".cache", "teaching"])
def test_foreign_cache_or_teaching_folder_is_refused_and_kept(tmp_path, folder):
    """Issue 14.1: `--output F` deleted an existing F/.cache or F/teaching it did not create."""
    out = tmp_path / "F"
    (out / folder).mkdir(parents=True)
    (out / folder / "thesis.docx").write_text("three years of work")
    (out / "notes.txt").write_text("mine")
    before = _tree(out)
    proc = _cli("build", "--output", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "did not write" in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _tree(out) == before


@pytest.mark.slow
def test_force_builds_but_keeps_foreign_files(tmp_path, one_chapter):
    out = tmp_path / "F"
    (out / "teaching").mkdir(parents=True)
    (out / "teaching" / "lesson.md").write_text("mine")
    (out / ".cache").mkdir()
    (out / ".cache" / "thesis.docx").write_text("three years of work")
    proc = _cli("build", "--output", str(out), "--force", env=one_chapter)
    assert proc.returncode == 0, proc.stderr
    assert (out / "teaching" / "lesson.md").read_text() == "mine"
    assert (out / ".cache" / "thesis.docx").read_text() == "three years of work"
    assert (out / "index.html").is_file() and (out / "teaching" / f"{CHAPTERS[0].name}.html").is_file()
    # a rebuild still refuses without --force: those files are still not ours
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 2 and "lesson.md" in proc.stderr


def test_force_never_overwrites_a_foreign_file_at_a_report_path(tmp_path):
    out = tmp_path / "F"
    out.mkdir()
    (out / "index.html").write_text("my own home page")
    proc = _cli("build", "--output", str(out), "--force")
    assert proc.returncode == 2 and "index.html" in proc.stderr
    assert (out / "index.html").read_text() == "my own home page"


@pytest.mark.slow
def test_an_empty_existing_folder_is_fine_and_a_rebuild_reuses(tmp_path, one_chapter):
    out = tmp_path / "F"
    out.mkdir()
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    manifest = json.loads((out / ".cache" / "manifest.json").read_text())
    assert set(manifest["files"]) == {p for p in _tree(out) if p != ".cache/manifest.json"}
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 0 and "up to date" in proc.stdout


@pytest.mark.slow
def test_a_rebuild_with_a_chapter_left_out_is_up_to_date(tmp_path):
    """Issue 23: a user's file without doses leaves the dose chapter out (and reads its own
    chapter titles); its second build was never "up to date" (it ran every chapter again
    from the cache). Now the manifest keeps the study's shape and the rebuild is a no-op."""
    d = tmp_path / "notebooks"
    d.mkdir()
    dose = next(c for c in CHAPTERS if c.topic == "dose")
    for c in (CHAPTERS[0], dose):
        shutil.copy(c.source, d / c.source.name)
    env = {"MSCREPORT_NOTEBOOKS": str(d)}
    out = tmp_path / "F"
    data = str(REPO_ROOT / "tests" / "fixtures" / "arms_two.csv")
    first = _cli("build", "--output", str(out), "--data", data, env=env)
    assert first.returncode == 0, first.stderr
    assert not (out / dose.html_name).exists()  # the dose chapter does not apply: left out
    manifest = json.loads((out / ".cache" / "manifest.json").read_text())
    assert manifest["study"]["chapters_left_out"] == [dose.name]
    again = _cli("build", "--output", str(out), "--data", data, env=env)
    assert again.returncode == 0 and "up to date (1 chapters cached" in again.stdout, again.stdout
    other = _cli("build", "--output", str(out), "--data", data, "-p", "alpha=0.01", env=env)
    assert other.returncode == 0 and "up to date" not in other.stdout  # new parameters: built again


@pytest.mark.slow
def test_a_page_changed_since_the_build_is_refused_and_kept_aside_with_force(tmp_path, one_chapter):
    """Issue 24.11: notes appended to index.html were overwritten without a word, although the
    manifest's hash showed the page changed. Now it counts as the user's: refused without
    --force; with it, kept aside (never deleted) and the message says where."""
    out = tmp_path / "F"
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    page = out / "index.html"
    edited = page.read_bytes().replace(b"</body>", b"<p>my notes from the meeting</p></body>")
    page.write_bytes(edited)
    before = _tree(out)
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "index.html" in proc.stderr and "changed since mscreport wrote it" in proc.stderr and "--force" in proc.stderr
    assert _tree(out) == before and "[1/" not in proc.stdout
    proc = _cli("build", "--output", str(out), "--force", env=one_chapter)
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.edited.html").read_bytes() == edited
    assert f"kept as {out / 'index.edited.html'}" in proc.stderr
    assert b"my notes" not in page.read_bytes() and page.is_file()
    proc = _cli("build", "--output", str(out), env=one_chapter)  # the kept page is the user's file now
    assert proc.returncode == 2 and "index.edited.html" in proc.stderr and "did not write" in proc.stderr


def test_a_changed_page_is_kept_aside_under_a_free_name():
    from mscreport.pipeline.kept_aside import aside_name

    assert aside_name("index.html", lambda n: False) == "index.edited.html"
    assert aside_name("teaching/01_cohort.html", lambda n: False) == "teaching/01_cohort.edited.html"
    taken = {"results.edited.json", "results.edited-2.json"}
    assert aside_name("results.json", taken.__contains__) == "results.edited-3.json"


# ------------------------------------------------------------------ 14.3 atomic install
@pytest.mark.slow
def test_failed_install_leaves_the_old_report_whole(tmp_path, one_chapter, monkeypatch):
    """Issue 14.3: an install failing half-way (a file not writable) left old and new pages mixed."""
    out = tmp_path / "F"
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    before = _tree(out)
    monkeypatch.setenv("MSCREPORT_NOTEBOOKS", one_chapter["MSCREPORT_NOTEBOOKS"])

    def not_writable(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(outdir, "_exchange", not_writable)
    assert main(["build", "--output", str(out), "-p", "alpha=0.01"]) == 2
    assert _tree(out) == before
    assert not list(tmp_path.glob(".F.build-*")), "the staging folder is removed"
    monkeypatch.undo()
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 0 and "up to date" in proc.stdout  # the old report is whole and still current


def test_unwritable_output_is_found_before_any_chapter_runs(tmp_path, monkeypatch, capsys):
    """Issue 14.9: a read-only output folder was discovered only after every chapter ran."""
    out = tmp_path / "F"

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(outdir, "_probe_writable", refuse)
    t0 = time.perf_counter()
    assert main(["build", "--output", str(out)]) == 2
    err = capsys.readouterr()
    assert "Permission denied" in err.err and str(tmp_path) in err.err
    assert "validated" not in err.out and "[1/" not in err.out
    assert time.perf_counter() - t0 < 5


@pytest.mark.slow
def test_stale_staging_folders_of_a_killed_build_are_cleaned(tmp_path, one_chapter):
    out = tmp_path / "F"
    stale = tmp_path / ".F.build-dead1234"
    (stale / "report").mkdir(parents=True)
    (stale / outdir.STAGING_MARKER).write_text("999999999")
    foreign = tmp_path / ".F.build-notours"
    foreign.mkdir()  # no marker: not ours, kept
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    assert not stale.exists() and foreign.exists()


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_report_and_no_leftovers(tmp_path, one_chapter):
    """Issue 14.3/14.7: SIGKILL or SIGTERM in the middle of a build. Its builds get a temporary
    folder of their own (issue 24.14: it asserted over every kernel folder of the machine's)."""
    import signal
    import tempfile

    import psutil

    own_tmp = Path(tempfile.mkdtemp(prefix="mk", dir="/tmp"))  # short: kernel socket paths live there
    one_chapter = {**one_chapter, "TMPDIR": str(own_tmp)}
    try:
        _killed_builds(tmp_path, one_chapter, own_tmp, signal, psutil)
    finally:
        shutil.rmtree(own_tmp, ignore_errors=True)


def _killed_builds(tmp_path, one_chapter, own_tmp, signal, psutil):
    out = tmp_path / "F"
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    before = _tree(out)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen([sys.executable, "-m", "mscreport.cli", "build", "--output", str(out), "--force"],
                                cwd=REPO_ROOT, env={**os.environ, **one_chapter}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        kernel_seen = False
        deadline = time.time() + 60
        while time.time() < deadline and not kernel_seen:  # kill while a kernel runs the chapter
            time.sleep(0.1)
            kids = psutil.Process(proc.pid).children(recursive=True)
            kernel_seen = any("ipykernel" in " ".join(k.cmdline()) for k in kids if k.is_running())
        assert kernel_seen
        kids = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(sig)
        proc.wait(30)
        gone, alive = psutil.wait_procs(kids, timeout=10)
        assert not alive, f"{sig.name}: orphans left: {[p.cmdline() for p in alive]}"
        assert _tree(out) == before, sig.name
        if sig == signal.SIGTERM:
            assert not list(tmp_path.glob(".F.build-*")), "SIGTERM: staging removed"
    # after SIGKILL the next build cleans the stale staging folder and kernel files
    assert _cli("build", "--output", str(out), env=one_chapter).returncode == 0
    assert not list(tmp_path.glob(".F.build-*"))
    leftovers = [d.name for d in own_tmp.iterdir() if "mscreport-kernels" in d.name]  # connection files, keys
    assert not leftovers, f"stale kernel folders {leftovers}"


@pytest.mark.slow
def test_two_concurrent_builds_into_one_folder_never_mix(tmp_path, one_chapter):
    """Issue 14.3: two builds at once (different alpha) ended with an index at 95 % and every
    chapter at 99 %, then served as "up to date". Now the second waits for the first."""
    out = tmp_path / "F"
    procs = [subprocess.Popen([sys.executable, "-m", "mscreport.cli", "build", "--output", str(out), "-p", f"alpha={a}"],
                              cwd=REPO_ROOT, env={**os.environ, **one_chapter}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for a in (0.05, 0.01)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sum("waiting for it" in o for o, _ in outputs) == 1, outputs
    alpha = json.loads((out / "results.json").read_text())["params"]["alpha"]
    page = (out / f"{CHAPTERS[0].name}.html").read_text()
    assert re.search(rf"<code>alpha</code></th><td>{re.escape(f'{alpha:g}')}</td>", page)  # the parameters table's row
    index = (out / "index.html").read_text()
    assert f"<td>{alpha:g}</td>" in index
    proc = _cli("build", "--output", str(out), "-p", f"alpha={alpha}", env=one_chapter)
    assert "up to date" in proc.stdout


def test_a_neighbours_new_title_changes_a_chapters_cache_key(tmp_path):
    """Issue 14.9: cached neighbouring chapters kept an old chapter title in their navigation."""
    from mscreport.pipeline.build import chapter_key
    from mscreport.pipeline.chapters import ChapterInfo

    src = tmp_path / "01_a.py"
    src.write_text("# %% [markdown]\n# # A\n")
    a = ChapterInfo("01_a", src, "A", "")
    before = [a, ChapterInfo("02_b", src, "Old title", "")]
    after = [a, ChapterInfo("02_b", src, "New title", "")]
    assert chapter_key(a, before, {}, "sha", "lib") != chapter_key(a, after, {}, "sha", "lib")
    assert chapter_key(a, before, {}, "sha", "lib") == chapter_key(a, list(before), {}, "sha", "lib")


@pytest.mark.slow
def test_a_readme_beside_the_report_is_kept_without_force(tmp_path, one_chapter):
    """The repository ships reports/README.md: a note the build keeps (never deletes, never refuses),
    while any other foreign file still needs --force."""
    out = tmp_path / "F"
    out.mkdir()
    (out / "README.md").write_text("what this folder is")
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 0, proc.stderr
    assert (out / "README.md").read_text() == "what this folder is"
    assert (out / "index.html").is_file()
    (out / "notes.txt").write_text("mine")
    proc = _cli("build", "--output", str(out), env=one_chapter)
    assert proc.returncode == 2 and "notes.txt" in proc.stderr and "README.md" not in proc.stderr


# ------------------------------------------------------------------ issue 24.10: `.`, `..`, mount points
@pytest.mark.slow
def test_output_dot_builds_into_the_current_folder_and_keeps_it(tmp_path, one_chapter):
    """Issue 24.10: `--output .` refused its own lock file (`..lock`); with --force every
    chapter ran and then the swap failed ("Device or resource busy"). The current folder is
    installed entry by entry, so the user's shell is not left in a deleted folder."""
    out = tmp_path / "F"
    out.mkdir()
    inode = out.stat().st_ino

    def build_here(*args):
        return subprocess.run([sys.executable, "-m", "mscreport.cli", "build", "--output", ".", *args],
                              capture_output=True, text=True, cwd=out, env={**os.environ, **one_chapter})

    proc = build_here()
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").is_file() and out.stat().st_ino == inode
    assert not (out / "..lock").exists() and not list(out.glob(".mscreport-build-*"))
    assert not list(tmp_path.glob(".F.build-*"))
    proc = build_here()
    assert proc.returncode == 0 and "up to date" in proc.stdout, proc.stderr  # nothing of its own counts as foreign
    proc = build_here("--force", "-p", "alpha=0.01")
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_ino == inode and '"alpha": 0.01' in (out / "results.json").read_text()


@pytest.mark.slow
def test_output_with_dotdot_builds_into_the_folder_it_names(tmp_path, one_chapter):
    """Issue 24.10: `--output F/sub/..` ran every chapter, then failed ("Invalid argument")."""
    out = tmp_path / "F"
    (out / "sub").mkdir(parents=True)
    proc = _cli("build", "--output", str(out / "sub" / ".."), "--force", env=one_chapter)
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").is_file() and (out / "sub").is_dir()  # sub/ is the user's: kept
    assert not list((out / "sub").iterdir()) and not list(tmp_path.glob(".F.build-*"))


def _as_mount_point(monkeypatch, out: Path):
    """Make ``out`` behave as a mount point whose parent is not writable (a container volume):
    detected as one, renaming the folder itself fails with EBUSY, probing its parent fails."""
    import errno

    from mscreport.pipeline import inplace

    real_probe, real_exchange, real_rename = outdir._probe_writable, outdir._exchange, os.rename
    monkeypatch.setattr(inplace, "is_mount_point", lambda folder: Path(folder) == out)

    def probe(folder):
        if Path(folder) == out.parent:
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))
        return real_probe(folder)

    def whole_folder_busy(real):
        def rename(a, b, *args, **kw):
            if out in (Path(a), Path(b)):
                raise OSError(errno.EBUSY, "Device or resource busy", str(out))
            return real(a, b, *args, **kw)
        return rename

    monkeypatch.setattr(outdir, "_probe_writable", probe)
    monkeypatch.setattr(outdir, "_exchange", whole_folder_busy(real_exchange))
    monkeypatch.setattr(os, "rename", whole_folder_busy(real_rename))


@pytest.mark.slow
def test_a_mount_point_is_built_and_installed_inside(tmp_path, one_chapter, monkeypatch):
    """Issue 24.10: a mount point (a container volume) ran every chapter, then the swap failed.
    Its lock and staging folder live inside it and the report is swapped in entry by entry."""
    out = tmp_path / "F"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    monkeypatch.setenv("MSCREPORT_NOTEBOOKS", one_chapter["MSCREPORT_NOTEBOOKS"])
    _as_mount_point(monkeypatch, out)
    assert main(["build", "--output", str(out), "--force", "-q"]) == 0
    assert (out / "index.html").is_file() and (out / "notes.txt").read_text() == "mine"
    assert (out / ".mscreport.lock").is_file() and not list(out.glob(".mscreport-build-*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["F", "notebooks"]  # nothing beside it
    first = _tree(out)
    assert main(["build", "--output", str(out), "--force", "-q", "-p", "alpha=0.01"]) == 0
    after = _tree(out)
    assert after["notes.txt"] == b"mine" and after["index.html"] != first["index.html"]
    assert set(after) == set(first)  # pages replaced, nothing of the old build left
    (out / "notes.txt").unlink()
    assert main(["build", "--output", str(out), "-p", "alpha=0.01"]) == 0  # the lock file is not foreign


def test_an_entry_by_entry_install_that_fails_is_undone(tmp_path):
    from mscreport.pipeline import inplace

    out, report, holder = tmp_path / "F", tmp_path / "new", tmp_path / "F" / ".hold"
    for folder, text in ((out, "old"), (report, "new")):
        (folder / "teaching").mkdir(parents=True)
        for name in ("a.html", "index.html", "teaching/a.html"):
            (folder / name).write_text(text)
    (out / "gone.html").write_text("old")
    holder.mkdir()
    before = _tree(out)
    real = outdir._exchange
    calls = []

    def fails_third(a, b):
        calls.append(b)
        if len(calls) == 3:
            raise OSError(5, "Input/output error", str(b))
        return real(a, b)

    with pytest.raises(OSError):
        inplace.install_entries(report, out, holder, {".hold"}, fails_third)
    assert _tree(out) == before
    inplace.install_entries(report, out, holder, {".hold"}, real)
    assert {k: v for k, v in _tree(out).items() if not k.startswith(".hold/")} == {
        "a.html": b"new", "index.html": b"new", "teaching/a.html": b"new"}


def test_the_lock_file_and_staging_inside_are_never_foreign(tmp_path):
    """Issue 24.10: `--output .` refused its own lock file (`..lock`, written inside the folder)."""
    out = tmp_path / "F"
    (out / ".mscreport-build-abc").mkdir(parents=True)
    (out / ".mscreport-build-abc" / outdir.STAGING_MARKER).write_text("1")
    (out / ".mscreport-build-notours").mkdir()  # no marker: not ours
    (out / ".mscreport.lock").write_text("1")
    (out / "..lock").write_text("1")
    (out / "sub").mkdir()
    (out / "sub" / ".mscreport.lock").write_text("mine")  # only at the top level
    assert outdir.foreign_entries(out, {}) == [".mscreport-build-notours/", "sub/"]
