"""The output folder: owned, locked, and replaced in one step.

* **Owned.** ``DIR/.cache/manifest.json`` lists every file the build wrote into DIR, with its
  SHA-256. A file or folder in DIR that the manifest does not list is *foreign*: the build
  refuses to write into DIR (exit 2) unless ``--force``, and even then it never deletes or
  overwrites a foreign file (foreign files are carried over into the new report unchanged).
  A file the manifest lists but whose hash changed since is the user's too (``kept_aside``):
  refused without ``--force``, kept aside as ``NAME.edited.html`` with it.
* **Locked.** ``.DIR.lock`` beside DIR is held (``flock``) for the whole build: a second build
  into the same folder waits for the first. The lock is released by the kernel when the
  process ends, however it ends.
* **Atomic.** The new report is written completely into a staging folder beside DIR
  (``.DIR.build-XXXX/report``) and swapped with DIR in one ``renameat2(RENAME_EXCHANGE)``
  (on file systems without it, two renames a few microseconds apart). A reader sees either
  the old report or the new one, never a mix; a build that fails or is killed leaves DIR as
  it was. Staging folders left by a killed build carry a marker and are removed by the next
  build into the same DIR (which holds the lock, so they cannot belong to a running build).
* **Inside, when DIR cannot be swapped whole** (a mount point, the root, the current folder):
  lock and staging live inside DIR and the report is installed entry by entry (``inplace``).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mscreport.core.errors import InputError, Problem
from mscreport.core.paths import CACHE_DIRNAME, TEACHING_DIRNAME
from mscreport.core.hashing import file_sha256
from mscreport.pipeline.inplace import (INSIDE_LOCK, INSIDE_STAGING_PREFIX, install_entries, install_inside, is_own_entry,
                                        lock_inside)
from mscreport.pipeline.kept_aside import keep_changed

MANIFEST = "manifest.json"
MANIFEST_REL = f"{CACHE_DIRNAME}/{MANIFEST}"
MANIFEST_VERSION = 2
FAILED_DIRNAME = "failed"
STAGING_MARKER = ".mscreport-staging"
OWN_DIRS = {CACHE_DIRNAME, TEACHING_DIRNAME, FAILED_DIRNAME}  # folders the build creates in DIR
KEPT_NEIGHBOURS = {"README.md"}  # a note beside the report (the repository's reports/README.md): kept, never refused
CLASH_MESSAGE = ("this file was not written by mscreport and the report would overwrite it: "
                 "move it away or choose another --output")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def file_sha(path: Path) -> str:
    """SHA-256 of a file (hex)."""
    return file_sha256(path)


def read_manifest(out: Path) -> dict:
    """The manifest of DIR, or {} when there is none (or it cannot be read)."""
    try:
        manifest = json.loads((out / MANIFEST_REL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    if manifest.get("version") == 1:  # before files were listed: the names that build wrote
        names = list(manifest.get("chapters", {}))
        manifest["files"] = {rel: None for rel in ["index.html", "results.json", *(f"{n}.html" for n in names),
                                                   *(f"{TEACHING_DIRNAME}/{n}.html" for n in names)]}
    manifest.setdefault("files", {})
    manifest.setdefault("failed", [])
    return manifest


def owned_files(manifest: dict) -> set[str]:
    """Every path (relative, posix) the manifest says the build wrote, the manifest included."""
    return set(manifest.get("files", {})) | set(manifest.get("failed", [])) | {MANIFEST_REL}


def foreign_entries(out: Path, manifest: dict) -> list[str]:
    """Files and folders in DIR that the build did not write (relative paths, sorted).

    A symlink is always foreign; a folder is foreign when it is not one the build creates and
    holds nothing of the build's (an empty foreign folder counts too)."""
    if not out.exists():
        return []
    owned = owned_files(manifest)
    owned_dirs = {str(Path(rel).parent.as_posix()) for rel in owned} | OWN_DIRS
    foreign = []
    for root, dirs, files in os.walk(out):
        rel_root = Path(root).relative_to(out)
        if root == str(out):  # the lock file and staging folder of a build inside DIR are the build's
            dirs[:] = [d for d in dirs if not is_own_entry(d, out / d, STAGING_MARKER)]
            files[:] = [f for f in files if not is_own_entry(f, out / f, STAGING_MARKER)]
        for name in sorted(dirs):
            rel = (rel_root / name).as_posix()
            full = Path(root) / name
            if full.is_symlink():
                foreign.append(rel)
            elif rel not in owned_dirs and not any(o.startswith(rel + "/") for o in owned):
                foreign.append(rel + "/")
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()
                   and ((rel_root / d).as_posix() + "/") not in foreign]
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            if rel not in owned or (Path(root) / name).is_symlink():
                foreign.append(rel)
    return sorted(foreign)


def files_intact(out: Path, manifest: dict) -> bool:
    """Every file the manifest lists exists with the listed SHA-256 (the cache check)."""
    files = manifest.get("files") or {}
    if manifest.get("version") != MANIFEST_VERSION or not files:
        return False
    for rel, sha in files.items():
        p = out / rel
        if sha is None or not p.is_file() or p.is_symlink() or file_sha(p) != sha:
            return False
    return True


def write_manifest(report: Path, manifest: dict) -> None:
    """Write the manifest atomically (temporary file + rename)."""
    target = report / MANIFEST_REL
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    write_text(tmp, json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, target)


def write_text(path: Path, text: str) -> None:
    """Write a text file; an OS error always names the path (e.g. a full disk)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def _probe_writable(folder: Path) -> None:
    """Create and remove a file in ``folder``: raises OSError (naming the folder) if it cannot."""
    fd, name = tempfile.mkstemp(prefix=".mscreport-probe-", dir=folder)
    os.close(fd)
    os.unlink(name)


def check_writable(out: Path) -> None:
    """Raise OSError naming the folder if the build could not install into ``out``: checked
    before any chapter runs. The parent must take the staging folder and ``out`` (and the
    folders the build creates in it) must be writable for the swap and the removal of the
    old report."""
    beside = [] if install_inside(out) else [out.parent]  # a mount point is installed inside, its parent untouched
    for folder in beside + [d for d in (out, *(out / n for n in OWN_DIRS)) if d.is_dir()]:
        try:
            _probe_writable(folder)
        except OSError as exc:
            exc.filename = str(folder)
            raise


# ------------------------------------------------------------------ lock
class OutputLock:
    """An exclusive ``flock`` on ``.DIR.lock`` beside DIR, held for the whole build."""

    def __init__(self, out: Path):
        self.out = out
        self.path = out / INSIDE_LOCK if lock_inside(out) else out.parent / f".{out.name}.lock"
        self.fd: int | None = None

    def acquire(self, announce=print) -> None:
        """Take the lock, waiting (and saying so once) while another build holds it."""
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            exc.filename = exc.filename or str(self.path)
            raise
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 32, 0).decode(errors="replace").strip() or "?"
            announce(f"{self.out}: another build (pid {holder}) is writing this folder; waiting for it")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None


# ------------------------------------------------------------------ staging and install
def clean_stale_staging(out: Path) -> list[Path]:
    """Remove staging folders of earlier, killed builds into ``out`` (only those with our
    marker: the caller holds the lock, so none belongs to a running build)."""
    removed = []
    inside = list(out.glob(f"{INSIDE_STAGING_PREFIX}*")) if out.is_dir() and not out.is_symlink() else []
    for d in [*out.parent.glob(f".{out.name}.build-*"), *inside]:
        if d.is_dir() and not d.is_symlink() and (d / STAGING_MARKER).is_file():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


@dataclass
class Staging:
    """``.DIR.build-XXXX/``: ``report/`` (the new DIR) and ``work/`` (notebooks, logs, snapshot)."""

    out: Path
    root: Path = field(init=False)
    inside: bool = field(init=False)  # staged inside DIR and installed entry by entry (``inplace``)

    def __post_init__(self):
        self.inside = install_inside(self.out)
        if self.inside:
            self.root = Path(tempfile.mkdtemp(prefix=INSIDE_STAGING_PREFIX, dir=self.out))
        else:
            self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.build-", dir=self.out.parent))
        (self.root / STAGING_MARKER).write_text(str(os.getpid()))
        self.report.mkdir()
        (self.report / TEACHING_DIRNAME).mkdir()
        (self.report / CACHE_DIRNAME).mkdir()
        self.work.mkdir()

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _exchange(src: Path, dst: Path) -> None:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); NotImplementedError
    where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        raise NotImplementedError
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        raise NotImplementedError
    if libc.renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise NotImplementedError
        raise OSError(err, os.strerror(err), str(dst))


def carry_foreign(out: Path, report: Path, foreign: list[str]) -> list[tuple[Path, Path]]:
    """Move foreign files (``--force``) from DIR into the new report at the same place.
    Returns the moves, to undo them if the install fails."""
    moves = []
    for rel in foreign:
        src, dst = out / rel.rstrip("/"), report / rel.rstrip("/")
        if dst.exists():
            raise InputError([Problem(str(out / rel), None, None, CLASH_MESSAGE)])
        if any(Path(rel).is_relative_to(m[0].relative_to(out)) for m in moves):
            continue  # inside a foreign folder already carried
        dst.parent.mkdir(parents=True, exist_ok=True)
        moves.append((src, dst))
    for src, dst in moves:
        os.replace(src, dst)
    return moves


def install(staging: Staging, out: Path, foreign: list[str], changed: list[str] = ()) -> list[tuple[Path, Path]]:
    """Replace DIR by the staged report in one step; the old report ends in the staging
    folder (removed by the caller). Foreign files (``--force``) are carried over; files the
    build wrote but the user changed since (``changed``) are kept aside under new names
    (``kept_aside``): returns those moves ``(from, to)``, ``to`` in the staged report."""
    report = staging.report
    moves = carry_foreign(out, report, foreign) if foreign else []
    kept = []
    try:
        kept = keep_changed(out, report, list(changed))
    except BaseException:
        for src, dst in reversed(moves):
            os.replace(dst, src)
        raise
    moves += kept
    try:
        if staging.inside:  # a mount point, the root or the current folder: entry by entry, inside
            (staging.root / "old").mkdir()
            install_entries(report, out, staging.root / "old", {INSIDE_LOCK, staging.root.name}, _exchange)
            return kept
        if not out.exists():
            os.rename(report, out)
            return kept
        try:
            _exchange(report, out)
        except NotImplementedError:  # two renames: DIR is missing for a few microseconds
            os.rename(out, staging.root / "old")
            os.rename(report, out)
    except BaseException:
        for src, dst in reversed(moves):
            os.replace(dst, src)
        raise
    return kept


def sha_listing(report: Path) -> dict[str, str]:
    """{relative path: SHA-256} of every file in the staged report except the manifest."""
    return {p.relative_to(report).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(report.rglob("*")) if p.is_file() and p.relative_to(report).as_posix() != MANIFEST_REL}


def describe_foreign(out: Path, foreign: list[str]) -> str:
    """The one-line refusal for a folder holding files the build did not write."""
    shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    return (f"holds files mscreport did not write ({shown}): choose another --output, move them away, "
            "or add --force to build here and keep them")
