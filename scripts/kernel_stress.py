#!/usr/bin/env python3
"""Kernel stress test (issue 11.3): start many chapter kernels in parallel and count the ones
that die or never answer before running code.

Each kernel is started the way the build starts a chapter's kernel (papermill ->
nbclient -> jupyter_client, from a spawned worker process, several workers at once) and runs
a one-cell notebook. ``--transport tcp`` uses jupyter_client's default (random TCP ports
chosen by binding port 0 and closing it, then handed to the kernel: two kernels started at
the same moment can be handed the same port); ``--transport ipc`` uses the build's kernel
manager (``mscreport.pipeline.engine``: Unix sockets with unique names in a private folder).

Usage: ``.venv/bin/python scripts/kernel_stress.py [--kernels 300] [--parallel 8] [--transport ipc|tcp|both]``
Prints one line per transport: kernels started, failures, and the failure messages counted.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))


def _init(runtime: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    log = os.open(os.path.join(runtime, f"stderr-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)  # the kernels' own error output (e.g. "Address already in use"), read afterwards


def _one(args: tuple[str, str, int]) -> str | None:
    transport, notebook, i = args
    import papermill as pm

    from mscreport.pipeline.engine import _ipc_kernel_manager

    extra = {"kernel_manager_class": _ipc_kernel_manager()} if transport == "ipc" else {}
    out = Path(os.environ["JUPYTER_RUNTIME_DIR"]) / f"out-{os.getpid()}-{i}.ipynb"
    try:
        pm.execute_notebook(notebook, str(out), kernel_name="python3", progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, shutdown_kernel="immediate", start_timeout=60,
                            **extra)
        return None
    except Exception as exc:  # noqa: BLE001 - counted and printed
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    finally:
        out.unlink(missing_ok=True)


def stress(transport: str, kernels: int, parallel: int) -> tuple[int, collections.Counter, float]:
    import nbformat

    runtime = tempfile.mkdtemp(prefix="mscreport-stress-")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = os.path.join(runtime, "one_cell.ipynb")
    nbformat.write(nb, notebook)
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(parallel, initializer=_init, initargs=(runtime,)) as pool:
        results = pool.map(_one, [(transport, notebook, i) for i in range(kernels)], chunksize=1)
    elapsed = time.perf_counter() - t0
    logs = "".join(Path(runtime, p).read_text(errors="replace") for p in os.listdir(runtime) if p.startswith("stderr-"))
    leftovers = [p for p in os.listdir(runtime) if p != "one_cell.ipynb" and not p.startswith("stderr-")]
    shutil.rmtree(runtime, ignore_errors=True)
    failures = collections.Counter(r for r in results if r)
    n_fail = sum(failures.values())
    for cause in ("Address already in use", "ZMQError"):
        if cause in logs:
            failures[f"(kernel stderr) lines with {cause!r}"] = logs.count(cause)
    if leftovers:
        failures[f"(not a failure) files left in the runtime folder: {len(leftovers)}"] = len(leftovers)
    return n_fail, failures, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", type=int, default=300)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--transport", choices=["ipc", "tcp", "both"], default="ipc")
    a = ap.parse_args()
    for transport in (["tcp", "ipc"] if a.transport == "both" else [a.transport]):
        n_fail, failures, elapsed = stress(transport, a.kernels, a.parallel)
        print(f"{transport}: {a.kernels} kernels, {a.parallel} in parallel: {n_fail} failures in {a.kernels} "
              f"({elapsed:.0f} s)", flush=True)
        for message, count in failures.most_common():
            print(f"  {count} x {message}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
