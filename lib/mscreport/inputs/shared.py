"""Results several chapters of one build ask for, computed by the first chapter and loaded by
the others (``Cohort.once(..., shared=True)``): kept as pickles in the build's private
snapshot folder, with the warnings they gave, so that every page shows the same."""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

SHARED_DIR = "shared"  # analyses several chapters of one build ask for (Cohort.once(..., shared=True))


def shared_result(folder: Path, key: str, compute):
    """The result of ``compute()`` kept in ``folder`` (the build's private snapshot folder) for
    every chapter of the build: loaded when a chapter before computed it, else computed and
    written (atomically: two chapters computing it at once write the same result). The
    warnings ``compute`` gave are kept with it and given again each time, so a page shows the
    same whichever chapter happened to compute it first."""
    path = Path(folder) / f"{key}.pickle"
    with _computing(path):  # a chapter asking while another computes it waits, then loads it
        value, given = _load_or_compute(path, compute)
    for message, category, filename, lineno, module in given:
        # given as the code that warned gives it: its module's name (for filters) and its
        # "already shown" registry (a later identical warning there is not shown again)
        registry = vars(sys.modules[module]).setdefault("__warningregistry__", {}) if module in sys.modules else None
        warnings.warn_explicit(message, category, filename, lineno, module=module, registry=registry)
    return value


@contextmanager
def _computing(path: Path):
    """An exclusive lock on ``path``'s lock file while the result is loaded or computed, so that
    two chapters running at once compute it once (the second waits, then loads it: at
    1,000,000 patients the MMRM takes minutes and gigabytes). Best effort: without ``fcntl``
    (Windows), no lock; the result is written atomically either way."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    name = path.with_name(f".{path.name}.lock")
    with open(name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            # removed when done (the folder keeps only results): a chapter that locked the removed
            # file meanwhile finds the result written and loads it; at worst one computes it again
            name.unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_or_compute(path: Path, compute):
    """(value, warnings given) from ``path``, or computed and written there (atomically)."""
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)  # our own file, written by this build into its private folder
    except FileNotFoundError:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # every warning recorded; the chapter's own filters decide below
            value = compute()
        given = list(dict.fromkeys((str(w.message), w.category, w.filename, w.lineno, _module_of(w.filename))
                                   for w in caught))
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with open(temporary, "wb") as fh:
            pickle.dump((value, given), fh, protocol=5)
        os.replace(temporary, path)
        return value, given


def _module_of(filename: str) -> str | None:
    """The name of the imported module whose source is ``filename`` (None if none is)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return None
