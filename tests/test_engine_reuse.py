"""Kernel reuse (issue 11.1) is invisible in the report.

* Unit: a kernel polluted the way a chapter could pollute it (globals, rcParams, open figures,
  random states, numpy and pandas options, warnings filters and "already shown" registries,
  the working directory, the environment, sys.path, logging, mscreport's module-level caches,
  the execution counter) and then restored reports the same state as a kernel that only
  started and restored: every item of ``kernel_state`` is covered.
* End to end: the default report built with a fresh kernel per chapter, with reused kernels
  on the default workers, and with one reused kernel for every chapter (``--jobs 1``: each
  chapter runs after all the ones before it) has the same results.json (provenance aside) and
  byte-identical chapter pages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mscreport.cli import main
from mscreport.pipeline.engine import ReusedKernel, make_runtime_dir
from mscreport.core.paths import NOTEBOOKS_DIR

PROBE = r'''
import json as _json, os as _os, random as _random, sys as _sys, warnings as _warnings, logging as _logging
import matplotlib as _mpl, matplotlib.pyplot as _plt, numpy as _np, pandas as _pd
with _np.errstate(all="ignore"):
    _np.mean([])  # RuntimeWarning "Mean of empty slice": on stderr unless a registry remembers it
_state = {
    "user_names": sorted(k for k in globals() if not k.startswith("_") and k not in ("In", "Out", "get_ipython", "exit", "quit", "open")),
    "execution_count": get_ipython().execution_count,
    "rc": sorted((k, repr(v)) for k, v in _mpl.rcParams.items() if k != "backend"),
    "figures": _plt.get_fignums(),
    "random": _random.random(), "np_random": float(_np.random.random()),
    "np_err": _np.geterr(), "np_print": repr(sorted(_np.get_printoptions().items())),
    "pandas": [_pd.get_option("display.precision"), _pd.get_option("display.max_rows")],
    "warnings_filters": repr(_warnings.filters[:8]), "n_filters": len(_warnings.filters),
    "cwd": _os.getcwd(), "env": _os.environ.get("MSCREPORT_PROBE"), "sys_path": _sys.path[:3],
    "log_level": _logging.getLogger().level, "log_handlers": len(_logging.getLogger().handlers),
    "mscreport_modules": sorted(m for m in _sys.modules if m.startswith("mscreport")),
}
from mscreport.methods import stats as _stats
_state["cached"] = _stats._signrank_cdf.cache_info().currsize
print(_json.dumps(_state, default=str))
'''

POLLUTE = r'''
import os, sys, random, warnings, logging
import matplotlib, matplotlib.pyplot as plt, numpy as np, pandas as pd
from mscreport.display import figures
from mscreport.methods import stats  # module state: imported, caches filled
stats._signrank_cdf(12)  # an lru_cache filled
leaked_global = 42
matplotlib.rcParams["lines.linewidth"] = 9.0
matplotlib.rcParams["font.size"] = 3.0
plt.figure(); plt.figure()
random.seed(1); np.random.seed(1); random.random(); np.random.random()
np.seterr(all="raise"); np.set_printoptions(precision=2)
pd.set_option("display.precision", 1); pd.set_option("display.max_rows", 3)
warnings.simplefilter("error", UserWarning)
os.chdir("/")
os.environ["MSCREPORT_PROBE"] = "leaked"
sys.path.insert(0, "/leaked")
logging.getLogger().setLevel(logging.DEBUG); logging.getLogger().addHandler(logging.NullHandler())
with np.errstate(all="ignore"):
    np.mean([])  # last, after every filter change: shown once, and numpy's registry now remembers it
'''


def _run(kernel: ReusedKernel, code: str) -> tuple[str, str, int]:
    """stdout (with any error), stderr and the execution count the page would show."""
    out: list[str] = []
    err: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

    reply = kernel._sync(kernel.kc.execute_interactive)(code, store_history=True, timeout=120, output_hook=keep)
    return "".join(out), "".join(err), reply["content"]["execution_count"]


def _probe(kernel: ReusedKernel) -> dict:
    out, err, count = _run(kernel, PROBE)
    return {**json.loads(out), "prompt": count, "shown_again": "Mean of empty slice" in err}


@pytest.fixture(scope="module")
def two_kernels():
    """Two kernels started and prepared as a build's workers do (IPC, private runtime folder)."""
    runtime = make_runtime_dir()
    before = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    kernels = []
    try:
        kernels = [ReusedKernel(str(NOTEBOOKS_DIR)) for _ in range(2)]
        for k in kernels:
            k.prepare()
        yield kernels
    finally:
        for k in kernels:
            k.stop()
        if before is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = before
        shutil.rmtree(runtime, ignore_errors=True)


RANDOM = ("random", "np_random")  # seeded from the system at each kernel's start: equal within a kernel only


def test_restore_undoes_everything_a_chapter_can_leave_behind(two_kernels):
    clean, polluted = two_kernels
    clean.restore()
    expected = _probe(clean)
    assert expected["prompt"] == 1 and expected["user_names"] == [] and expected["shown_again"]
    assert expected["cwd"] == str(NOTEBOOKS_DIR) and expected["mscreport_modules"] == ["mscreport.pipeline.kernel_state"]
    polluted.restore()
    own_start = _probe(polluted)  # the state a chapter starts from in this kernel
    polluted.restore()
    assert "ERROR" not in _run(polluted, POLLUTE)[0]
    dirty = _probe(polluted)
    # the pollution took: every item the test covers differs before the restore
    for key in ("user_names", "execution_count", "prompt", "rc", "figures", *RANDOM, "np_err", "np_print",
                "pandas", "warnings_filters", "shown_again", "cwd", "env", "sys_path", "log_level", "log_handlers",
                "mscreport_modules", "cached"):
        assert dirty[key] != own_start[key], f"the pollution did not change {key}: the test would prove nothing"
    polluted.restore()
    after = _probe(polluted)
    assert after == own_start  # random states included
    assert {k: v for k, v in after.items() if k not in RANDOM} == {k: v for k, v in expected.items() if k not in RANDOM}


def _pages(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html")) if p.name != "index.html"}


def _index(out: Path) -> str:
    text = (out / "index.html").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if "Built:" not in line and "Rebuild with" not in line)


def _results(out: Path) -> dict:
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    r.pop("provenance")
    return r


@pytest.mark.slow
def test_reused_kernels_give_the_report_of_fresh_kernels(built_report, tmp_path, capsys):
    fresh, one_kernel = tmp_path / "fresh", tmp_path / "one_kernel"
    assert main(["build", "--output", str(fresh), "--force", "--fresh-kernels"]) == 0
    assert "a fresh kernel per chapter" in capsys.readouterr().out
    assert main(["build", "--output", str(one_kernel), "--force", "--jobs", "1"]) == 0  # every chapter after the others
    assert "one reused kernel per worker" in capsys.readouterr().out
    reference = _pages(fresh)
    assert len(reference) == 2 * len(list(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")))
    for out in (built_report, one_kernel):
        pages = _pages(out)
        assert sorted(pages) == sorted(reference)
        for rel, data in reference.items():
            assert pages[rel] == data, f"{rel}: reused kernels ({out.name}) differ from fresh kernels"
        assert _index(out) == _index(fresh)
        assert _results(out) == _results(fresh)


def test_a_big_cohort_file_is_validated_in_a_process_of_its_own(tmp_path, monkeypatch):
    """Above VALIDATE_APART_BYTES the validation runs in a short-lived process: the same
    summary and snapshot as in the build's own process, and its problems still exit 2."""
    from mscreport.pipeline import build as b
    from mscreport.core.errors import InputError
    from mscreport.core.paths import DEFAULT_COHORT
    from mscreport.inputs.snapshot import load_snapshot

    plan = b.make_plan()
    here, apart = tmp_path / "here", tmp_path / "apart"
    here.mkdir(), apart.mkdir()
    monkeypatch.setattr(b, "VALIDATE_APART_BYTES", 10**15)
    in_process = b.validate_once(plan, here)
    monkeypatch.setattr(b, "VALIDATE_APART_BYTES", 0)

    def not_here(*_a):
        raise AssertionError("validated in the build's own process")

    monkeypatch.setattr(b, "load_snapshot_cohort", not_here)  # the child imports its own
    assert b.validate_once(plan, apart) == in_process
    assert load_snapshot(apart / "snapshot").frame.equals(load_snapshot(here / "snapshot").frame)
    bad = tmp_path / "bad.csv"
    bad.write_text(DEFAULT_COHORT.read_text().replace("\n", "\nP-X,not-a-number,7.0,1e9,adipose,12,50,male,28,5,no,yes\n", 1))
    bad_plan = b.make_plan(data=str(bad))
    (tmp_path / "bad_work").mkdir()
    with pytest.raises(InputError) as err:
        b.validate_once(bad_plan, tmp_path / "bad_work")
    assert any("not a number" in str(p) for p in err.value.problems)
