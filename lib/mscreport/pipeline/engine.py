"""The worker side of the build: a process that executes chapters with papermill and renders
their HTML, and never outlives the build.

* Kernels talk to their worker over **IPC** (Unix sockets in a private runtime folder), not
  TCP: no port to race for when kernels start in parallel (papermill #511, jupyter_client
  #276) and no "Kernel is running over TCP without encryption" warning. Connection files
  (with their HMAC keys) and sockets live in that folder, which the build removes.
  With TCP, about 1 kernel start in 150 failed under load ("Kernel died before replying to
  kernel_info", "Kernel didn't respond in 60 seconds"); with IPC none did in 300
  (``scripts/kernel_stress.py``), so there is no retry: a kernel that fails is a failed chapter.
* **One kernel per worker, reused.** A worker starts its kernel when it starts (while the build
  validates the cohort), has it import the scientific stack once (``kernel_state.prewarm``),
  and runs its chapters in it one after another; before each chapter the kernel is put back
  in the state it had after the imports (``kernel_state.restore_baseline``: namespace,
  mscreport modules, rcParams and figures, random states, warnings, working directory, ...),
  so a chapter's results and pages are the same as in a fresh kernel (tests/test_engine_reuse.py).
  A kernel that died is replaced for the next chapter. ``--fresh-kernels`` (or the
  environment variable ``MSCREPORT_FRESH_KERNELS=1``) starts a fresh kernel per chapter instead.
* **No orphans.** A worker whose build process disappears (SIGKILL) notices within half a
  second, kills its kernels and exits; SIGTERM/SIGINT to a worker do the same; a worker that
  ends normally stops its kernel.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from mscreport.pipeline.kernel_dirs import OWNER_FILE, PREFIX as RUNTIME_PREFIX  # noqa: F401 - the kernel folders' names
from mscreport.pipeline.kernel_dirs import clean_left_behind, make_kernel_dir, remove_kernel_dir
from mscreport.pipeline.outdir import write_text
from mscreport.pipeline.render import _exporter, extract_records, render_pages
from mscreport.pipeline.study_cells import select_study_cells

WATCH_INTERVAL_S = 0.5
FRESH_KERNELS_ENV = "MSCREPORT_FRESH_KERNELS"
KERNEL_START_TIMEOUT_S = 60
ENGINE_NAME = "mscreport-reused-kernel"
_KERNEL = None  # this worker's ReusedKernel (None: a fresh kernel per chapter)
_KERNEL_CWD: str | None = None
_KERNEL_AT_BASELINE = False  # True: restored since its last chapter (``restore_kernel_ahead``), or just started


def fresh_kernels_requested() -> bool:
    """True when the environment asks for a fresh kernel per chapter (the fallback)."""
    return os.environ.get(FRESH_KERNELS_ENV, "").strip().lower() not in ("", "0", "false", "no")


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


class ReusedKernel:
    """A kernel kept alive for a worker's chapters: started with the IPC transport in ``cwd``,
    the stack imported once, the baseline captured; ``restore`` before each chapter."""

    def __init__(self, cwd: str):
        from jupyter_core.utils import run_sync

        self._sync = run_sync
        self.km = _ipc_kernel_manager()(kernel_name="python3")
        # history in memory, as nbclient starts its kernels: no shared SQLite file to lock and write
        run_sync(self.km.start_kernel)(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.kc = self.km.client()
        self.kc.start_channels()

    def prepare(self) -> None:
        """Wait for the kernel, import the stack, record the baseline (blocking)."""
        self._sync(self.kc.wait_for_ready)(timeout=KERNEL_START_TIMEOUT_S)
        self.run("import mscreport.pipeline.kernel_state as _ks\n_ks.prewarm()\n_ks.capture_baseline()\ndel _ks")

    def run(self, code: str) -> None:
        """Execute ``code`` outside the history (the execution counter does not move); raise
        RuntimeError with the kernel's error if it fails."""
        outputs: list[str] = []

        def keep(msg):
            content = msg.get("content", {})
            if msg.get("msg_type") == "stream":
                outputs.append(content.get("text", ""))

        reply = self._sync(self.kc.execute_interactive)(code, store_history=False, allow_stdin=False,
                                                        timeout=KERNEL_START_TIMEOUT_S, output_hook=keep)
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')} {''.join(outputs)}".strip())

    def restore(self) -> None:
        """Put the kernel back in its state after the imports (``kernel_state.restore_baseline``)."""
        self.run("__import__('sys').modules['mscreport.pipeline.kernel_state'].restore_baseline()")

    def alive(self) -> bool:
        return bool(self._sync(self.km.is_alive)())

    def stop(self) -> None:
        """Stop the channels and kill the kernel now (its work is done or lost)."""
        try:
            self.kc.stop_channels()
            self._sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already gone
            pass


def _reused_kernel_engine():
    """A papermill engine that executes the notebook in the worker's kept kernel (the
    parameters injected, timings and errors recorded by papermill as usual), never stopping it."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class ReusedKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kernel = kwargs.pop("kernel")
            for unused in ("input_path", "timeout", "startup_timeout", "kernel_manager_class", "shutdown_kernel"):
                kwargs.pop(unused, None)
            client = PapermillNotebookClient(nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                                             kernel_name=kernel_name, log=logger, log_output=log_output,
                                             stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            client.kc = kernel.kc  # the kept client: setup_kernel starts nothing and stops nothing
            return client.execute()

    papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


def _start_kernel(cwd: str) -> "ReusedKernel":
    kernel = ReusedKernel(cwd)
    try:
        kernel.prepare()
    except BaseException:
        kernel.stop()
        raise
    return kernel


def _stop_kernel() -> None:
    global _KERNEL, _KERNEL_AT_BASELINE
    _KERNEL_AT_BASELINE = False
    if _KERNEL is not None:
        _KERNEL.stop()
        _KERNEL = None


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


def init_worker(runtime_dir: str, snapshot_dir: str, kernel_cwd: str | None = None) -> None:
    """Pool initializer: the environment the kernels inherit, the parent watch, the signal
    handlers; with ``kernel_cwd`` (kernel reuse) the worker's kernel is started first, in that
    folder, so that it imports the stack while the worker imports papermill and builds its
    HTML exporters, ahead of the first chapter (and while the build validates the cohort)."""
    import multiprocessing.util
    import warnings

    global _KERNEL, _KERNEL_CWD
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime_dir  # connection files and IPC sockets
    os.environ["MSCREPORT_SNAPSHOT"] = snapshot_dir
    signal.signal(signal.SIGTERM, _die)
    signal.signal(signal.SIGINT, _die)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    warnings.filterwarnings("ignore")
    kernel = None
    if kernel_cwd is not None:
        # the kernel's own chatter goes to a log in the build's work folder, not the terminal
        log = os.open(str(Path(snapshot_dir).parent / f"kernel-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 2)
        _KERNEL_CWD = kernel_cwd
        kernel = ReusedKernel(kernel_cwd)  # starts importing while we do
        multiprocessing.util.Finalize(None, _stop_kernel, exitpriority=100)
        _KERNEL = kernel
    skip_slow_optional_imports()
    import jupytext  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401


    _exporter(True)
    _exporter(False)
    if kernel is not None:
        _reused_kernel_engine()
        try:
            kernel.prepare()
        except Exception:  # noqa: BLE001 - the first chapter starts a new one and reports its failure
            _stop_kernel()


SKIPPED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Keep optional modules this worker never uses from being imported.

    nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it is
    installed (jupyter_server's ``jsonschema[format-nongpl]`` brings it); that module compiles
    about 40 lark grammars at import: 1.2 CPU s per process, more than papermill and
    nbconvert together. nbformat validates with fastjsonschema and never checks the "iri"
    formats it serves, so jsonschema is told it is absent (``sys.modules[name] = None`` makes
    ``import name`` raise ImportError, which jsonschema expects for an optional checker)."""
    import sys

    for name in SKIPPED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)


def make_runtime_dir() -> Path:
    """A private (0700) folder for kernel connection files and sockets; short, for the
    108-byte Unix socket path limit. Marked with the build's pid before it gets its name
    (``kernel_dirs``), for stale cleaning."""
    return make_kernel_dir()


def remove_runtime_dir(folder: Path) -> None:
    """Remove a kernel folder so that nothing unmarked can stay (``kernel_dirs``)."""
    remove_kernel_dir(folder)


def clean_stale_runtime_dirs() -> list[Path]:
    """Remove kernel folders whose build process is gone (a killed build's leftovers)."""
    return clean_left_behind()


def _failure(task: dict, exc, out_path: Path, t0: float) -> dict:
    """What the build needs to report a chapter whose own code failed."""
    import re

    ansi = re.compile(r"\x1b\[[0-9;]*m")
    tb = "\n".join(ansi.sub("", line) for line in (exc.traceback or []))
    return {"name": task["name"], "error": f"{exc.ename}: {exc.evalue}".strip(), "cell_index": exc.cell_index,
            "cell_source": exc.source, "traceback": tb, "notebook": str(out_path) if out_path.is_file() else None,
            "elapsed": time.perf_counter() - t0}


def _kernel_for_chapter() -> dict:
    """papermill's arguments for this chapter: the worker's kept kernel, restored to its
    baseline (a new one if it died), or, without reuse, a fresh kernel that papermill starts."""
    global _KERNEL, _KERNEL_AT_BASELINE
    if _KERNEL_CWD is None:
        return {"shutdown_kernel": "immediate", "kernel_manager_class": _ipc_kernel_manager()}
    if _KERNEL is not None and not _KERNEL.alive():
        _stop_kernel()
    if _KERNEL is None:
        _KERNEL = _start_kernel(_KERNEL_CWD)
    if not _KERNEL_AT_BASELINE:
        _KERNEL.restore()
    _KERNEL_AT_BASELINE = False  # the chapter about to run changes it
    return {"engine_name": ENGINE_NAME, "kernel": _KERNEL}


def restore_kernel_ahead() -> None:
    """Put this worker's kept kernel back at its baseline now, while it waits, so that the
    next chapter starts without that step (``mscreport preview``, between rebuilds). A kernel
    that fails to restore is stopped: the next chapter starts a new one."""
    global _KERNEL_AT_BASELINE
    if _KERNEL is None or _KERNEL_AT_BASELINE:
        return
    try:
        _KERNEL.restore()
        _KERNEL_AT_BASELINE = True
    except Exception:  # noqa: BLE001 - dead or broken: replaced for the next chapter
        _stop_kernel()


def run_chapter(task: dict) -> dict:
    """Execute one chapter with papermill and render both HTML pages (in a worker)."""
    t0 = time.perf_counter()
    res = execute_chapter(task)
    if "error" in res:
        return res
    pages = _write_pages(task, res.pop("executed"))
    return {"name": res["name"], "records": res["records"], "pages": pages, "elapsed": time.perf_counter() - t0}


def execute_chapter(task: dict) -> dict:
    """Execute one chapter with papermill (in a worker): its records and executed notebook
    (``{name}.ipynb`` in the work folder), or what the build needs to report its failure."""
    import jupytext
    import nbformat
    import papermill as pm


    t0 = time.perf_counter()
    name = task["name"]
    work = Path(task["workdir"])
    # kernels' own chatter goes to a log, not the terminal
    log = os.open(str(work / f"{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    nb = jupytext.read(task["source"])
    select_study_cells(nb, task.get("study_tags"))  # the study as it is: its cells only
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"  # stable ids: the same HTML every build
    in_path, out_path = work / f"{name}.in.ipynb", work / f"{name}.ipynb"
    nbformat.write(nb, in_path)
    try:
        how = _kernel_for_chapter()
        pm.execute_notebook(str(in_path), str(out_path), parameters=task["parameters"], kernel_name="python3",
                            cwd=task["cwd"], progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,  # written once at the end
                            **how)
    except pm.PapermillExecutionError as exc:  # the chapter's own code failed: report it
        return _failure(task, exc, out_path, t0)
    except Exception as exc:  # noqa: BLE001 - the kernel died or never answered: a failed chapter, no retry
        _stop_kernel()  # the next chapter of this worker starts a new one
        return {"name": name, "error": f"its kernel failed: {type(exc).__name__}: {' '.join(str(exc).split())} "
                                       f"(the kernel's own messages are in the build's work folder log)",
                "elapsed": time.perf_counter() - t0}
    executed = nbformat.read(out_path, as_version=4)
    return {"name": name, "records": extract_records(executed), "executed": executed, "notebook": str(out_path),
            "elapsed": time.perf_counter() - t0}


def execute_chapter_records(task: dict) -> dict:
    """``execute_chapter`` without the notebook object (it stays on disk for ``render_chapter``):
    what a pool task returns, small to send back."""
    res = execute_chapter(task)
    res.pop("executed", None)
    return res


def render_chapter(task: dict, restore_after: bool = True) -> dict:
    """Render the two HTML pages of a chapter ``execute_chapter`` executed (in a worker); then,
    with ``restore_after``, put the kernel back at its baseline for the next chapter."""
    import nbformat

    t0 = time.perf_counter()
    executed = nbformat.read(Path(task["workdir"]) / f"{task['name']}.ipynb", as_version=4)
    pages = _write_pages(task, executed)
    if restore_after:
        restore_kernel_ahead()
    return {"name": task["name"], "pages": pages, "elapsed": time.perf_counter() - t0}


def _write_pages(task: dict, executed) -> list[str]:
    """Render both pages of an executed chapter into the work folder; their relative paths."""
    work = Path(task["workdir"])
    pages = render_pages(executed, task["chapter_nav"])
    for rel, text in pages.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, text)
    return sorted(pages)
