"""The Jupyter kernel the workbooks ask for (``mscreport``): found, or installed for this
user with the running Python, so that a ``pip install`` user's ``mscreport workbooks``
gives notebooks that run (``make workbooks`` installs it into ``.venv`` instead).

A kernelspec is a folder ``kernels/mscreport/`` holding ``kernel.json``; ``--user`` puts it
under Jupyter's data folder (``JUPYTER_DATA_DIR`` when set, else ``~/.local/share/jupyter``
on Linux). Its ``argv[0]`` is the Python that runs the kernel: it must be one that has
mscreport, which the running interpreter does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mscreport.pipeline.workbooks import KERNEL_DISPLAY_NAME, KERNEL_NAME


def find_kernel(name: str = KERNEL_NAME) -> tuple[Path, str] | None:
    """(kernelspec folder, its Python) of the kernel ``name`` Jupyter would start, or None
    when no such kernel is installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return None
    return Path(spec.resource_dir), (spec.argv[0] if spec.argv else "")


def kernel_runs_here(python: str) -> bool:
    """Whether a kernelspec's Python can run the workbooks: the running interpreter itself,
    or another that imports mscreport (a bare ``python``, as Jupyter's default kernel
    writes, is looked up on PATH)."""
    import shutil
    import subprocess

    if not python:
        return False
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return True
    exe = python if os.sep in python else shutil.which(python)
    if not exe or not os.access(exe, os.X_OK):
        return False
    try:
        return subprocess.run([exe, "-c", "import mscreport"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def install_kernel(name: str = KERNEL_NAME, display_name: str = KERNEL_DISPLAY_NAME) -> Path:
    """Install the kernel ``name`` for this user (``ipykernel install --user``) with the
    running Python; returns the kernelspec folder."""
    from ipykernel.kernelspec import install

    return Path(install(user=True, kernel_name=name, display_name=display_name))


def kernel_status(name: str = KERNEL_NAME) -> str:
    """``ready``, ``missing`` or ``other`` (installed, with another Python than this one)."""
    found = find_kernel(name)
    if found is None:
        return "missing"
    return "ready" if kernel_runs_here(found[1]) else "other"


def install_command() -> str:
    """What a user types to install the kernel by hand (this Python, for this user)."""
    return f"{sys.executable} -m ipykernel install --user --name {KERNEL_NAME} --display-name \"{KERNEL_DISPLAY_NAME}\""
