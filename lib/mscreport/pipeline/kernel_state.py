"""What a chapter can leave behind in a kernel, captured once and restored before each chapter.

The build runs its chapters one after another in one kernel per worker (``engine``): the
kernel imports the scientific stack once (``prewarm``), ``capture_baseline`` records the
state a fresh kernel has at that point, and ``restore_baseline`` runs before every chapter so
that the chapter starts as if in a fresh kernel:

* the user namespace, the input history and the execution counter (IPython ``reset``);
* every ``mscreport`` module (dropped from ``sys.modules``: the chapter imports them afresh,
  so module-level caches and registries start empty; this module alone stays, it holds the
  baseline);
* matplotlib's rcParams (all but the backend) and open figures;
* the global random states (``random``, ``numpy.random``), numpy's error handling and print
  options, pandas' options;
* warnings filters and the "already shown" registries (a warning shown by one chapter is
  shown again by the next, as in a fresh kernel);
* the working directory, the environment, ``sys.path``, the root logger's level and handlers.

``tests/test_engine_reuse.py`` pollutes each of these in a kernel, restores, and compares
with a fresh kernel; and builds the report with fresh and with reused kernels and requires
identical results.json and HTML.
"""

from __future__ import annotations

import os
import sys

KEPT_MODULE = __name__  # the one mscreport module a restore keeps (it holds the baseline)
_BASELINE: dict = {}


def prewarm() -> None:
    """Import the third-party modules the chapters use, as the chapters would (matplotlib on
    the Agg backend before pyplot, as ``figures`` does): the expensive part of a chapter's start."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import matplotlib

        matplotlib.use("Agg")
        import IPython.display  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import scipy.optimize  # noqa: F401
        import scipy.special  # noqa: F401
        import scipy.stats  # noqa: F401
        import seaborn  # noqa: F401
        import statsmodels.formula.api  # noqa: F401
        import statsmodels.regression.mixed_linear_model  # noqa: F401
        import yaml  # noqa: F401


def capture_baseline() -> None:
    """Record the state a chapter must start from (call once, after ``prewarm``, before any chapter)."""
    import logging
    import random
    import warnings

    import matplotlib
    import numpy as np

    root = logging.getLogger()
    _BASELINE.update(
        rc={k: v for k, v in matplotlib.rcParams.items() if k != "backend"},
        random=random.getstate(), np_random=np.random.get_state(), np_err=np.geterr(),
        np_print=np.get_printoptions(), warnings=list(warnings.filters), cwd=os.getcwd(),
        environ=dict(os.environ), sys_path=list(sys.path), log_level=root.level, log_handlers=list(root.handlers),
    )


def _drop_mscreport_modules() -> None:
    for name in [m for m in sys.modules if (m == "mscreport" or m.startswith("mscreport.")) and m != KEPT_MODULE]:
        del sys.modules[name]


def restore_baseline() -> None:
    """Put the kernel back in the state ``capture_baseline`` recorded (see the module's list)."""
    import logging
    import random
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    if not _BASELINE:
        raise RuntimeError("restore_baseline before capture_baseline")
    b = _BASELINE
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)  # namespace, history, execution count back to 1
    _drop_mscreport_modules()
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(b["rc"])
        pd.reset_option("all")
    random.setstate(b["random"])
    np.random.set_state(b["np_random"])
    np.seterr(**b["np_err"])
    np.set_printoptions(**b["np_print"])
    warnings.resetwarnings()  # also empties every module's "already shown" registry
    warnings.filters.extend(b["warnings"])
    warnings.onceregistry.clear()
    os.chdir(b["cwd"])
    os.environ.clear()
    os.environ.update(b["environ"])
    sys.path[:] = b["sys_path"]
    root = logging.getLogger()
    root.setLevel(b["log_level"])
    root.handlers[:] = b["log_handlers"]


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - kernels always have IPython
        return None
    return get_ipython()
