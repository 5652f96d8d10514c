"""The worker side of the build: a process that executes chapters with papermill and renders
their HTML, and never outlives the build.

* Kernels talk to their worker over **IPC** (Unix sockets in a private runtime folder), not
  TCP: no port to race for when kernels start in parallel (papermill #511, jupyter_client
  #276) and no "Kernel is running over TCP without encryption" warning. Connection files
  (with their HMAC keys) and sockets live in that folder, which the build removes.
  With TCP, about 1 kernel start in 150 failed under load ("Kernel died before replying to
  kernel_info", "Kernel didn't respond in 60 seconds"); with IPC none did in 300
  (``scripts/kernel_stress.py``), so there is no retry: a kernel that fails is a failed chapter.
* **No orphans.** A worker whose build process disappears (SIGKILL) notices within half a
  second, kills its kernels and exits; SIGTERM/SIGINT to a worker do the same.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

WATCH_INTERVAL_S = 0.5
RUNTIME_PREFIX = "mscreport-kernels-"
OWNER_FILE = "owner.pid"


def _ipc_kernel_manager():
    from jupyter_client import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import CaselessStrEnum

    class IpcKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel listens on Unix sockets (no TCP ports), with its
        connection file and sockets under a name of its own in the runtime folder.

        Left to jupyter_client, the sockets of every IPC kernel are ``kernel-ipc-N`` in the
        current folder (the same for kernels started in parallel there) and the connection
        file lands in the system's temporary folder."""

        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            import uuid

            stem = os.path.join(jupyter_runtime_dir(), f"k-{uuid.uuid4().hex[:12]}")
            self.connection_file = stem + ".json"
            self.ip = stem + "-ipc"

    return IpcKernelManager


def kill_children() -> None:
    """Kill every descendant of this process (kernels run in their own sessions)."""
    import psutil

    try:
        kids = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for k in kids:
        try:
            k.kill()
        except psutil.Error:
            pass


def _die(signum=None, _frame=None) -> None:
    try:
        kill_children()
    finally:  # exit quietly even when the signal came mid-import (e.g. psutil half-initialised)
        os._exit(128 + (signum or signal.SIGTERM))


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent:  # the build is gone: take the kernels with us
            _die()


def init_worker(runtime_dir: str, snapshot_dir: str) -> None:
    """Pool initializer: the environment the kernels inherit, the parent watch, the signal
    handlers; then the imports and HTML exporters, ahead of the first chapter."""
    import warnings

    os.environ["JUPYTER_RUNTIME_DIR"] = runtime_dir  # connection files and IPC sockets
    os.environ["MSCREPORT_SNAPSHOT"] = snapshot_dir
    signal.signal(signal.SIGTERM, _die)
    signal.signal(signal.SIGINT, _die)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    warnings.filterwarnings("ignore")
    import jupytext  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from .render import _exporter

    _exporter(True)
    _exporter(False)


def make_runtime_dir() -> Path:
    """A private (0700) folder for kernel connection files and sockets; short, for the
    108-byte Unix socket path limit. Marked with the build's pid for stale cleaning."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
    (d / OWNER_FILE).write_text(str(os.getpid()))
    return d


def clean_stale_runtime_dirs() -> list[Path]:
    """Remove kernel folders whose build process is gone (a killed build's leftovers)."""
    import shutil
    import tempfile

    import psutil

    removed = []
    for d in Path(tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*"):
        try:
            pid = int((d / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours
        if pid != os.getpid() and not psutil.pid_exists(pid):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def _failure(task: dict, exc, out_path: Path, t0: float) -> dict:
    """What the build needs to report a chapter whose own code failed."""
    import re

    ansi = re.compile(r"\x1b\[[0-9;]*m")
    tb = "\n".join(ansi.sub("", line) for line in (exc.traceback or []))
    return {"name": task["name"], "error": f"{exc.ename}: {exc.evalue}".strip(), "cell_index": exc.cell_index,
            "cell_source": exc.source, "traceback": tb, "notebook": str(out_path) if out_path.is_file() else None,
            "elapsed": time.perf_counter() - t0}


def run_chapter(task: dict) -> dict:
    """Execute one chapter with papermill and render both HTML pages (in a worker)."""
    import jupytext
    import nbformat
    import papermill as pm

    from .outdir import write_text
    from .render import extract_records, render_pages

    t0 = time.perf_counter()
    name = task["name"]
    work = Path(task["workdir"])
    # kernels' own chatter goes to a log, not the terminal
    log = os.open(str(work / f"{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    nb = jupytext.read(task["source"])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"  # stable ids: the same HTML every build
    in_path, out_path = work / f"{name}.in.ipynb", work / f"{name}.ipynb"
    nbformat.write(nb, in_path)
    try:
        pm.execute_notebook(str(in_path), str(out_path), parameters=task["parameters"], kernel_name="python3",
                            cwd=task["cwd"], progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,  # written once at the end
                            shutdown_kernel="immediate", kernel_manager_class=_ipc_kernel_manager())
    except pm.PapermillExecutionError as exc:  # the chapter's own code failed: report it
        return _failure(task, exc, out_path, t0)
    except Exception as exc:  # noqa: BLE001 - the kernel died or never answered: a failed chapter, no retry
        return {"name": name, "error": f"its kernel failed: {type(exc).__name__}: {' '.join(str(exc).split())} "
                                       f"(the kernel's own messages are in the build's work folder log)",
                "elapsed": time.perf_counter() - t0}
    executed = nbformat.read(out_path, as_version=4)
    records = extract_records(executed)
    pages = render_pages(executed, task["chapter_nav"])
    for rel, text in pages.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, text)
    return {"name": name, "records": records, "pages": sorted(pages), "elapsed": time.perf_counter() - t0}
