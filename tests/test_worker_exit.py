"""A build worker stopped by SIGTERM exits quietly with 128 + 15, even when stopping its
kernels fails: a worker terminated while still importing (``psutil`` half-initialised, when a
bad cohort stops the build early) printed "Exception in initializer: Traceback ..." on the
command line, where bad input must give one line and no traceback."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, signal
from mscreport.pipeline import engine

def broken():
    raise AttributeError("partially initialized module 'psutil' has no attribute 'Error'")

engine.kill_children = broken
signal.signal(signal.SIGTERM, engine._die)
os.kill(os.getpid(), signal.SIGTERM)
print("not reached")
"""


def test_terminated_worker_exits_quietly_even_if_stopping_kernels_fails():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + 15
    assert "Traceback" not in proc.stderr and "not reached" not in proc.stdout, proc.stderr
