"""``mscreport workbooks`` at a terminal (issue 26 item 3): without the workbooks' kernel it
asks whether to install it; "y" installs it (kernelspec with this Python, in the user's
Jupyter data folder), "n" does not and names the command that would. Run under a real
pseudo-terminal, so that the question is asked exactly as a user sees it; the kernel goes
into a temporary JUPYTER_DATA_DIR."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
QUESTION = b"[Y/n]"


def _at_terminal(tmp_path: Path, answer: bytes) -> tuple[int, str, Path]:
    """Run ``mscreport workbooks`` with stdin and stderr on a pseudo-terminal, type ``answer``
    when the question appears; returns (exit code, what the terminal showed, the data folder)."""
    data_dir = tmp_path / "jupyter-data"
    env = {**os.environ, "JUPYTER_DATA_DIR": str(data_dir), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_PATH": "", "MPLBACKEND": "Agg"}
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(BIN / "mscreport"), "workbooks", "--output", str(tmp_path / "books")],
                            stdin=follower, stdout=subprocess.DEVNULL, stderr=follower, env=env, cwd=tmp_path)
    os.close(follower)
    shown, asked, deadline = b"", False, time.monotonic() + 300
    try:
        while proc.poll() is None or select.select([leader], [], [], 0)[0]:
            assert time.monotonic() < deadline, shown.decode(errors="replace")
            if select.select([leader], [], [], 0.1)[0]:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal closed with the process
                    break
                shown += chunk
            if not asked and QUESTION in shown:
                os.write(leader, answer + b"\n")
                asked = True
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait(60)
        os.close(leader)
    return code, shown.decode(errors="replace"), data_dir


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="no pseudo-terminals on this system")
def test_yes_at_the_terminal_installs_the_kernel_with_this_python(tmp_path):
    code, shown, data_dir = _at_terminal(tmp_path, b"y")
    assert code == 0, shown
    assert "Install it for this user" in shown and "is not installed" in shown
    spec = json.loads((data_dir / "kernels" / "mscreport" / "kernel.json").read_text())
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve(), spec
    assert "installed the Jupyter kernel `mscreport`" in shown


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="no pseudo-terminals on this system")
def test_no_at_the_terminal_installs_nothing_and_names_the_command(tmp_path):
    code, shown, data_dir = _at_terminal(tmp_path, b"n")
    assert code == 0, shown
    assert "Install it for this user" in shown
    assert not (data_dir / "kernels" / "mscreport").exists()
    assert "`mscreport workbooks --install-kernel` installs it" in shown
