"""Results several chapters of one build ask for, computed by the first chapter and loaded by
the others (``Cohort.once(..., shared=True)``): kept as pickles in the build's private
snapshot folder, with the warnings they gave, so that every page shows the same."""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from pathlib import Path

SHARED_DIR = "shared"  # analyses several chapters of one build ask for (Cohort.once(..., shared=True))


def shared_result(folder: Path, key: str, compute):
    """The result of ``compute()`` kept in ``folder`` (the build's private snapshot folder) for
    every chapter of the build: loaded when a chapter before computed it, else computed and
    written (atomically: two chapters computing it at once write the same result). The
    warnings ``compute`` gave are kept with it and given again each time, so a page shows the
    same whichever chapter happened to compute it first."""
    path = Path(folder) / f"{key}.pickle"
    try:
        with open(path, "rb") as fh:
            value, given = pickle.load(fh)  # our own file, written by this build into its private folder
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
    for message, category, filename, lineno, module in given:
        # given as the code that warned gives it: its module's name (for filters) and its
        # "already shown" registry (a later identical warning there is not shown again)
        registry = vars(sys.modules[module]).setdefault("__warningregistry__", {}) if module in sys.modules else None
        warnings.warn_explicit(message, category, filename, lineno, module=module, registry=registry)
    return value


def _module_of(filename: str) -> str | None:
    """The name of the imported module whose source is ``filename`` (None if none is)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return None
