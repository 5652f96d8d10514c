"""The machine, not the input, stops a build (issue 24.12 and 24.14): a worker killed at any
moment, memory and file-descriptor limits each give one line, no traceback and an exit code
of their own (4, 5, 6); kernel folders are marked when made and cleaned however their build
died.

Each test that builds runs in a temporary folder of its own (``TMPDIR``, short: kernel sockets
live there and a Unix socket path has at most 107 bytes), so that it asserts over the kernel
folders its own builds made, never over another process's.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from mscreport.core import stopped
from mscreport.pipeline import engine
from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

CHAPTERS = list_chapters()
KILLER = '''
import os, signal

def init_worker(*args):
    os.kill(os.getpid(), signal.SIGKILL)

def run_chapter(task):
    os.kill(os.getpid(), signal.SIGKILL)
'''


@pytest.fixture
def own_tmp():
    """A short temporary folder of the test's own, removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="mk", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def env(tmp_path, own_tmp):
    """One-chapter notebook folder, the test's own TMPDIR, and a module that kills a worker."""
    nb = tmp_path / "notebooks"
    nb.mkdir()
    shutil.copy(CHAPTERS[0].source, nb / CHAPTERS[0].source.name)
    (tmp_path / "killworker.py").write_text(KILLER)
    return {**os.environ, "MSCREPORT_NOTEBOOKS": str(nb), "TMPDIR": str(own_tmp),
            "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}


def kernel_folders(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.iterdir() if "mscreport-kernels" in p.name)


def _build(env, *args, patch: str | None = None, limits: dict | None = None, timeout=300):
    """``mscreport build ARGS`` in a subprocess; ``patch``: an engine function replaced by the
    killer's (pickled by reference, so the spawned worker runs it); ``limits``: rlimits."""
    code = "import sys\n"
    if patch:
        code += f"import killworker, mscreport.pipeline.engine as e\ne.{patch} = killworker.{patch}\n"
    code += "from mscreport.cli import main\nsys.exit(main(sys.argv[1:]))\n"

    def apply_limits():
        for what, value in (limits or {}).items():
            resource.setrlimit(what, value)

    return subprocess.run([sys.executable, "-c", code, "build", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env=env, timeout=timeout, preexec_fn=apply_limits)


def _one_line(proc) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.count("\n") == 1, proc.stderr[-3000:]
    return proc.stderr


# ------------------------------------------------------------------ a worker dying at any moment
@pytest.mark.parametrize("moment", ["init_worker", "run_chapter"])
def test_a_worker_killed_at_any_moment_is_one_line_exit_4(tmp_path, env, own_tmp, moment):
    """Issue 24.12: a worker killed while starting gave a BrokenProcessPool traceback (exit 1);
    one killed during a chapter gave a chapter failure (exit 3) with nothing in failed/."""
    out = tmp_path / "F"
    proc = _build(env, "--output", str(out), "--jobs", "1", patch=moment)
    assert proc.returncode == stopped.EXIT_WORKER_DIED, proc.stderr[-3000:]
    line = _one_line(proc)
    assert "worker process" in line and "SIGKILL" in line and "left as it was" in line
    assert not out.exists()
    assert not kernel_folders(own_tmp)


# ------------------------------------------------------------------ file descriptors
def test_too_few_file_descriptors_is_one_line_exit_6_before_any_chapter(tmp_path, env, own_tmp):
    """Issue 24.12: `ulimit -n 64` failed a chapter (exit 3) with an empty cause."""
    out = tmp_path / "F"
    proc = _build(env, "--output", str(out), limits={resource.RLIMIT_NOFILE: (64, 64)})
    assert proc.returncode == stopped.EXIT_TOO_MANY_FILES, proc.stderr[-3000:]
    line = _one_line(proc)
    assert "ulimit -n" in line and "64" in line
    assert "[1/" not in proc.stdout and "validated" not in proc.stdout
    assert not out.exists() and not kernel_folders(own_tmp)


@pytest.mark.slow
def test_a_low_soft_descriptor_limit_is_raised_to_the_hard_one(tmp_path, env, own_tmp):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < stopped.MIN_OPEN_FILES:
        pytest.skip(f"hard descriptor limit {hard} here")
    proc = _build(env, "--output", str(tmp_path / "F"), limits={resource.RLIMIT_NOFILE: (64, hard)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not kernel_folders(own_tmp)


def test_running_out_of_descriptors_anywhere_is_one_line_exit_6(monkeypatch, capsys):
    def no_more(*a, **k):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr("mscreport.inputs.cohort.load_cohort", no_more)
    assert main(["validate", "data/reconstructed_cohort.csv"]) == stopped.EXIT_TOO_MANY_FILES
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "open files" in err and "ulimit -n" in err


# ------------------------------------------------------------------ memory
def test_running_out_of_memory_anywhere_is_one_line_exit_5(monkeypatch, capsys):
    def no_memory(*a, **k):
        raise MemoryError

    monkeypatch.setattr("mscreport.inputs.cohort.load_cohort", no_memory)
    assert main(["validate", "data/reconstructed_cohort.csv"]) == stopped.EXIT_OUT_OF_MEMORY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err and "Traceback" not in err


def test_a_thread_that_cannot_start_for_lack_of_memory_is_exit_5(monkeypatch, capsys):
    """Under `ulimit -v 400000` the CSV reader could not start its worker thread (its stack is
    memory too): an ArrowException traceback, exit 1."""
    def no_thread(*a, **k):
        raise RuntimeError("Unknown error: Failed to launch worker thread: Resource temporarily unavailable")

    monkeypatch.setattr("mscreport.inputs.cohort.load_cohort", no_thread)
    assert main(["validate", "data/reconstructed_cohort.csv"]) == stopped.EXIT_OUT_OF_MEMORY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err


def test_a_small_cohort_file_is_not_read_into_a_gibibyte_buffer(tmp_path):
    """Issue 24.12: under `ulimit -v 1500000` the build's MemoryError came from reading a 3 KB
    cohort with ``read(1 GiB + 1)``, which allocates the whole buffer first."""
    from mscreport.inputs.readers import read_file_bytes

    small = REPO_ROOT / "data" / "reconstructed_cohort.csv"
    code = textwrap.dedent(f"""
        import resource, sys
        from mscreport.inputs.readers import read_file_bytes
        resource.setrlimit(resource.RLIMIT_AS, (600 << 20, resource.RLIM_INFINITY))
        data = read_file_bytes({str(small)!r})
        print(len(data))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout) == len(read_file_bytes(small)) == small.stat().st_size


@pytest.mark.slow
# Not lower: under about 400 MB a native library (a C++ thread pool) may abort the whole process
# (SIGABRT, "std::system_error") before Python can say anything, as seen once in a fresh clone;
# that case is the README's documented limit, not a result this test can hold.
@pytest.mark.parametrize("kib", [1_500_000, 900_000])
def test_a_memory_limit_gives_a_report_or_one_line_exit_5(tmp_path, env, own_tmp, kib):
    """Issue 24.12: `ulimit -v 1500000` gave a MemoryError traceback (exit 1) while `validate`
    passed under the same limit. Lower limits: the kernels (900 MB here) or the build itself
    cannot import their libraries; one line, exit 5, either way."""
    limit = {resource.RLIMIT_AS: (kib * 1024, resource.RLIM_INFINITY)}
    proc = _build(env, "--output", str(tmp_path / "F"), limits=limit)
    assert proc.returncode in (0, stopped.EXIT_OUT_OF_MEMORY), proc.stderr[-3000:]
    if proc.returncode:
        assert "out of memory" in _one_line(proc)
    assert not kernel_folders(own_tmp)


# ------------------------------------------------------------------ kernel folders (issue 24.14)
def test_a_kernel_folder_never_appears_without_its_owner_mark(own_tmp, monkeypatch):
    """Issue 24.14: a build stopped between making its kernel folder and marking it (memory or
    descriptor limits) left a folder that no later build would clean."""
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    real_write = Path.write_text

    def fails_for_the_mark(self, *a, **k):
        if self.name == engine.OWNER_FILE:
            raise OSError(24, "Too many open files")
        return real_write(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", fails_for_the_mark)
    real_open = os.open

    def open_fails_for_the_mark(path, *a, **k):
        if os.path.basename(os.fspath(path)) == engine.OWNER_FILE:
            raise OSError(24, "Too many open files")
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", open_fails_for_the_mark)
    with pytest.raises(OSError):
        engine.make_runtime_dir()
    monkeypatch.undo()
    assert not [p for p in own_tmp.iterdir() if p.name.startswith(engine.RUNTIME_PREFIX)]


def test_a_new_kernel_folder_holds_its_owner_mark(own_tmp, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    d = engine.make_runtime_dir()
    assert d.parent == own_tmp and d.name.startswith(engine.RUNTIME_PREFIX)
    assert (d / engine.OWNER_FILE).read_text().strip() == str(os.getpid())
    assert oct(d.stat().st_mode & 0o777) == oct(0o700)
    assert engine.clean_stale_runtime_dirs() == [] and d.is_dir()  # ours, and we are alive
    engine.remove_runtime_dir(d)
    assert list(own_tmp.iterdir()) == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_build_cleans_every_leftover_kernel_folder(own_tmp, monkeypatch):
    """Issue 24.14: folders without an owner mark (some holding connection files with their
    keys) were skipped by the cleaning and stayed for good."""
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    hour_ago = time.time() - 3600

    def leftover(name: str, owner: str | None = None, old: bool = True) -> Path:
        d = own_tmp / name
        d.mkdir(mode=0o700)
        (d / "k-0123456789ab.json").write_text('{"key": "secret"}')
        if owner is not None:
            (d / engine.OWNER_FILE).write_text(owner)
        if old:
            for p in (*d.iterdir(), d):
                os.utime(p, (hour_ago, hour_ago))
        return d

    unmarked = leftover(engine.RUNTIME_PREFIX + "unmarked")
    dead = leftover(engine.RUNTIME_PREFIX + "dead", str(_dead_pid()))
    garbled = leftover(engine.RUNTIME_PREFIX + "garbled", "not a pid")
    newcomer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    reused = leftover(engine.RUNTIME_PREFIX + "reused", str(newcomer.pid))  # marked an hour before that process began
    live = leftover(engine.RUNTIME_PREFIX + "live", str(os.getpid()), old=False)
    fresh = leftover(engine.RUNTIME_PREFIX + "fresh", old=False)  # unmarked but just made: perhaps an older build's
    other = own_tmp / "someone-else"
    other.mkdir()
    try:
        removed = engine.clean_stale_runtime_dirs()
    finally:
        newcomer.kill()
        newcomer.wait()
    assert not unmarked.exists() and not dead.exists() and not garbled.exists() and not reused.exists()
    assert live.is_dir() and fresh.is_dir() and other.is_dir()
    assert {p.name for p in removed} == {unmarked.name, dead.name, garbled.name, reused.name}


def test_a_half_removed_kernel_folder_is_cleaned_by_the_next_build(own_tmp, monkeypatch):
    """Removing a folder while a dying kernel still writes into it (or out of descriptors)
    used to delete the owner mark and leave the rest."""
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    d = engine.make_runtime_dir()
    (d / "k-0123456789ab.json").write_text('{"key": "secret"}')
    real_rmtree = shutil.rmtree

    def fails_half_way(path, ignore_errors=False, **k):
        (Path(path) / engine.OWNER_FILE).unlink(missing_ok=True)  # the mark went first, then no descriptor left
        if not ignore_errors:
            raise OSError(24, "Too many open files")

    monkeypatch.setattr(shutil, "rmtree", fails_half_way)
    engine.remove_runtime_dir(d)
    monkeypatch.setattr(shutil, "rmtree", real_rmtree)
    assert not d.exists()
    engine.clean_stale_runtime_dirs()
    assert [p.name for p in own_tmp.iterdir()] == []
